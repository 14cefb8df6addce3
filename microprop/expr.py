"""Safe expressions from text: ``"tanh(x1*w1 + x2*w2 + b)"`` into a graph of Values.

The text is parsed with ``ast.parse(mode="eval")`` and walked against a closed
allow-list: numbers, variables, ``+ - * / **``, unary minus and calls to unary ops
of the op table. Nothing is ever passed to ``eval``, ``exec`` or ``compile``;
attribute access, subscripts, lambdas, comprehensions and keywords are rejected with
an ``ExprError`` that points at the offending column, in a learner's words
(``x^2``: "use ** for powers"; ``2x``: "write 2*x"; ``tanhh``: "did you mean tanh?").

Steps can be named, as the lecture writes them: ``"n = x1*w1 + x2*w2 + b; o = tanh(n)"``
labels the node of each step with its name (``n``, ``o``), so every printed line, image
and page calls it that; the last step is the output.

>>> root, leaves = build("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.5})
>>> round(root.data, 4), sorted(leaves)
(0.4621, ['b', 'w', 'x'])
>>> root, leaves = build("n = x*w + b; o = tanh(n)", {"x": 2.0, "w": -3.0, "b": 6.5})
>>> root.label, root.parents[0].label, round(root.data, 4)
('o', 'n', 0.4621)
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import unicodedata
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .engine import Value, apply
from .i18n import N_, tr
from .ops import OPS, Op

MAX_LENGTH = 2000
MAX_DEPTH = 60  # parentheses
MAX_TREE_DEPTH = 300  # operators, e.g. a sum of 300 terms


class _Functions(Mapping[str, Op]):
    """The op table's rows written as functions (every row without an operator),
    read live: a row added by ``microprop.register_op`` is callable at once."""

    def _rows(self) -> dict[str, Op]:
        return {name: op for name, op in OPS.items() if not op.operator and op.arity == 1}

    def __getitem__(self, name: str) -> Op:
        return self._rows()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())


#: functions an expression may call: the op table's function rows (pow is ``**``)
FUNCTIONS: Mapping[str, Op] = _Functions()

#: names learners reach for, and what to write instead ({args} is the argument)
SYNONYMS = {"ln": N_("the natural log is log({args})"), "sqrt": N_("write ({args})**0.5 for a square root")}

#: minus signs typed or pasted from a book ("−2", "x – 1"): read as "-", one character each
MINUS_SIGNS = str.maketrans(dict.fromkeys("\u2212\u2012\u2013\u2014\ufe63\uff0d", "-"))


class ExprError(ValueError):
    """A bad expression or assignment, with the column to point at.

    >>> err = ExprError("unknown function 'foo'", "foo(x)", 0, 3)
    >>> print(err.pretty())
    unknown function 'foo'
      foo(x)
      ^^^
    """

    def __init__(self, message: str, text: str = "", col: int | None = None, width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.col = col
        self.width = max(1, width)

    def pretty(self) -> str:
        """The message, then the expression with a caret under the offending column."""
        if self.col is None or not self.text:
            return self.message
        start = max(0, self.col - 60)  # a window of 120 columns around a long line
        shown = self.text[start : start + 120]
        offset = self.col - start
        caret = " " * offset + "^" * min(self.width, max(1, len(shown) - offset))
        return f"{self.message}\n  {shown}\n  {caret}"


@dataclass(frozen=True)
class Assignment:
    """``name=value`` from the command line; ``warning`` says when the number was not
    representable (``1e400`` becomes inf, ``1e-400`` becomes 0.0)."""

    name: str
    value: float
    warning: str = ""


def parse_assignment(text: str) -> Assignment:
    """Parse ``x1=2`` (also ``w=-3.5``, ``b=1e-3``, ``z=inf``, ``w=−3`` with a unicode
    minus). The name is NFKC-normalized as Python normalizes the expression's names, so
    a fullwidth ``ｘ=3`` gives ``x`` its value.

    >>> parse_assignment("w1=-3"), parse_assignment("ｘ=−2").name
    (Assignment(name='w1', value=-3.0, warning=''), 'x')
    >>> parse_assignment("x=1e400").warning
    'x=1e400 is too large for a float (above 1.8e308): it becomes inf'
    >>> parse_assignment("w1:3")
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: bad assignment 'w1:3': expected NAME=NUMBER without spaces, like x=2.5
    """
    name, sep, raw = text.partition("=")
    name = unicodedata.normalize("NFKC", name.strip())
    raw = raw.translate(MINUS_SIGNS)
    if not sep:
        raise ExprError(
            tr(
                "bad assignment {text}: expected NAME=NUMBER without spaces, like x=2.5", text=repr(text[:80])
            ),
            text,
            0,
            len(text),
        )
    if not name.isidentifier():
        raise ExprError(
            tr(
                "bad assignment {text}: {name} is not a variable name",
                text=repr(text[:80]),
                name=repr(name[:40]),
            ),
            text,
            0,
            len(name) or 1,
        )
    if name in FUNCTIONS:
        raise ExprError(
            tr(
                "bad assignment {text}: {name} is a function, not a variable",
                text=repr(text[:80]),
                name=repr(name),
            ),
            text,
            0,
            len(name),
        )
    try:
        value = float(raw.strip())
    except ValueError:
        col = len(name) + 1
        raise ExprError(
            tr(
                "bad assignment {text}: {value} is not a number",
                text=repr(text[:80]),
                value=repr(raw.strip()[:40]),
            ),
            text,
            col,
            max(1, len(raw)),
        ) from None
    return Assignment(name, value, _range_warning(text, raw.strip(), value))


def _range_warning(text: str, raw: str, value: float) -> str:
    """What happened to a number beyond float range, or ``""``."""
    if math.isinf(value) and "inf" not in raw.lower():
        return tr(
            "{text} is too large for a float (above 1.8e308): it becomes {value}", text=text, value=value
        )
    mantissa = re.split("[eE]", raw)[0]
    if value == 0 and any(d in mantissa for d in "123456789"):
        return tr(
            "{text} is too small for a float (below 5e-324): it becomes {value}", text=text, value=value
        )
    return ""


def _check_characters(text: str) -> None:
    for col, ch in enumerate(text):
        if not ch.isprintable():
            raise ExprError(
                tr("the expression must be one line of text; found {char}", char=repr(ch)),
                text.replace(ch, " "),
                col,
            )


def _check_depth(text: str) -> None:
    depth = 0
    for col, ch in enumerate(text):
        if ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExprError(
                    tr("expression nests deeper than {depth} parentheses", depth=MAX_DEPTH), text, col
                )
        elif ch == ")":
            depth -= 1


def parse(text: str) -> ast.expr:
    """Parse and validate ``text``; return the checked AST (no values needed yet).

    >>> isinstance(parse("x * 2"), ast.BinOp)
    True
    >>> parse("().__class__")
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: attribute access is not allowed
    """
    if not isinstance(text, str):
        raise ExprError(tr("expression must be text, not {type}", type=type(text).__name__))
    if len(text) > MAX_LENGTH:
        raise ExprError(
            tr(
                "expression is {length} characters long; the limit is {limit}",
                length=len(text),
                limit=MAX_LENGTH,
            ),
            text,
            MAX_LENGTH,
        )
    if not text.strip():
        raise ExprError(tr("expression is empty"))
    text = text.translate(MINUS_SIGNS)
    _check_characters(text)
    _check_depth(text)
    try:
        tree = _ast_parse(text.strip())
    except SyntaxError as err:
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        end = lead + len(stripped)  # just past the last character
        if _parses(stripped + " 1"):  # "x +", "tanh(x) *": the last operand is missing
            message = tr(
                "syntax error: the expression ends too soon: a number or variable is missing at the end"
            )
            raise ExprError(message, text, end) from None
        implicit = _implicit_product(stripped)
        if implicit is not None:  # "2x": a number written against a name
            number, name, col = implicit
            raise ExprError(
                tr(
                    "write {number}*{name}: multiplying needs a * between the number and the name",
                    number=number,
                    name=name,
                ),
                text,
                col + lead,
                len(number) + len(name),
            ) from None
        if not err.offset or err.offset > len(stripped) or (err.lineno or 1) > 1:
            raise ExprError(_syntax_error(err.msg), text, end) from None  # at the end of the input
        raise ExprError(_syntax_error(err.msg), text, err.offset - 1 + lead) from None
    except (RecursionError, MemoryError, ValueError) as err:
        raise ExprError(
            tr("expression cannot be parsed: {error}", error=type(err).__name__), text, 0
        ) from None
    _Validator(text).check(tree.body, 0)
    return tree.body


#: Python's commonest syntax error messages, in the catalogue (others stay as Python words them)
_PYTHON_SYNTAX = (
    N_("invalid syntax"),
    N_("invalid syntax. Perhaps you forgot a comma?"),
    N_("'(' was never closed"),
    N_("unmatched ')'"),
    N_("invalid decimal literal"),
    N_("unexpected EOF while parsing"),
)


def _syntax_error(detail: str) -> str:
    """``syntax error: '(' was never closed``, Python's detail translated when known."""
    return tr("syntax error: {detail}", detail=tr(detail) if detail in _PYTHON_SYNTAX else detail)


_NUMBER_THEN_NAME = re.compile(r"(?<![\w.])(\d+\.?\d*(?:[eE][+-]?\d+)?)([^\W\d]\w*)")


def _implicit_product(text: str) -> tuple[str, str, int] | None:
    """The first ``2x`` in ``text`` as (number, name, column), or None.

    >>> _implicit_product("3 + 2x1"), _implicit_product("1e5 * x")
    (('2', 'x1', 4), None)
    """
    for match in _NUMBER_THEN_NAME.finditer(text):
        try:
            float(match.group(0))  # "1e5" is one number
        except ValueError:
            return match.group(1), match.group(2), match.start()
    return None


def _ast_parse(text: str) -> ast.Expression:
    with warnings.catch_warnings():  # e.g. "invalid escape sequence" in a string literal
        warnings.simplefilter("ignore")
        return ast.parse(text, mode="eval")


def _parses(text: str) -> bool:
    try:
        _ast_parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN = {
    ast.Attribute: N_("attribute access is not allowed"),
    ast.Subscript: N_("subscripts are not allowed"),
    ast.Lambda: N_("lambdas are not allowed"),
    ast.ListComp: N_("comprehensions are not allowed"),
    ast.SetComp: N_("comprehensions are not allowed"),
    ast.DictComp: N_("comprehensions are not allowed"),
    ast.GeneratorExp: N_("comprehensions are not allowed"),
    ast.JoinedStr: N_("f-strings are not allowed"),
    ast.NamedExpr: N_("assignments are not allowed"),
    ast.Compare: N_("comparisons are not allowed"),
    ast.BoolOp: N_("'and'/'or' are not allowed"),
    ast.IfExp: N_("conditional expressions are not allowed"),
    ast.Starred: N_("starred arguments are not allowed"),
    ast.List: N_("lists are not allowed"),
    ast.Tuple: N_("tuples are not allowed"),
    ast.Dict: N_("dicts are not allowed"),
    ast.Set: N_("sets are not allowed"),
    ast.Await: N_("'await' is not allowed"),
}


class _Validator:
    """Walks the AST against the allow-list, at most ``MAX_TREE_DEPTH`` levels deep."""

    def __init__(self, text: str) -> None:
        self.offset = len(text) - len(text.lstrip())
        self.text = text
        self.stripped = text.strip()

    def column(self, byte_offset: int) -> int:
        """ast counts columns in UTF-8 bytes; the caret needs characters."""
        return len(self.stripped.encode()[:byte_offset].decode(errors="ignore")) + self.offset

    def source(self, node: ast.AST) -> str:
        """The text of ``node`` as the learner typed it."""
        return ast.get_source_segment(self.stripped, node) or "..."

    def fail(self, message: str, node: ast.AST) -> ExprError:
        col = self.column(getattr(node, "col_offset", 0))
        end = getattr(node, "end_col_offset", None)
        width = (self.column(end) - col) if end is not None and getattr(node, "end_lineno", 1) == 1 else 1
        return ExprError(message, self.text, col, width)

    def check(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            raise self.fail(tr("expression is nested too deeply"), node)
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                kind = type(node.value).__name__
                value = repr(str(node.value)[:20])
                raise self.fail(
                    tr("only numbers are allowed, not {kind} {value}", kind=kind, value=value), node
                )
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise self.fail(
                    tr(
                        "{name} is a function: call it, as in {call}",
                        name=repr(node.id),
                        call=f"{node.id}(x)",
                    ),
                    node,
                )
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.BitXor):  # x^2, as written on paper
                power = f"{self.source(node.left)}**{self.source(node.right)}"
                raise self.fail(
                    tr("use ** for powers, as in {power} (^ is not a power here)", power=power), node
                )
            if type(node.op) not in _BINOPS:
                operator = type(node.op).__name__
                raise self.fail(
                    tr("operator {operator} is not allowed (use + - * / **)", operator=operator), node
                )
            self.check(node.left, depth + 1)
            self.check(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(
                    tr("operator {operator} is not allowed", operator=type(node.op).__name__), node
                )
            self.check(node.operand, depth + 1)
        elif isinstance(node, ast.Call):
            self.check_call(node, depth)
        else:
            forbidden = _FORBIDDEN.get(type(node))
            message = (
                tr(forbidden)
                if forbidden
                else tr("{kind} is not allowed in an expression", kind=type(node).__name__)
            )
            raise self.fail(message, node)

    def check_call(self, node: ast.Call, depth: int) -> None:
        args = ", ".join(self.source(a) for a in node.args)
        if isinstance(node.func, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Call)):  # 2(x+1), (a+b)(c)
            func = self.source(node.func)
            if isinstance(node.func, (ast.BinOp, ast.UnaryOp)):
                func = f"({func})"
            product = f"{func}*({args})"
            raise self.fail(
                tr("write {product}: multiplying needs a * before the parenthesis", product=product), node
            )
        if not isinstance(node.func, ast.Name):
            raise self.fail(tr("only calls of op names are allowed, like tanh(x)"), node.func)
        name = node.func.id
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            close = difflib.get_close_matches(name.lower(), FUNCTIONS, n=1, cutoff=0.6)
            fields = {"name": repr(name), "known": known}
            if name in SYNONYMS:
                message = tr(
                    "unknown function {name}: {hint} (known: {known})",
                    hint=tr(SYNONYMS[name], args=args),
                    **fields,
                )
            elif close:
                message = tr(
                    "unknown function {name}: did you mean {close}? (known: {known})",
                    close=close[0],
                    **fields,
                )
            elif len(name) <= 2 or name[-1].isdigit():  # x(y + 1), w1(x): a variable, times
                product = f"{name}*({args})"
                message = tr(
                    "unknown function {name}: to multiply, write {product} (known: {known})",
                    product=product,
                    **fields,
                )
            else:
                message = tr("unknown function {name} (known: {known})", **fields)
            raise self.fail(message, node.func)
        if node.keywords:
            raise self.fail(tr("keyword arguments are not allowed"), node.keywords[0].value)
        op = FUNCTIONS[name]
        want = 1 + len(op.params)
        least = want - len(op.defaults)  # parameters without a default must be given
        if not least <= len(node.args) <= want:
            arity: dict[str, object] = {
                "function": f"{name}()",
                "count": len(node.args),
                "params": ", ".join(op.params),
            }
            if least > 1:
                message = tr("{function} takes one input and {params}; got {count} arguments", **arity)
            elif op.params:
                message = tr(
                    "{function} takes one input and optionally {params}; got {count} arguments", **arity
                )
            else:
                message = tr("{function} takes one input; got {count} arguments", **arity)
            raise self.fail(message, node)
        self.check(node.args[0], depth + 1)
        for arg in node.args[1:]:
            if _constant(arg) is None:
                raise self.fail(
                    tr(
                        "{function}'s {params} must be a number",
                        function=f"{name}()",
                        params=", ".join(op.params),
                    ),
                    arg,
                )


def _constant(node: ast.AST) -> float | None:
    """The number a node spells (``2``, ``-0.5``), or None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return sign * float(value)
        except OverflowError:  # an integer literal beyond float range
            return sign * math.inf
    return None


def variables(tree: ast.expr) -> list[str]:
    """Variable names in order of first appearance.

    >>> variables(parse("tanh(x1*w1 + x2*w2 + b) + x1"))
    ['x1', 'w1', 'x2', 'w2', 'b']
    """
    names: dict[str, None] = {}
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            names.setdefault(node.id)
        elif isinstance(node, ast.Call):
            stack.extend(reversed(node.args[:1]))  # only the input can hold variables
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(names)


@dataclass(frozen=True)
class Step:
    """One step of a program: ``n = x*w + b`` (``name`` None for an unnamed output).
    ``col`` is where the step's expression starts in the program's text."""

    name: str | None
    tree: ast.expr
    source: str
    col: int
    name_col: int = 0


@dataclass(frozen=True)
class Program:
    """A parsed expression of one or more steps separated by ``;``, the last one the
    output: ``"n = x1*w1 + x2*w2 + b; o = tanh(n)"``. A plain expression is a program
    of one unnamed step. ``variables`` are its inputs, in order of first use (step
    names are not inputs).

    >>> program = parse_program("n = x*w + b; o = tanh(n)")
    >>> program.names, program.variables
    (['n', 'o'], ['x', 'w', 'b'])
    >>> x, w, b = (Value(v, label=k) for k, v in (("x", 2.0), ("w", -3.0), ("b", 6.5)))
    >>> o = program.evaluate({"x": x, "w": w, "b": b})
    >>> o.label, o.parents[0].label
    ('o', 'n')
    """

    text: str
    steps: tuple[Step, ...]
    variables: list[str]

    @property
    def names(self) -> list[str]:
        """The names of the named steps, in order."""
        return [step.name for step in self.steps if step.name]

    def evaluate(self, leaves: dict[str, Value]) -> Value:
        """Build the graph on the given leaf Values (one per variable); each named step's
        node gets its name as its label. Returns the output (the last step's node)."""
        known = dict(leaves)
        for step in self.steps:
            node = _evaluate(step.tree, known)
            if step.name:
                node.label = step.name
                known[step.name] = node
        return node

    def first_use(self, name: str) -> int:
        """The column of the first use of variable ``name`` in the text."""
        for step in self.steps:
            if name in variables(step.tree):
                lead = len(step.source) - len(step.source.lstrip())
                return step.col + lead + _first_column(step.source.strip(), step.tree, name)
        return 0


_STEP_NAME = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")


def parse_program(text: str) -> Program:
    """Parse ``"n = x*w + b; o = tanh(n)"`` (or one plain expression) and validate it.

    Each step but the last needs a name and must be used by a later step; names are
    NFKC-normalized (as Python does), must not be function names, and are not given
    twice. Errors point at the step in the whole text.

    >>> parse_program("x * 2").variables
    ['x']
    >>> parse_program("n = x*2; o = x*3")
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: step 'n' is not used by a later step (o): use it, or leave it out
    """
    if not isinstance(text, str):
        raise ExprError(tr("expression must be text, not {type}", type=type(text).__name__))
    if len(text) > MAX_LENGTH or not text.strip():
        parse(text)  # the length or emptiness error
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == ";"]
    pieces = [(start, text[start : end - 1 if end else None]) for start, end in zip(starts, starts[1:] + [0])]
    if len(pieces) > 1 and not pieces[-1][1].strip():
        pieces.pop()  # "n = x*2; o = n + 1;": a trailing ";" is fine
    steps: list[Step] = []
    for k, (start, piece) in enumerate(pieces):
        last = k == len(pieces) - 1
        match = _STEP_NAME.match(piece)
        if not piece.strip():
            raise ExprError(tr("a step is empty: write one step between two ';'"), text, start)
        if match is None and not last:
            raise ExprError(
                tr("every step before the last needs a name, like n = x*w + b"), text, start, len(piece)
            )
        name = unicodedata.normalize("NFKC", match.group(1)) if match else None
        col = start + (match.end() if match else 0)
        source = text[col : start + len(piece)]
        if name is not None:
            _check_step_name(name, text, start + match.start(1), steps)  # type: ignore[union-attr]
            if not source.strip():
                raise ExprError(tr("step {name} has nothing after '='", name=repr(name)), text, col)
        try:
            tree = parse(source)
        except ExprError as err:
            moved = None if err.col is None else err.col + col
            raise ExprError(err.message, text if moved is not None else "", moved, err.width) from None
        inner = tree
        while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.UAdd):
            inner = inner.operand
        lead = len(source) - len(source.lstrip())
        if name is not None and isinstance(inner, ast.Name):  # "m = n" names no new node
            raise ExprError(
                tr(
                    "{step} gives {name} a second name; a step needs an op, like {example}",
                    step=f"{name} = {inner.id}",
                    name=inner.id,
                    example=f"{name} = 2*{inner.id}",
                ),
                text,
                col + lead,
                len(source.strip()),
            )
        steps.append(Step(name, tree, source, col, start + match.start(1) if match else col + lead))
    return Program(text, tuple(steps), _inputs(text, steps))


def _check_step_name(name: str, text: str, col: int, before: list[Step]) -> None:
    if name in FUNCTIONS:
        raise ExprError(
            tr("{name} is a function: name the step something else", name=repr(name)), text, col, len(name)
        )
    if any(step.name == name for step in before):
        message = tr("step {name} is defined twice: give each step its own name", name=repr(name))
        raise ExprError(message, text, col, len(name))


def _inputs(text: str, steps: list[Step]) -> list[str]:
    """The program's variables; a step used before it is defined, or never, is an error."""
    names = {step.name: k for k, step in enumerate(steps) if step.name}
    inputs: dict[str, None] = {}
    used: set[str] = set()
    for k, step in enumerate(steps):
        for name in variables(step.tree):
            if name not in names:
                inputs.setdefault(name)
            elif names[name] >= k:
                program = Program(text, tuple(steps), [])
                raise ExprError(
                    tr(
                        "{name} is used before its step defines it: put the step {step} first",
                        name=repr(name),
                        step=f"{name} = ...",
                    ),
                    text,
                    program.first_use(name) if names[name] > k else step.col,
                    len(name),
                )
            else:
                used.add(name)
    for step in steps[:-1]:
        if step.name not in used:
            if steps[-1].name:
                message = tr(
                    "step {name} is not used by a later step ({output}): use it, or leave it out",
                    name=repr(step.name),
                    output=steps[-1].name,
                )
            else:
                message = tr(
                    "step {name} is not used by a later step (the output): use it, or leave it out",
                    name=repr(step.name),
                )
            raise ExprError(
                message,
                text,
                step.name_col,
                len(step.name or ""),
            )
    return list(inputs)


def build(
    text: str, values: Mapping[str, float] | None = None, /, **more: float
) -> tuple[Value, dict[str, Value]]:
    """Parse ``text`` (an expression or named steps, see ``parse_program``) and build its
    graph with the given variable values (a dict, keywords, or both).

    Returns the root and the leaf Value of each variable (labelled by its name); the
    node of each named step is labelled by its name. Every variable needs a value; a
    value for a name the expression does not use is an error too (it is most likely a
    typo), and so is a value for a step's name.

    >>> root, leaves = build("x ** 2 + y", {"x": 3, "y": 1})
    >>> root.data, leaves["x"].label
    (10.0, 'x')
    >>> build("tanh(x) * x", x=0.0)[0].data
    0.0
    >>> build("x + y", {"x": 1})
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: variable 'y' has no value: add y=NUMBER
    """
    twice = sorted(set(values or ()) & set(more))
    if twice:
        raise ExprError(f"{', '.join(map(repr, twice))} given twice (in the dict and as a keyword)")
    values = {**(values or {}), **more}
    program = parse_program(text)
    used = program.variables
    for name in values:
        if name in program.names:
            raise ExprError(
                tr(
                    "{name} is a step of the expression ({step}), not a variable: drop {assignment}",
                    name=repr(name),
                    step=f"{name} = ...",
                    assignment=f"{name}=",
                )
            )
    for name in used:
        if name not in values:
            close = difflib.get_close_matches(name, [n for n in values if n not in used], n=1)
            fields = {"name": repr(name), "assignment": f"{name}=NUMBER"}
            if close:
                message = tr(
                    "variable {name} has no value: add {assignment} (or did you mean {close}?)",
                    close=close[0],
                    **fields,
                )
            else:
                message = tr("variable {name} has no value: add {assignment}", **fields)
            raise ExprError(message, text, program.first_use(name), len(name))
    unused = [name for name in values if name not in used]
    if unused:
        fields = {"unused": ", ".join(map(repr, unused)), "variables": ", ".join(used)}
        if used:
            raise ExprError(tr("{unused} not used in the expression (variables: {variables})", **fields))
        raise ExprError(tr("{unused} not used in the expression (variables: none)", **fields))
    leaves = {name: Value(values[name], label=name) for name in used}
    return program.evaluate(leaves), leaves


def _first_column(stripped: str, tree: ast.AST, name: str) -> int:
    cols = [n.col_offset for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    byte_offset = min(cols) if cols else 0
    return len(stripped.encode()[:byte_offset].decode(errors="ignore"))


def evaluate(tree: ast.expr, leaves: dict[str, Value]) -> Value:
    """Build the graph of a parsed expression on the given leaf Values (one per
    variable), e.g. to rebuild it at other points for a gradient check.

    >>> x = Value(3.0, label="x")
    >>> evaluate(parse("x * x + 1"), {"x": x}).data
    10.0
    """
    return _evaluate(tree, leaves)


def _evaluate(node: ast.AST, leaves: dict[str, Value]) -> Value:
    number = _constant(node)
    if number is not None:
        return Value(number)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, leaves)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, leaves)
        if isinstance(node.op, ast.Pow) and (exponent := _constant(node.right)) is not None:
            return left**exponent  # a constant exponent is a parameter of the pow node
        right = _evaluate(node.right, leaves)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        return left**right
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked by parse
    op = FUNCTIONS[node.func.id]
    arg = _evaluate(node.args[0], leaves)
    params = [p for p in map(_constant, node.args[1:]) if p is not None]  # numbers: checked by parse
    return apply(op, arg, params=params)  # parameters left out take the row's defaults


#: the neuron of micrograd's lecture, with the lecture's names for its steps
LECTURE_NEURON = "x1w1 = x1*w1; x2w2 = x2*w2; x1w1x2w2 = x1w1 + x2w2; n = x1w1x2w2 + b; o = tanh(n)"
LECTURE_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def lecture_neuron() -> Value:
    """The output ``o`` of the lecture's neuron ``tanh(x1*w1 + x2*w2 + b)``, every node
    labelled as the lecture labels it; the demo, the examples, the docs' images and the
    tests all build it here.

    >>> o = lecture_neuron()
    >>> round(o.data, 4), [v.label for v in o.topo_order()][-3:]
    (0.7071, ['b', 'n', 'o'])
    """
    return build(LECTURE_NEURON, LECTURE_VALUES)[0]
