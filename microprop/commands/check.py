"""``microprop check EXPR name=value ...``: compare the engine's grads with finite differences."""

from __future__ import annotations

import argparse

from ..expr import ExprError, parse_program
from ..gradcheck import gradcheck
from ..i18n import N_, tr
from ._common import (
    add_expression_arguments,
    build_from_args,
    non_negative_float,
    positive_float,
    report_error,
    subcommand,
)

DESCRIPTION = N_(
    """\
Check the engine's gradient of an expression against central finite differences
(f(x + eps) - f(x - eps)) / 2eps, in float64, for every variable. Prints one row per
variable: the point, the analytic grad (backprop), the numeric grad, their difference
and the tolerance atol + rtol·|numeric|. When a side is inf or nan no tolerance
can compare them: the row is marked ?? (inconclusive), and the note names the node
where the first inf or nan appeared (an exp that overflowed, a log of a negative).

exit status: 0 when every grad matches, 1 on a mismatch or an inconclusive
check, 2 on bad input.
Near a kink (relu or abs at 0) the two sides legitimately differ."""
)

EXAMPLES = N_(
    """\
  microprop check "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
  microprop check "log(x) / x" x=0.5 --eps 1e-7
  microprop check "relu(x)" x=0                  (fails: relu has a kink at 0)"""
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand."""
    parser = subcommand(
        subparsers, "check", N_("check the grads against finite differences"), DESCRIPTION, EXAMPLES
    )
    add_expression_arguments(parser)
    parser.add_argument(
        "--eps", type=positive_float, default=1e-6, help=tr("finite-difference step (default 1e-6)")
    )
    parser.add_argument(
        "--atol", type=non_negative_float, default=1e-5, help=tr("absolute tolerance (default 1e-5)")
    )
    parser.add_argument(
        "--rtol", type=non_negative_float, default=1e-3, help=tr("relative tolerance (default 1e-3)")
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the gradcheck table; 0 pass, 1 mismatch, 2 bad input.

    >>> run(argparse.Namespace(expr="x * y", assignments=["x=2", "y=-3"], eps=1e-6, atol=1e-5, rtol=1e-3))
    ... # doctest: +ELLIPSIS
    gradcheck (central differences, eps=1e-06, tol = 1e-05 + 0.001·|numeric|)
    ok          x at 2            analytic -3 ...
    ok          y at -3           analytic 2 ...
    all gradients match
    0
    """
    try:
        _, leaves = build_from_args(args.expr, args.assignments)
        program = parse_program(args.expr)
    except ExprError as err:
        return report_error(err)
    names = list(leaves)
    if not names:
        print(tr("the expression has no variables: nothing to check"))
        return 0

    def fn(*values):  # the same expression, rebuilt on gradcheck's leaves
        return program.evaluate(dict(zip(names, values)))

    report = gradcheck(
        fn,
        [leaves[n].data for n in names],
        args.eps,
        args.atol,
        args.rtol,
        raise_on_failure=False,
        names=names,
    )
    print(report.text())
    return 0 if report.ok and not report.inconclusive else 1
