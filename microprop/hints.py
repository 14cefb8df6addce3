"""Why a guessed grad is wrong: the likely slip, named from the explainer's steps.

The CLI quiz (``microprop quiz``) and the stepper's quiz mode (``microprop.viz.scene``)
both explain a wrong answer with :func:`hint`, so the two say the same thing.

>>> from microprop import Value
>>> from microprop.explain import backward_steps
>>> x = Value(2.0, label="x"); y = Value(-3.0, label="y"); z = x * y; z.label = "z"
>>> hint(-3.0, y, backward_steps(z), 1e-3)
"that is the node's value (-3.0), not its grad d(output)/d(node)"
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .engine import Value
from .explain import BackwardStep, Contribution
from .i18n import tr
from .naming import fmt


def is_right(answer: float, truth: float, rtol: float = 1e-3) -> bool:
    """Within ``rtol`` of the truth (an exact 0 needs 0 within 1e-9).

    >>> is_right(0.7071, 0.70710678), is_right(0.71, 0.70710678), is_right(0, 0.0)
    (True, False, True)
    """
    if math.isnan(truth):
        return math.isnan(answer)
    return math.isclose(answer, truth, rel_tol=rtol, abs_tol=1e-9)


def hint(answer: float, node: Value, steps: list[BackwardStep], rtol: float) -> str:
    """The likely slip behind a wrong answer, or ``""`` when none is recognised.

    >>> from microprop.explain import backward_steps
    >>> x = Value(0.5, label="x"); y = x * x + x.exp(); steps = backward_steps(y)
    >>> hint(1.0, x, steps, 1e-3)  # 0.5 + 0.5 from x * x, the exp contribution forgotten
    'one contribution is missing: this node is used several times, add every contribution'
    >>> hint(2.0, x, steps, 1e-3)
    'x feeds 2 ops (3 contributions): work out each one (local derivative × upstream grad), then add them all'
    """
    received = [c for s in steps for c in s.contributions if c.parent is node]

    def close(x: float) -> bool:
        return is_right(answer, x, rtol)

    if len(received) > 1:
        total = sum(c.value for c in received)
        if any(close(c.value) for c in received):
            if len(received) == 2:
                return tr("that is one contribution only: this node is used 2 times, add both contributions")
            return tr(
                "that is one contribution only: this node is used {count} times, add all contributions",
                count=len(received),
            )
        if any(close(total - c.value) for c in received):
            return tr("one contribution is missing: this node is used several times, add every contribution")
        consumers = {id(s) for s in steps for c in s.contributions if c.parent is node}
        return tr(
            "{name} feeds {ops} ops ({count} contributions): work out each one "
            "(local derivative × upstream grad), then add them all",
            name=received[0].parent_name,
            ops=len(consumers),
            count=len(received),
        )
    for c in received:
        if c.upstream != 1 and close(c.local):
            return tr(
                "that is the local derivative {rule} alone: multiply it by the upstream grad {upstream}",
                rule=_rule_value(c),
                upstream=f"{c.upstream_name} = {fmt(c.upstream)}",
            )
        if c.local != 1 and close(c.upstream):
            return tr(
                "that is the upstream grad {upstream} alone: multiply it by the local derivative {rule}",
                rule=_rule_value(c),
                upstream=f"{c.upstream_name} = {fmt(c.upstream)}",
            )
    for c in received:
        slip = _partial_upstream(c, steps, close)
        if slip:
            return slip
    if node.grad != 0 and close(-node.grad):
        return tr("the sign is off")
    if close(node.data) and node.data != 0:
        return tr("that is the node's value ({value}), not its grad d(output)/d(node)", value=fmt(node.data))
    return ""


def _partial_upstream(c: Contribution, steps: list[BackwardStep], close: Callable[[float], bool]) -> str:
    """The hint when the answer multiplies the local derivative by only part of an upstream
    grad that collects several contributions (one of them, or all but one).

    >>> from microprop.explain import backward_steps
    >>> x = Value(3.0, label="x"); w = Value(0.5, label="w"); n = x * w; n.label = "n"
    >>> steps = backward_steps(n * n + n); c = steps[-1].contributions[1]  # w.grad = x × n.grad
    >>> _partial_upstream(c, steps, lambda answer: answer == 3.0 * 1.5)
    'that is x × 1.5, part of n.grad only: n is used 3 times, add all its contributions (n.grad = 4.0)'
    """
    upstream = next(s.node for s in steps if any(d is c for d in s.contributions))
    parts = [d.value for s in steps for d in s.contributions if d.parent is upstream]
    if len(parts) < 2:
        return ""
    total = sum(parts)
    for partial in parts + [total - p for p in parts]:
        if partial != total and close(c.local * partial):
            fields = {
                "product": f"{c.local_formula} × {fmt(partial)}",
                "upstream": c.upstream_name,
                "name": c.upstream_name.removesuffix(".grad"),
                "grad": f"{c.upstream_name} = {fmt(total)}",
            }
            if len(parts) == 2:
                return tr(
                    "that is {product}, one contribution to {upstream} only: "
                    "{name} is used 2 times, add the other one ({grad})",
                    **fields,
                )
            return tr(
                "that is {product}, part of {upstream} only: "
                "{name} is used {count} times, add all its contributions ({grad})",
                count=len(parts),
                **fields,
            )
    return ""


def _rule_value(c: Contribution) -> str:
    """``∂c/∂a = b = 2.0``, or just ``∂e/∂d = 1`` when the rule is a number already."""
    try:
        same = float(c.named_rule.rsplit(" = ", 1)[1]) == c.local
    except ValueError:
        same = False
    return c.named_rule if same else f"{c.named_rule} = {fmt(c.local)}"
