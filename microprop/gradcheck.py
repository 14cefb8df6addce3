"""Check analytic gradients against central finite differences.

>>> from microprop import Value
>>> report = gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.5, -1.2])
>>> report.ok
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .engine import Value
from .i18n import language, tr
from .naming import fmt, node_names

Fn = Callable[..., Value]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when an analytic grad disagrees with the numeric one.

    The message names each failing input with its point, the analytic and numeric
    grads, their difference and the tolerance, then shows the whole table;
    ``report`` holds the details (``report.failing_nodes()`` for a drawing).

    >>> try:
    ...     gradcheck(lambda x: x * Value(x.data), [3.0], names=["x"])  # hides one path
    ... except GradcheckError as err:
    ...     print(err.report.failures[0].describe())
    d/dx disagrees at x = 3: analytic 3, numeric 6, difference 3 > tolerance 0.00601
    """

    def __init__(self, report: GradcheckReport) -> None:
        self.report = report
        lines = [c.describe(report.point_text()) for c in report.failures]
        super().__init__("\n".join([*lines, "", report.text()]))


@dataclass(frozen=True)
class InputCheck:
    """The comparison for one input: analytic vs numeric derivative."""

    index: int
    name: str
    point: float
    analytic: float
    numeric: float
    tolerance: float

    @property
    def difference(self) -> float:
        """``|analytic - numeric|``: 0 for the same float (equal infinities, or both nan),
        ``inf`` when only one side is finite or only one is nan.

        >>> [InputCheck(0, "x", 1.0, 3.0, numeric, 1e-5).difference for numeric in (3.5, math.nan)]
        [0.5, inf]
        """
        if self.analytic == self.numeric or (math.isnan(self.analytic) and math.isnan(self.numeric)):
            return 0.0
        diff = abs(self.analytic - self.numeric)
        return math.inf if math.isnan(diff) else diff

    @property
    def finite(self) -> bool:
        """Whether both the analytic and the numeric value are finite numbers.

        >>> InputCheck(0, "x", 0.0, math.inf, 1.0, 1e-5).finite
        False
        """
        return math.isfinite(self.analytic) and math.isfinite(self.numeric)

    @property
    def ok(self) -> bool:
        """Whether the difference is within tolerance. When either side is inf or nan
        no tolerance applies: they agree only if they are the same float.

        >>> InputCheck(0, "x", 1e-6, -1e12, -math.inf, math.inf).ok
        False
        """
        if not self.finite:
            return self.difference == 0.0
        return self.difference <= self.tolerance

    def describe(self, point: str = "", lang: str | None = None) -> str:
        """One sentence naming everything about this input's comparison.

        >>> InputCheck(0, "x", 3.0, 3.0, 6.0, 0.00601).describe()
        'd/dx disagrees at x = 3: analytic 3, numeric 6, difference 3 > tolerance 0.00601'
        >>> InputCheck(0, "x", 3.0, 3.0, 6.0, 0.00601).describe(lang="ko")
        'd/dx 불일치 (x = 3): 해석적 3, 수치 6, 차이 3 > 허용 오차 0.00601'
        """
        fields = {
            "derivative": f"d/d{self.name}",
            "where": point or f"{self.name} = {self.point:.6g}",
            "analytic": f"{self.analytic:.8g}",
            "numeric": f"{self.numeric:.8g}",
            "difference": f"{self.difference:.3g}",
            "tolerance": f"{self.tolerance:.3g}",
        }
        with language(lang):
            if not self.finite and self.ok:
                return tr(
                    "{derivative} agrees at {where}: analytic {analytic}, numeric {numeric} "
                    "(with inf or nan no tolerance applies: the two must be the same float)",
                    **fields,
                )
            if not self.finite:
                return tr(
                    "{derivative} disagrees at {where}: analytic {analytic}, numeric {numeric} "
                    "(with inf or nan no tolerance applies: the two must be the same float)",
                    **fields,
                )
            if self.ok:
                return tr(
                    "{derivative} agrees at {where}: analytic {analytic}, numeric {numeric}, "
                    "difference {difference} <= tolerance {tolerance}",
                    **fields,
                )
            return tr(
                "{derivative} disagrees at {where}: analytic {analytic}, numeric {numeric}, "
                "difference {difference} > tolerance {tolerance}",
                **fields,
            )

    def text(self) -> str:
        """One table row: input, point, analytic, numeric, difference, tolerance
        (``exact`` when a side is inf or nan: then the row is marked ``??``, inconclusive).

        >>> print(InputCheck(0, "x", 0.0, math.inf, math.nan, 0.0).text())
        ??          x at 0            analytic inf            numeric nan...|diff| inf        tol exact
        """
        return tr(
            "{mark} {name:>8} at {point:<12.6g} analytic {analytic:<14.8g} "
            "numeric {numeric:<14.8g} |diff| {difference:<10.3g} tol {tolerance}",
            mark=tr("??  ") if not self.finite else tr("ok  ") if self.ok else tr("FAIL"),
            name=self.name,
            point=self.point,
            analytic=self.analytic,
            numeric=self.numeric,
            difference=self.difference,
            tolerance=f"{self.tolerance:.3g}" if self.finite else tr("exact"),
        )


@dataclass(frozen=True)
class GradcheckReport:
    """All input comparisons of one gradcheck call, and the graph they came from.

    >>> report = gradcheck(lambda x, y: x * y, [3.0, -1.0], names=["x", "y"])
    >>> [(c.name, c.analytic) for c in report.checks], report.ok
    ([('x', -1.0), ('y', 3.0)], True)
    """

    checks: tuple[InputCheck, ...]
    eps: float
    atol: float
    rtol: float
    root: Value | None = field(default=None, compare=False)
    inputs: tuple[Value, ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        """True when every input passed.

        >>> gradcheck(lambda x: x * x, [3.0]).ok
        True
        """
        return all(c.ok for c in self.checks)

    @property
    def inconclusive(self) -> tuple[InputCheck, ...]:
        """The inputs whose analytic or numeric grad is nan or inf: no tolerance can
        compare them, so they neither pass nor fail (``microprop check`` exits 1).

        >>> report = gradcheck(lambda a: a.exp().log(), [1000.0], raise_on_failure=False, names=["a"])
        >>> [(c.name, c.analytic, c.numeric) for c in report.inconclusive]
        [('a', nan, nan)]
        """
        return tuple(c for c in self.checks if not c.finite)

    def first_non_finite(self) -> str:
        """Where the first inf or nan appeared: the first node (in the forward pass) whose
        value is inf or nan from finite inputs, else the first grad (in the backward pass)
        that is; ``""`` when the graph holds none.

        >>> gradcheck(lambda a: a.exp().log(), [1000.0], raise_on_failure=False, names=["a"]).first_non_finite()
        'the first inf or nan: b = exp(a) = exp(1000.0) = inf (exp overflowed)'
        """
        if self.root is None:
            return ""
        order = self.root.topo_order()
        names = node_names(self.root, order)
        for node in order:
            if node.op is None and not math.isfinite(node.data):
                return tr(
                    "the first inf or nan: the input {name} = {value}", name=names[node], value=fmt(node.data)
                )
            inputs = [p.data for p in node.parents]
            if node.op is not None and not math.isfinite(node.data) and all(map(math.isfinite, inputs)):
                args = ", ".join(names[p] for p in node.parents)
                shown = ", ".join(fmt(x) for x in (*inputs, *node.params))
                values = {"name": names[node], "op": node.op.name, "args": args, "values": shown}
                if math.isinf(node.data):
                    return tr(
                        "the first inf or nan: {name} = {op}({args}) = {op}({values}) = {value} ({op} overflowed)",
                        value=fmt(node.data),
                        **values,
                    )
                return tr(
                    "the first inf or nan: {name} = {op}({args}) = {op}({values}) = {value} "
                    "({op} is outside its domain there)",
                    value=fmt(node.data),
                    **values,
                )
        for node in reversed(order):
            if not math.isfinite(node.grad):
                return tr(
                    "the first inf or nan of the backward pass: {name}.grad = {value}",
                    name=names[node],
                    value=fmt(node.grad),
                )
        return ""

    @property
    def failures(self) -> tuple[InputCheck, ...]:
        """The inputs that disagree.

        >>> report = gradcheck(lambda x: x * Value(x.data), [3.0], raise_on_failure=False)
        >>> [(c.name, c.analytic, round(c.numeric, 6)) for c in report.failures]
        [('x0', 3.0, 6.0)]
        """
        return tuple(c for c in self.checks if not c.ok)

    def failing_nodes(self) -> list[Value]:
        """The input Values that disagree, e.g. to mark them in a drawing.

        >>> report = gradcheck(lambda x, y: x * Value(x.data) + y, [3.0, 1.0], raise_on_failure=False)
        >>> [v.label for v in report.failing_nodes()], report.failing_nodes()[0] is report.inputs[0]
        (['x0'], True)
        """
        return [self.inputs[c.index] for c in self.failures]

    def point_text(self) -> str:
        """The point checked, every input by name.

        >>> gradcheck(lambda x, y: x * y, [3.0, -1.0], names=["x", "y"]).point_text()
        '(x = 3, y = -1)'
        """
        return "(" + ", ".join(f"{c.name} = {c.point:.6g}" for c in self.checks) + ")"

    def kinks(self) -> list[str]:
        """Notes on nodes whose input sits within ``2·eps`` of a kink of their op (relu
        at 0, ...), where the derivative jumps and finite differences cannot agree.

        >>> print(*gradcheck(lambda x: x.relu(), [0.0], raise_on_failure=False).kinks())
        note: relu's input is 0, at its kink 0: the derivative jumps there, so finite differences ...
        """
        if self.root is None:
            return []
        notes = []
        for node in self.root.topo_order():
            op = node.op
            if op is None or not op.kinks or not node.parents:
                continue
            x = node.parents[0].data
            for kink in op.kinks:
                if abs(x - kink) <= 2 * self.eps:
                    notes.append(
                        tr(
                            "note: {op}'s input is {x}, at its kink {kink}: "
                            "the derivative jumps there, so finite differences cannot match it",
                            op=op.name,
                            x=f"{x:.6g}",
                            kink=f"{kink:g}",
                        )
                    )
        return notes

    def domain_notes(self) -> list[str]:
        """Notes on nan: an op whose output is nan from non-nan inputs (log of a negative
        number, ...), or a numeric grad that is nan or infinite because ``x ± eps`` leaves
        the domain or reaches a pole.

        >>> gradcheck(lambda x: x.log(), [-1.0], raise_on_failure=False).domain_notes()
        ["note: log(-1) is nan: the point is outside the op's domain"]
        """
        notes = []
        if self.root is not None:
            for node in self.root.topo_order():
                inputs = [p.data for p in node.parents]
                if node.op is not None and math.isnan(node.data) and not any(map(math.isnan, inputs)):
                    shown = ", ".join(f"{x:.6g}" for x in inputs)
                    where = f"{node.op.name}({shown})"
                    notes.append(
                        tr("note: {where} is nan: the point is outside the op's domain", where=where)
                    )
        if not notes:
            for c in self.failures:
                if math.isnan(c.numeric):
                    notes.append(
                        tr(
                            "note: the numeric grad for {name} is nan: fn is nan or infinite within eps of "
                            "the point (the edge of an op's domain), so finite differences are undefined there",
                            name=c.name,
                        )
                    )
                elif math.isinf(c.numeric):
                    notes.append(
                        tr(
                            "note: the numeric grad for {name} is {numeric}: fn is infinite within eps of "
                            "the point (a pole, like 1/x at 0), so finite differences are undefined there",
                            name=c.name,
                            numeric=f"{c.numeric:g}",
                        )
                    )
        return notes

    def notes(self) -> list[str]:
        """Why a check may legitimately fail: kinks and domain edges.

        >>> report = gradcheck(lambda x: x.abs() + (x - 1).log(), [0.0], raise_on_failure=False)
        >>> [note.split(": ")[1] for note in report.notes()]
        ["abs's input is 0, at its kink 0", 'log(-1) is nan']
        """
        return self.kinks() + self.domain_notes()

    def text(self, lang: str | None = None) -> str:
        """A readable table, one input per row, with a verdict line and notes on failure
        (in ``lang``: ``"en"`` or ``"ko"``, by default the language in effect).

        >>> print(gradcheck(lambda x: x.relu(), [0.0], raise_on_failure=False, names=["x"]).text())
        ... # doctest: +ELLIPSIS
        gradcheck (central differences, eps=1e-06, tol = 1e-05 + 0.001·|numeric|)
        FAIL        x at 0            analytic 0              numeric 0.5 ...
        1 of 1 gradients disagree
        note: relu's input is 0, at its kink 0: ...
        """
        with language(lang):
            head = tr(
                "gradcheck (central differences, eps={eps}, tol = {atol} + {rtol}·|numeric|)",
                eps=f"{self.eps:g}",
                atol=f"{self.atol:g}",
                rtol=f"{self.rtol:g}",
            )
            total = len(self.checks)
            failed = [c for c in self.failures if c.finite]
            verdicts = (
                [tr("{failed} of {total} gradients disagree", failed=len(failed), total=total)]
                if failed
                else []
            )
            if self.inconclusive:
                verdicts.append(
                    tr(
                        "inconclusive: {count} of {total} gradients are inf or nan (analytic or numeric), "
                        "which no tolerance can compare",
                        count=len(self.inconclusive),
                        total=total,
                    )
                )
            verdict = "; ".join(verdicts) or tr("all gradients match")
            notes = (
                [] if not verdicts else [line for line in [self.first_non_finite()] if line] + self.notes()
            )
            return "\n".join([head, *(c.text() for c in self.checks), verdict, *notes])


def numeric_grad(fn: Fn, point: Sequence[float], i: int, eps: float = 1e-6) -> float:
    """Central difference ``(f(x + eps) - f(x - eps)) / 2eps`` in input ``i``.

    >>> round(numeric_grad(lambda x: x * x, [3.0], 0), 6)
    6.0
    """
    up = list(point)
    down = list(point)
    up[i] += eps
    down[i] -= eps
    f_up = fn(*map(Value, up)).data
    f_down = fn(*map(Value, down)).data
    return (f_up - f_down) / (2 * eps)


def gradcheck(
    fn: Fn,
    inputs: Sequence[float | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_on_failure: bool = True,
    names: Sequence[str] | None = None,
) -> GradcheckReport:
    """Compare ``fn``'s analytic gradient with central differences at ``inputs``.

    ``fn`` takes one ``Value`` per input and returns a ``Value``. Each input passes
    when ``|analytic - numeric| <= atol + rtol·|numeric|``. A mismatch raises
    ``GradcheckError`` whose message is the report's table; with
    ``raise_on_failure=False`` the report is returned instead (``report.ok``).

    >>> gradcheck(lambda x: x.relu(), [2.0]).ok
    True
    >>> bad = lambda x: x * Value(x.data)   # hides one path from the graph
    >>> gradcheck(bad, [3.0])
    Traceback (most recent call last):
    ...
    microprop.gradcheck.GradcheckError: d/dx0 disagrees at (x0 = 3): analytic 3, numeric 6, ...
    <BLANKLINE>
    gradcheck (central differences, eps=1e-06, tol = 1e-05 + 0.001·|numeric|)
    FAIL       x0 at 3            analytic 3              numeric 6              |diff| 3          tol 0.00601
    1 of 1 gradients disagree
    """
    point = [float(x.data if isinstance(x, Value) else x) for x in inputs]
    labels = names or [x.label if isinstance(x, Value) else "" for x in inputs]
    leaves = tuple(Value(x, label=labels[i] or f"x{i}") for i, x in enumerate(point))
    root = fn(*leaves)
    if not isinstance(root, Value):
        raise TypeError(f"gradcheck: fn must return a Value, not {type(root).__name__}")
    root.backward()
    checks = []
    for i, leaf in enumerate(leaves):
        numeric = numeric_grad(fn, point, i, eps)
        finite = math.isfinite(numeric) and math.isfinite(leaf.grad)
        tolerance = atol + rtol * abs(numeric) if finite else 0.0  # inf or nan: the same float, or a mismatch
        checks.append(InputCheck(i, leaf.label, point[i], leaf.grad, numeric, tolerance))
    report = GradcheckReport(tuple(checks), eps, atol, rtol, root, leaves)
    if raise_on_failure and not report.ok:
        raise GradcheckError(report)
    return report
