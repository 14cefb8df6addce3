"""``microprop step EXPR name=value ...``: print the forward and backward pass, step by step."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from ..autograd import forward_tangents
from ..engine import Value
from ..explain import backward_steps, forward_mode_lines, forward_steps, leaf_summary, node_names
from ..expr import ExprError
from ..i18n import N_, tr
from ..naming import fmt
from ._common import add_expression_arguments, build_from_args, parse_assignments, report_error, subcommand

DESCRIPTION = N_(
    """\
Print the forward pass and then the backward pass of an expression, one node at a
time. Variables keep their names; every other node is named a, b, c, ... in the order
it is computed. Each backward step shows the node's grad, and what it sends to each
input: local derivative × upstream grad = contribution. A node used by several ops
collects one contribution from each, and they add up. As in micrograd, a - b is built
as a + b×(-1) and a / b as a × b^-1, so each shows as two steps."""
)

EXAMPLES = N_(
    """\
  microprop step "x * y" x=2 y=-3
  microprop step "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
  microprop step "x*x + exp(x)" x=0.5            (x feeds two ops: its grads add up)
  microprop step "-x / y" x=1 y=2
  microprop step "x*y + tanh(x)" x=1 y=2 --tangent x=1   (forward mode too: d/dx in one sweep)"""
)

TANGENT_HELP = N_(
    "forward mode too: a tangent for a variable (repeat for others; the rest get 0). "
    "Each node's tangent is printed after the forward pass, and the directional derivative "
    "at the end, next to grad · tangent from the backward pass"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``step`` subcommand."""
    parser = subcommand(subparsers, "step", N_("print the forward and backward steps"), DESCRIPTION, EXAMPLES)
    add_expression_arguments(parser)
    parser.add_argument("--tangent", metavar="name=value", action="append", default=[], help=tr(TANGENT_HELP))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the walk; 0 on success, 2 on a bad expression or tangent.

    >>> run(argparse.Namespace(expr="x * y", assignments=["x=2", "y=-3"]))
    forward
      x = 2.0
      y = -3.0
      a = x × y = (2.0)(-3.0) = -6.0
    backward
    step 1  a = x × y   (×)   a.grad = 1.0
        -> x.grad += y × a.grad = (-3.0)(1.0) = -3.0   (rule: ∂a/∂x = y)
        -> y.grad += x × a.grad = (2.0)(1.0) = 2.0   (rule: ∂a/∂y = x)
    grads
      x.grad = -3.0
      y.grad = 2.0
    0
    """
    try:
        root, leaves = build_from_args(args.expr, args.assignments)
        seeds = parse_tangents(getattr(args, "tangent", None) or [], leaves)
    except ExprError as err:
        return report_error(err)
    names = node_names(root)
    print(tr("forward"))
    for forward in forward_steps(root, names):
        print("  " + forward.text())
    if seeds:
        for line in forward_mode_lines(root, seeds, names):
            print(line)
    steps = backward_steps(root, names)
    print(tr("backward"))
    if not steps:
        derivative = f"d{names[root]}/d{names[root]} = 1"
        if leaves:
            print(
                "  "
                + tr("(the expression is a single variable: {derivative}, no steps)", derivative=derivative)
            )
        else:
            print(
                "  "
                + tr("(the expression is a single number: {derivative}, no steps)", derivative=derivative)
            )
    for step in steps:
        print(step.text())
    print(tr("grads"))
    if not leaves:
        print("  " + tr("(the expression has no variables)"))
    for line in leaf_summary(steps, [(leaf, name) for name, leaf in leaves.items()]):
        print("  " + line)
    if seeds:
        for line in directional_lines(names[root], forward_tangents(root, seeds)[root], seeds, leaves):
            print(line)
    return 0


def parse_tangents(assignments: Sequence[str], leaves: dict[str, Value]) -> dict[Value, float]:
    """The seed of each ``--tangent name=value``, by leaf; ``ExprError`` for a name that is
    no variable of the expression, or one given twice.

    >>> x = Value(1.0, label="x")
    >>> parse_tangents(["x=1"], {"x": x}) == {x: 1.0}
    True
    >>> parse_tangents(["z=1"], {"x": x})
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: --tangent z=1: 'z' is not a variable of the expression (its variables: x)
    """
    seeds: dict[Value, float] = {}
    values = parse_assignments(assignments)  # one per text, in order: a repeated name is refused
    for given, (name, value) in zip(assignments, values.items()):
        if name not in leaves:
            if not leaves:
                raise ExprError(tr("--tangent {given}: the expression has no variables", given=given))
            raise ExprError(
                tr(
                    "--tangent {given}: {name} is not a variable of the expression (its variables: {variables})",
                    given=given,
                    name=repr(name),
                    variables=", ".join(leaves),
                )
            )
        seeds[leaves[name]] = value
    return seeds


def directional_lines(
    root_name: str, tangent: float, seeds: dict[Value, float], leaves: dict[str, Value]
) -> list[str]:
    """The closing lines of ``step --tangent``: the root's tangent from the forward sweep,
    and the same derivative from the backward pass, Σ grad × tangent over the variables
    (their grads filled, as ``backward_steps`` leaves them).

    >>> x = Value(2.0, label="x"); y = Value(3.0, label="y"); z = x * y
    >>> z.backward()
    >>> for line in directional_lines("z", 3.0, {x: 1.0}, {"x": x, "y": y}):
    ...     print(line)
    directional derivative
      z.t = 3.0   (forward mode: one sweep along the tangents)
      grad · tangent = x.grad × x.t + y.grad × y.t = (3.0)(1.0) + (2.0)(0.0) = 3.0   (reverse mode: from the grads above)
      equal: forward mode gives one direction per sweep, reverse mode every grad in one sweep
    """
    terms = " + ".join(f"{name}.grad × {name}.t" for name in leaves)
    numbers = " + ".join(f"({fmt(leaf.grad)})({fmt(seeds.get(leaf, 0.0))})" for leaf in leaves.values())
    dot = sum(leaf.grad * seeds.get(leaf, 0.0) for leaf in leaves.values())
    product = f"{terms} = {numbers} = {fmt(dot)}"
    same = math.isclose(dot, tangent, rel_tol=1e-9, abs_tol=1e-12) or (
        math.isnan(dot) and math.isnan(tangent)
    )
    return [
        tr("directional derivative"),
        "  "
        + tr(
            "{tangent}   (forward mode: one sweep along the tangents)",
            tangent=f"{root_name}.t = {fmt(tangent)}",
        ),
        "  " + tr("grad · tangent = {product}   (reverse mode: from the grads above)", product=product),
        "  "
        + (
            tr("equal: forward mode gives one direction per sweep, reverse mode every grad in one sweep")
            if same
            else tr("not equal: rounding, or an inf or nan on the way")
        ),
    ]
