"""The ``microprop`` command: ``microprop SUBCOMMAND ...`` (also ``python -m microprop``).

Each subcommand lives in ``microprop/commands/NAME.py`` with ``register(subparsers)``,
which adds its parser and sets ``func(args) -> int`` as the handler.

>>> main(["--version"])  # doctest: +ELLIPSIS
microprop ...
0
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .commands._common import CommandParser, HelpFormatter, add_lang_argument, lang_in
from .i18n import N_, language, tr

#: subcommand modules under microprop.commands, in the order --help lists them
COMMANDS: tuple[str, ...] = ("demo", "step", "check", "quiz", "render", "lab", "doctor")

DESCRIPTION = N_(
    """\
microprop: a scalar autograd engine for learning and teaching backpropagation.
Type an expression, give its variables values, and watch backprop happen."""
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered.

    >>> args = build_parser().parse_args(["check", "-x*y", "x=2", "y=3", "--eps", "1e-7"])
    >>> args.command, args.expr, args.assignments, args.eps
    ('check', '-x*y', ['x=2', 'y=3'], 1e-07)
    """
    parser = CommandParser(
        prog="microprop",
        description=tr(DESCRIPTION),
        formatter_class=HelpFormatter,
        epilog=tr("Run 'microprop SUBCOMMAND --help' for the options and examples of each."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"microprop {__version__}",
        help=tr("show program's version number and exit"),
    )
    add_lang_argument(parser)
    if COMMANDS:
        subparsers = parser.add_subparsers(
            title=tr("subcommands"), dest="command", metavar="SUBCOMMAND", parser_class=CommandParser
        )
        for name in COMMANDS:
            importlib.import_module(f"microprop.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 check failed, 2 bad input).

    >>> main(["check", "x * x", "x=3"])  # doctest: +ELLIPSIS
    gradcheck (central differences, eps=1e-06, tol = 1e-05 + 0.001·|numeric|)
    ok          x at 3            analytic 6 ...
    all gradients match
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    with language(lang_in(argv)):
        return _run(build_parser(), argv)


def _run(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and hasattr(args, "assignments") and not any(x.startswith("-") for x in extra):
            args.assignments += extra  # name=value after an option: "EXPR --eps 1e-7 x=1"
        elif extra:
            parser.error(tr("unrecognized arguments: {arguments}", arguments=" ".join(extra)))
    except SystemExit as exit_:  # --help, --version and usage errors
        return int(exit_.code or 0)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    return int(func(args))


def entry_point() -> None:
    """The console script: exit with ``main()``'s status."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # "microprop step ... | head": the reader left early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    except KeyboardInterrupt:
        print(file=sys.stderr)
        status = 130
    sys.exit(status)
