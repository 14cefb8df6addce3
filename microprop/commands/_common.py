"""What every expression subcommand shares: the ``EXPR name=value ...`` arguments,
building the graph from them, and reporting bad input (exit status 2).

>>> root, leaves = build_from_args("x * y", ["x=2", "y=-3"])
>>> root.data, leaves["x"].label
(-6.0, 'x')
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence, TextIO

from ..engine import Value
from ..expr import ExprError, build, parse_assignment

EXPR_HELP = """the expression, in quotes: numbers, variables, + - * / ** and
the functions abs elu exp leaky_relu log relu sigmoid softplus tanh, as in
"tanh(x*w + b)"; leaky_relu and elu take an optional number: leaky_relu(x, 0.1)"""
ASSIGN_HELP = "a value for each variable, like x1=2 w1=-3"


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the positional ``EXPR`` and ``name=value ...`` arguments."""
    parser.add_argument("expr", metavar="EXPR", help=EXPR_HELP)
    parser.add_argument("assignments", metavar="name=value", nargs="*", help=ASSIGN_HELP)


def build_from_args(expr: str, assignments: Sequence[str]) -> tuple[Value, dict[str, Value]]:
    """Parse the assignments and build the expression's graph.

    Returns the root and the leaf Value of each variable (labelled by its name).
    Raises ``ExprError`` naming the bad assignment, the duplicate, the missing or
    unused variable, or pointing at the bad part of the expression.

    >>> build_from_args("x + 1", ["x=1", "x=2"])
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: 'x' is given twice (x=1, then x=2)
    """
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    for text in assignments:
        assignment = parse_assignment(text)
        if assignment.name in values:
            raise ExprError(f"{assignment.name!r} is given twice ({given[assignment.name]}, then {text})")
        values[assignment.name] = assignment.value
        given[assignment.name] = text
    return build(expr, values)


def report_error(err: ExprError, stream: TextIO | None = None) -> int:
    """Print ``microprop: error: ...`` with the caret picture; return exit status 2.

    >>> report_error(ExprError("unknown function 'foo'", "foo(x)", 0, 3), sys.stdout)
    microprop: error: unknown function 'foo'
      foo(x)
      ^^^
    2
    """
    print(f"microprop: error: {err.pretty()}", file=stream or sys.stderr)
    return 2


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_float(text: str) -> float:
    """An option value above 0 and finite (for ``--eps``), else a usage error.

    >>> positive_float("1e-6")
    1e-06
    """
    value = _number(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def non_negative_float(text: str) -> float:
    """An option value of 0 or more (for tolerances), else a usage error.

    >>> non_negative_float("0")
    0.0
    """
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def subcommand(
    subparsers: argparse._SubParsersAction, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` shows the description and examples as written."""
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # argparse takes any word starting with "-" for an option; let an expression such
    # as "-x*y" through as EXPR (only -h and --long options are options here)
    parser._negative_number_matcher = _NOT_AN_OPTION  # noqa: SLF001
    return parser


_NOT_AN_OPTION = re.compile(r"^-(?!-)(?!h$)")
