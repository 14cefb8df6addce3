"""Hypothesis strategies for property tests of gradients.

Points inside an op row's domain (``floats_in``, ``params_in``), whole cases for a row
(``op_cases``) and random expression graphs over the op table (``expressions``): feed
them to ``microprop.gradcheck.gradcheck`` in a ``@given`` test. Every strategy reads the
row's ``domain``, ``params_domain`` and ``kinks`` fields, so a new row is covered as
soon as it is in the table.

This module needs hypothesis (``pip install 'microprop[test]'``); ``import microprop``
does not import it.

>>> from hypothesis import find
>>> x = find(floats_in("log"), lambda x: x < 1)
>>> 0.05 <= x < 1
True
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hypothesis import strategies as st

from .engine import Value, apply
from .ops import OPS, Op

#: points closer than this to a kink (relu at 0, ...) are never drawn by ``floats_in``
KINK_MARGIN = 1e-3
#: inputs of ``expressions()`` are drawn from this interval
INPUT_RANGE = (-3.0, 3.0)
#: an op's input in a random graph changes by at most this much per unit change of any input
#: (else it is rescaled), so finite differences with eps = 1e-6 stay accurate
MAX_SLOPE = 100.0
#: an op's input in a random graph stays at least this far from the op's kinks
KINK_CLEARANCE = 0.05
#: the longest ``Expression.text`` built (microprop.expr accepts up to 2000 characters)
MAX_TEXT = 1200
#: the deepest parenthesis nesting built (microprop.expr accepts up to 60)
MAX_NESTING = 40


def _row(op: Op | str) -> Op:
    return OPS[op] if isinstance(op, str) else op


def _interval(bounds: tuple[float, float], kinks: Iterable[float], margin: float) -> st.SearchStrategy[float]:
    lo, hi = float(bounds[0]), float(bounds[1])
    strategy = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    near = [k for k in kinks if lo - margin <= k <= hi + margin]
    if near:
        strategy = strategy.filter(lambda x: all(abs(x - k) > margin for k in near))
    return strategy


def floats_in(op: Op | str, index: int = 0, *, margin: float = KINK_MARGIN) -> st.SearchStrategy[float]:
    """Floats inside the domain of input ``index`` of an op row (by row or name), kept
    ``margin`` away from its kinks: log's input is above 0, relu's never within 1e-3 of 0.

    >>> from hypothesis import find
    >>> find(floats_in("relu"), lambda x: x > 0) >= 1e-3
    True
    >>> lo, hi = OPS["pow"].domain[0]
    >>> lo <= find(floats_in("pow"), lambda x: True) <= hi
    True
    """
    row = _row(op)
    kinks = row.kinks if index == 0 else ()  # a row's kinks are points of its first input
    return _interval(row.domain[index], kinks, margin)


def params_in(op: Op | str, index: int = 0) -> st.SearchStrategy[float]:
    """Floats inside the domain of parameter ``index`` of an op row (pow's exponent, ...).

    >>> from hypothesis import find
    >>> 0.0 <= find(params_in("leaky_relu"), lambda s: True) <= 0.5
    True
    """
    return _interval(_row(op).params_domain[index], (), 0.0)


def op_cases(op: Op | str) -> st.SearchStrategy[tuple[tuple[float, ...], tuple[float, ...]]]:
    """``(inputs, params)`` tuples for an op row: one float per input inside its domain
    (away from kinks) and one per parameter inside its ``params_domain``.

    >>> from hypothesis import find
    >>> inputs, params = find(op_cases("pow"), lambda case: True)
    >>> len(inputs), len(params)
    (1, 1)
    >>> apply("pow", *inputs, params=params).data == inputs[0] ** params[0]
    True
    """
    row = _row(op)
    inputs = st.tuples(*(floats_in(row, i) for i in range(row.arity)))
    params = st.tuples(*(params_in(row, i) for i in range(len(row.params))))
    return st.tuples(inputs, params)


# --- random expression graphs ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One node of an expression program: input number ``index``, the constant ``value``,
    or op row ``op`` applied to earlier steps ``args`` with constant ``params``.

    >>> program = (Step("input", index=0), Step("op", OPS["pow"], args=(0,), params=(2.0,)))
    >>> Expression(("x0",), (3.0,), program).text
    'x0 ** 2.0'
    """

    kind: str  # "input", "const" or "op"
    op: Op | None = None
    args: tuple[int, ...] = ()
    params: tuple[float, ...] = ()
    index: int = 0
    value: float = 0.0


@dataclass(frozen=True, repr=False)
class Expression:
    """A random expression graph: a program of ``steps`` (the last is the root) over
    named float ``inputs``. Steps may share operands, as in ``a + a``.

    ``fn(*inputs)`` builds the graph on Values (or floats) and returns the root, ready
    for ``gradcheck(e.fn, e.inputs)``; ``text`` is the same expression for
    ``microprop.expr`` (shared subexpressions written out again) and ``command()`` the
    ``microprop check`` line that reproduces a failure.

    >>> import math
    >>> x = Step("input", index=0)
    >>> square = Step("op", OPS["mul"], args=(0, 0))
    >>> e = Expression(("x0",), (3.0,), (x, square, Step("op", OPS["tanh"], args=(1,))))
    >>> e.text, e.fn(*e.inputs).data == math.tanh(9.0)
    ('tanh(x0 * x0)', True)
    >>> e
    Expression('tanh(x0 * x0)', x0=3.0)
    """

    names: tuple[str, ...]
    inputs: tuple[float, ...]
    steps: tuple[Step, ...]
    text: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self._texts()[-1][0])

    def fn(self, *inputs: Value | float) -> Value:
        """Build the graph on the given inputs (Values or floats) and return its root.

        >>> e = Expression(("x0",), (2.0,), (Step("input"), Step("op", OPS["exp"], args=(0,))))
        >>> e.fn(0.0).data
        1.0
        """
        if len(inputs) != len(self.names):
            raise TypeError(f"this expression takes {len(self.names)} input(s), got {len(inputs)}")
        nodes: list[Value] = []
        for step in self.steps:
            if step.kind == "input":
                x = inputs[step.index]
                nodes.append(x if isinstance(x, Value) else Value(x, label=self.names[step.index]))
            elif step.kind == "const":
                nodes.append(Value(step.value))
            else:
                assert step.op is not None
                nodes.append(apply(step.op, *(nodes[i] for i in step.args), params=step.params))
        return nodes[-1]

    @property
    def ops(self) -> frozenset[str]:
        """Names of the op rows the graph uses.

        >>> Expression(("x0",), (1.0,), (Step("input"), Step("op", OPS["log"], args=(0,)))).ops
        frozenset({'log'})
        """
        return frozenset(s.op.name for s in self.steps if s.op is not None)

    def values(self) -> dict[str, float]:
        """The inputs by name, as ``microprop.expr.build`` takes them.

        >>> Expression(("x0",), (1.5,), (Step("input"),)).values()
        {'x0': 1.5}
        """
        return dict(zip(self.names, self.inputs))

    def command(self) -> str:
        """The ``microprop check`` command line for this expression at its inputs.

        >>> Expression(("x0",), (-1.5,), (Step("input"), Step("op", OPS["relu"], args=(0,)))).command()
        "microprop check 'relu(x0)' x0=-1.5"
        """
        assignments = " ".join(f"{name}={value!r}" for name, value in self.values().items())
        return f"microprop check {shlex.quote(self.text)} {assignments}"

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for name, value in self.values().items())
        return f"Expression({self.text!r}, {values})"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(repr(self))  # type: ignore[attr-defined]  # hypothesis shows failing examples so

    def _texts(self) -> list[tuple[str, int]]:
        """Each step's text with its precedence, parenthesized only where Python needs it."""
        texts: list[tuple[str, int]] = []
        for step in self.steps:
            if step.kind == "input":
                texts.append((self.names[step.index], _ATOM))
            elif step.kind == "const":
                texts.append((repr(step.value), _UNARY if step.value < 0 else _ATOM))
            else:
                assert step.op is not None
                texts.append(_op_text(step.op, [texts[i] for i in step.args], step.params))
        return texts


# precedences: a + b < a * b < -a < a ** b < names, numbers and calls
_ADD, _MUL, _UNARY, _POW, _ATOM = range(5)
#: Python's operators (a row's ``operator``): precedence, and the least precedence each operand
#: may have unparenthesized (a + (b + c) keeps its parentheses: it is another graph than a + b + c)
_INFIX = {
    "+": (_ADD, _ADD, _MUL),
    "*": (_MUL, _MUL, _UNARY),
    "**": (_POW, _ATOM, _UNARY),
}


def _wrap(text: tuple[str, int], least: int) -> str:
    return text[0] if text[1] >= least else f"({text[0]})"


def _op_text(op: Op, args: Sequence[tuple[str, int]], params: Sequence[float]) -> tuple[str, int]:
    """One step as ``microprop.expr`` text, with its precedence."""
    if OPS.get(op.name) is op and op.operator in _INFIX:
        precedence, left, right = _INFIX[op.operator]
        rights = [_wrap(a, right) for a in args[1:]] + [repr(p) for p in params]  # pow: a ** 2.0
        return f"{_wrap(args[0], left)} {op.operator} {rights[0]}", precedence
    # a function of microprop.expr (or a custom row)
    return f"{op.name}({', '.join([*(a[0] for a in args), *map(repr, params)])})", _ATOM


class _Builder:
    """Builds an expression program step by step, tracking each node's value, its
    derivative in every input (forward mode), its text length and its nesting."""

    def __init__(self, inputs: Sequence[float]) -> None:
        n = len(inputs)
        self.steps: list[Step] = []
        self.value: list[float] = []
        self.slope: list[tuple[float, ...]] = []  # d node / d input_i
        self.length: list[int] = []
        self.depth: list[int] = []
        self.picks: list[int] = []  # nodes an op may take: inputs and op results
        for i, x in enumerate(inputs):
            self._add(Step("input", index=i), x, tuple(float(i == j) for j in range(n)), 3, 0)
            self.picks.append(i)

    def _add(self, step: Step, value: float, slope: tuple[float, ...], length: int, depth: int) -> int:
        self.steps.append(step)
        self.value.append(value)
        self.slope.append(slope)
        self.length.append(length)
        self.depth.append(depth)
        return len(self.steps) - 1

    def const(self, value: float) -> int:
        return self._add(Step("const", value=value), value, (0.0,) * len(self.slope[0]), len(repr(value)), 0)

    def op(self, row: Op, args: Sequence[int], params: Sequence[float]) -> int:
        values = [self.value[i] for i in args]
        out = row.forward(*values, *params)
        local = row.partials(out, *values, *params)
        slope = tuple(
            sum(d * self.slope[i][j] for d, i in zip(local, args)) for j in range(len(self.slope[0]))
        )
        length = sum(self.length[i] for i in args) + len(row.name) + 6 + 20 * len(params)
        depth = 1 + max(self.depth[i] for i in args)
        return self._add(Step("op", row, tuple(args), tuple(params)), out, slope, length, depth)

    def finish(self, draw: Callable) -> int:
        """The root: the newest op result plus every earlier one no op used, while the text fits."""
        used = {a for s in self.steps for a in s.args}
        root = self.picks[-1]
        add = OPS["add"]
        for node in reversed(self.picks[len(self.slope[0]) : -1]):
            if node in used or self.length[root] + self.length[node] + 80 > MAX_TEXT:
                continue
            if self.depth[root] >= MAX_NESTING - 3 or self.depth[node] >= MAX_NESTING - 3:
                continue
            args = [self.adapt(draw, i, add.domain[k], ()) for k, i in enumerate((root, node))]
            root = self.op(add, args, ())
        return root

    def fits(self, index: int, bounds: tuple[float, float], kinks: Sequence[float]) -> bool:
        v = self.value[index]
        steep = max(map(abs, self.slope[index]))
        return (
            bounds[0] <= v <= bounds[1]
            and steep <= MAX_SLOPE
            and all(abs(v - k) >= KINK_CLEARANCE for k in kinks)
        )

    def adapt(self, draw: Callable, index: int, bounds: tuple[float, float], kinks: Sequence[float]) -> int:
        """Node ``index`` as it is if it fits the op's input, else ``node * 2**-k + shift``
        landing inside ``bounds``, away from ``kinks``, with a bounded slope."""
        if self.fits(index, bounds, kinks):
            return index
        v = self.value[index]
        steep = max(map(abs, self.slope[index]))
        scale = 1.0
        while abs(v * scale) > 4.0 or steep * scale > MAX_SLOPE:
            scale *= 0.5  # a power of two: scaling is exact
        target = draw(_targets(bounds, kinks))
        shift = round((target - v * scale) * 8) / 8  # short decimals in the text
        if scale != 1.0:
            index = self.op(OPS["mul"], (index, self.const(scale)), ())
        if shift != 0:
            index = self.op(OPS["add"], (index, self.const(shift)), ())
        if not self.fits(index, bounds, kinks):  # a custom row's narrow domain: land exactly
            index = self.op(OPS["add"], (index, self.const(target - self.value[index])), ())
        return index


def _targets(bounds: tuple[float, float], kinks: Sequence[float]) -> st.SearchStrategy[float]:
    """Where an adapted node lands: inside ``bounds`` (clipped to [-3, 3] when that
    leaves room), 10% away from its ends, and 0.25 away from kinks."""
    lo, hi = max(bounds[0], -3.0), min(bounds[1], 3.0)
    if lo >= hi:
        lo, hi = bounds
    pad = 0.1 * (hi - lo)
    clearance = min(0.25, 0.2 * (hi - lo))

    def clear(t: float) -> float:
        for k in kinks:
            if abs(t - k) < clearance:
                t = k + clearance if t >= k and k + clearance <= hi - pad else k - clearance
        return t

    return st.floats(lo + pad, hi - pad).map(clear)


def _rows(ops: Mapping[str, Op] | Iterable[Op]) -> tuple[Op, ...]:
    rows = tuple(ops.values()) if isinstance(ops, Mapping) else tuple(ops)
    if not rows:
        raise ValueError("expressions() needs at least one op row")
    return rows


@st.composite
def _expressions(draw: Callable, max_leaves: int, max_ops: int, rows: tuple[Op, ...]) -> Expression:
    n = draw(st.integers(1, max_leaves))
    inputs = [draw(st.floats(*INPUT_RANGE)) for _ in range(n)]
    b = _Builder(inputs)
    for _ in range(draw(st.integers(1, max_ops))):
        row = draw(st.sampled_from(rows))
        # operands counted back from the newest node: shrinks toward a chain, and may repeat (a + a)
        picks = [b.picks[-1 - draw(st.integers(0, len(b.picks) - 1))] for _ in range(row.arity)]
        params = [draw(params_in(row, i)) for i in range(len(row.params))]
        size = len(b.steps)
        args = [b.adapt(draw, p, row.domain[i], row.kinks if i == 0 else ()) for i, p in enumerate(picks)]
        node = b.op(row, args, params)
        if b.length[node] > MAX_TEXT or b.depth[node] > MAX_NESTING:
            del b.steps[size:], b.value[size:], b.slope[size:], b.length[size:], b.depth[size:]
            continue  # the text would be too long: skip this op
        b.picks.append(node)
    return _prune(b.steps, b.finish(draw), inputs)


def _prune(steps: Sequence[Step], root: int, inputs: Sequence[float]) -> Expression:
    """Keep the steps the root depends on; name the inputs it uses x0, x1, ... (as gradcheck does)"""
    needed = {root}
    for i in range(root, -1, -1):
        if i in needed:
            needed.update(steps[i].args)
    kept = sorted(needed)
    new_index = {old: new for new, old in enumerate(kept)}
    used = sorted(steps[i].index for i in kept if steps[i].kind == "input")
    input_number = {old: new for new, old in enumerate(used)}
    program = []
    for i in kept:
        s = steps[i]
        if s.kind == "input":
            program.append(Step("input", index=input_number[s.index]))
        else:
            program.append(Step(s.kind, s.op, tuple(new_index[a] for a in s.args), s.params, 0, s.value))
    names = tuple(f"x{k}" for k in range(len(used)))
    return Expression(names, tuple(inputs[i] for i in used), tuple(program))


def expressions(
    max_leaves: int = 3, max_ops: int = 8, ops: Mapping[str, Op] | Iterable[Op] = OPS
) -> st.SearchStrategy[Expression]:
    """Random expression graphs over ``ops`` (every row of the table by default) on up to
    ``max_leaves`` inputs and ``max_ops`` op rows, shrinking to small graphs.

    Operands may repeat (``x0 + x0``) and be shared by later ops; op results no later op
    used are added to the root. Each op's inputs stay inside its row's ``domain`` and
    clear of its ``kinks``: a node that would not fit is fed to it through an adapter,
    ``node * 2**-k + shift`` (an add and a mul with constants, visible in ``text``), which
    also bounds every slope, so ``gradcheck`` holds with its default tolerances.

    >>> from hypothesis import find
    >>> from microprop.gradcheck import gradcheck
    >>> e = find(expressions(), lambda e: "log" in e.ops and len(e.inputs) == 2)
    >>> gradcheck(e.fn, e.inputs).ok
    True
    >>> e.command().startswith("microprop check ")
    True
    """
    if max_leaves < 1 or max_ops < 1:
        raise ValueError("expressions() needs max_leaves >= 1 and max_ops >= 1")
    return _expressions(max_leaves, max_ops, _rows(ops))
