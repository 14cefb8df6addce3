"""``microprop step EXPR name=value ...``: print the forward and backward pass, step by step."""

from __future__ import annotations

import argparse

from ..explain import backward_steps, forward_steps, leaf_summary, node_names
from ..expr import ExprError
from ..i18n import N_, tr
from ._common import add_expression_arguments, build_from_args, report_error, subcommand

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
  microprop step "-x / y" x=1 y=2"""
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``step`` subcommand."""
    parser = subcommand(subparsers, "step", N_("print the forward and backward steps"), DESCRIPTION, EXAMPLES)
    add_expression_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the walk; 0 on success, 2 on a bad expression.

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
    except ExprError as err:
        return report_error(err)
    names = node_names(root)
    print(tr("forward"))
    for forward in forward_steps(root, names):
        print("  " + forward.text())
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
    return 0
