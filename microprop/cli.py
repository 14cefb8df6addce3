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
import sys
from typing import Sequence

from . import __version__

#: subcommand modules under microprop.commands, in the order --help lists them
COMMANDS: tuple[str, ...] = ("step", "check", "quiz")

DESCRIPTION = """\
microprop: a scalar autograd engine for learning and teaching backpropagation.
Type an expression, give its variables values, and watch backprop happen."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="microprop",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'microprop SUBCOMMAND --help' for the options and examples of each.",
    )
    parser.add_argument("--version", action="version", version=f"microprop {__version__}")
    if COMMANDS:
        subparsers = parser.add_subparsers(title="subcommands", dest="command", metavar="SUBCOMMAND")
        for name in COMMANDS:
            importlib.import_module(f"microprop.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 check failed, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return int(exit_.code or 0)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    return int(func(args))


def entry_point() -> None:
    """The console script: exit with ``main()``'s status."""
    sys.exit(main())
