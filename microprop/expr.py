"""Safe expressions from text: ``"tanh(x1*w1 + x2*w2 + b)"`` into a graph of Values.

The text is parsed with ``ast.parse(mode="eval")`` and walked against a closed
allow-list: numbers, variables, ``+ - * / **``, unary minus and calls to unary ops
of the op table. Nothing is ever passed to ``eval``, ``exec`` or ``compile``;
attribute access, subscripts, lambdas, comprehensions and keywords are rejected with
an ``ExprError`` that points at the offending column.

>>> root, leaves = build("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.5})
>>> round(root.data, 4), sorted(leaves)
(0.4621, ['b', 'w', 'x'])
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .engine import Value, apply
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
    """``name=value`` from the command line."""

    name: str
    value: float


def parse_assignment(text: str) -> Assignment:
    """Parse ``x1=2`` (also ``w=-3.5``, ``b=1e-3``, ``z=inf``).

    >>> parse_assignment("w1=-3")
    Assignment(name='w1', value=-3.0)
    >>> parse_assignment("w1:3")
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: bad assignment 'w1:3': expected NAME=NUMBER without spaces, like x=2.5
    """
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep:
        raise ExprError(
            f"bad assignment {text[:80]!r}: expected NAME=NUMBER without spaces, like x=2.5",
            text,
            0,
            len(text),
        )
    if not name.isidentifier():
        raise ExprError(
            f"bad assignment {text[:80]!r}: {name[:40]!r} is not a variable name", text, 0, len(name) or 1
        )
    if name in FUNCTIONS:
        raise ExprError(
            f"bad assignment {text[:80]!r}: {name!r} is a function, not a variable", text, 0, len(name)
        )
    try:
        value = float(raw.strip())
    except ValueError:
        col = len(name) + 1
        raise ExprError(
            f"bad assignment {text[:80]!r}: {raw.strip()[:40]!r} is not a number", text, col, max(1, len(raw))
        ) from None
    return Assignment(name, value)


def _check_characters(text: str) -> None:
    for col, ch in enumerate(text):
        if not ch.isprintable():
            raise ExprError(
                f"the expression must be one line of text; found {ch!r}", text.replace(ch, " "), col
            )


def _check_depth(text: str) -> None:
    depth = 0
    for col, ch in enumerate(text):
        if ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExprError(f"expression nests deeper than {MAX_DEPTH} parentheses", text, col)
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
        raise ExprError(f"expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}", text, MAX_LENGTH
        )
    if not text.strip():
        raise ExprError("expression is empty")
    _check_characters(text)
    _check_depth(text)
    try:
        tree = _ast_parse(text.strip())
    except SyntaxError as err:
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        end = lead + len(stripped)  # just past the last character
        if _parses(stripped + " 1"):  # "x +", "tanh(x) *": the last operand is missing
            message = "the expression ends too soon: a number or variable is missing at the end"
            raise ExprError(f"syntax error: {message}", text, end) from None
        if not err.offset or err.offset > len(stripped) or (err.lineno or 1) > 1:
            raise ExprError(f"syntax error: {err.msg}", text, end) from None  # at the end of the input
        raise ExprError(f"syntax error: {err.msg}", text, err.offset - 1 + lead) from None
    except (RecursionError, MemoryError, ValueError) as err:
        raise ExprError(f"expression cannot be parsed: {type(err).__name__}", text, 0) from None
    _Validator(text).check(tree.body, 0)
    return tree.body


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
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.NamedExpr: "assignments are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and'/'or' are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.List: "lists are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed",
    ast.Await: "'await' is not allowed",
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

    def fail(self, message: str, node: ast.AST) -> ExprError:
        col = self.column(getattr(node, "col_offset", 0))
        end = getattr(node, "end_col_offset", None)
        width = (self.column(end) - col) if end is not None and getattr(node, "end_lineno", 1) == 1 else 1
        return ExprError(message, self.text, col, width)

    def check(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            raise self.fail("expression is nested too deeply", node)
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                kind = type(node.value).__name__
                raise self.fail(f"only numbers are allowed, not {kind} {str(node.value)[:20]!r}", node)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise self.fail(f"{node.id!r} is a function: call it, as in {node.id}(x)", node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise self.fail(f"operator {type(node.op).__name__} is not allowed (use + - * / **)", node)
            self.check(node.left, depth + 1)
            self.check(node.right, depth + 1)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(f"operator {type(node.op).__name__} is not allowed", node)
            self.check(node.operand, depth + 1)
        elif isinstance(node, ast.Call):
            self.check_call(node, depth)
        else:
            message = _FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed in an expression")
            raise self.fail(message, node)

    def check_call(self, node: ast.Call, depth: int) -> None:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only calls of op names are allowed, like tanh(x)", node.func)
        name = node.func.id
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.fail(f"unknown function {name!r} (known: {known})", node.func)
        if node.keywords:
            raise self.fail("keyword arguments are not allowed", node.keywords[0].value)
        op = FUNCTIONS[name]
        want = 1 + len(op.params)
        if not 1 <= len(node.args) <= want:
            extra = f" and optionally {', '.join(op.params)}" if op.params else ""
            raise self.fail(f"{name}() takes one input{extra}; got {len(node.args)} arguments", node)
        self.check(node.args[0], depth + 1)
        for arg in node.args[1:]:
            if _constant(arg) is None:
                raise self.fail(f"{name}()'s {', '.join(op.params)} must be a number", arg)


def _constant(node: ast.AST) -> float | None:
    """The number a node spells (``2``, ``-0.5``), or None."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return sign * float(node.value)
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


def build(
    text: str, values: Mapping[str, float] | None = None, /, **more: float
) -> tuple[Value, dict[str, Value]]:
    """Parse ``text`` and build its graph with the given variable values (a dict,
    keywords, or both).

    Returns the root and the leaf Value of each variable (labelled by its name).
    Every variable needs a value; a value for a name the expression does not use
    is an error too (it is most likely a typo).

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
    tree = parse(text)
    used = variables(tree)
    offset = len(text) - len(text.lstrip())
    for name in used:
        if name not in values:
            col = _first_column(text.strip(), tree, name) + offset
            raise ExprError(f"variable {name!r} has no value: add {name}=NUMBER", text, col, len(name))
    unused = [name for name in values if name not in used]
    if unused:
        raise ExprError(
            f"{', '.join(map(repr, unused))} not used in the expression (variables: {', '.join(used) or 'none'})"
        )
    leaves = {name: Value(values[name], label=name) for name in used}
    return evaluate(tree, leaves), leaves


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
    params = [_constant(a) for a in node.args[1:]]
    return apply(op, arg, params=params)  # parameters left out take the row's defaults
