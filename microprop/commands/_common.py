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
import unicodedata
from collections.abc import Iterable, Sequence
from typing import NoReturn, TextIO

from ..engine import Value
from ..expr import FUNCTIONS, ExprError, build, parse_assignment, parse_program
from ..i18n import LANGUAGES, N_, tr

EXPR_HELP = N_(
    """the expression, in quotes: numbers, variables, + - * / ** and
the functions {functions}, as in
"tanh(x*w + b)"; {optional} take an optional number: {example}.
Name steps as the lecture does, separated by ';': "n = x*w + b; o = tanh(n)".
"""
)
ASSIGN_HELP = N_("a value for each variable, like x1=2 w1=-3")


def expr_help() -> str:
    """The ``EXPR`` help, its function list from the op table.

    >>> print(expr_help())  # doctest: +ELLIPSIS
    the expression, in quotes: numbers, variables, + - * / ** and
    the functions abs elu exp leaky_relu log relu sigmoid softplus step tanh threshold, as in
    "tanh(x*w + b)"; leaky_relu, elu take an optional number: leaky_relu(x, 0.01).
    ...
    """
    optional = [op for op in FUNCTIONS.values() if op.defaults]
    example = f"{optional[0].name}(x, {optional[0].defaults[0]:g})" if optional else "tanh(x)"
    return tr(
        EXPR_HELP,
        functions=" ".join(sorted(FUNCTIONS)),
        optional=", ".join(op.name for op in optional),
        example=example,
    )


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the positional ``EXPR`` and ``name=value ...`` arguments."""
    parser.add_argument("expr", metavar="EXPR", help=expr_help())
    parser.add_argument("assignments", metavar="name=value", nargs="*", help=tr(ASSIGN_HELP))


def build_from_args(expr: str, assignments: Sequence[str]) -> tuple[Value, dict[str, Value]]:
    """Parse the assignments and build the expression's graph.

    Returns the root and the leaf Value of each variable (labelled by its name).
    Raises ``ExprError`` naming the bad assignment, the duplicate, the missing or
    unused variable, or pointing at the bad part of the expression. A number beyond
    float range (``x=1e400`` becomes inf) is warned about on stderr.
    """
    return build(expr, parse_assignments(assignments))


def parse_assignments(assignments: Sequence[str]) -> dict[str, float]:
    """The value of each ``name=value``; ``ExprError`` for a bad one or a name given
    twice. A number beyond float range (``x=1e400`` becomes inf) is warned about on stderr.

    >>> parse_assignments(["x=1", "y=-2"])
    {'x': 1.0, 'y': -2.0}
    >>> parse_assignments(["x=1", "x=2"])
    Traceback (most recent call last):
    ...
    microprop.expr.ExprError: 'x' is given twice (x=1, then x=2)
    """
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    for text in assignments:
        assignment = parse_assignment(text)
        if assignment.name in values:
            raise ExprError(
                tr(
                    "{name} is given twice ({first}, then {second})",
                    name=repr(assignment.name),
                    first=given[assignment.name],
                    second=text,
                )
            )
        values[assignment.name] = assignment.value
        given[assignment.name] = text
        if assignment.warning:
            print(tr("microprop: warning: {warning}", warning=assignment.warning), file=sys.stderr)
    return values


def report_error(err: ExprError, stream: TextIO | None = None) -> int:
    """Print ``microprop: error: ...`` with the caret picture; return exit status 2.

    >>> report_error(ExprError("unknown function 'foo'", "foo(x)", 0, 3), sys.stdout)
    microprop: error: unknown function 'foo'
      foo(x)
      ^^^
    2
    """
    print(tr("microprop: error: {message}", message=err.pretty()), file=stream or sys.stderr)
    return 2


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("{text} is not a number", text=repr(text))) from None


def positive_float(text: str) -> float:
    """An option value above 0 and finite (for ``--eps``), else a usage error.

    >>> positive_float("1e-6")
    1e-06
    """
    value = _number(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(tr("must be a positive number, not {text}", text=text))
    return value


def non_negative_float(text: str) -> float:
    """An option value of 0 or more (for tolerances), else a usage error.

    >>> non_negative_float("0")
    0.0
    """
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(tr("must be 0 or more, not {text}", text=text))
    return value


#: argparse's own error sentences (it words them in English), as catalogue messages
_ARGPARSE_ERRORS = (
    (re.compile(r"the following arguments are required: (?P<names>.*)"),
     N_("the following arguments are required: {names}")),
    (re.compile(r"argument (?P<option>[^:]+): invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)"),
     N_("argument {option}: invalid choice: {value} (choose from {choices})")),
    (re.compile(r"argument (?P<option>[^:]+): expected one argument"),
     N_("argument {option}: expected one argument")),
    (re.compile(r"argument (?P<option>[^:]+): (?P<message>.*)"), N_("argument {option}: {message}")),
    (re.compile(r"unrecognized arguments: (?P<arguments>.*)"), N_("unrecognized arguments: {arguments}")),
)  # fmt: skip


def argparse_error(message: str) -> str:
    """argparse's English error ``message`` in the current language.

    >>> from microprop.i18n import language
    >>> with language("ko"):
    ...     argparse_error("the following arguments are required: EXPR")
    '다음 인수가 필요합니다: EXPR'
    """
    for pattern, template in _ARGPARSE_ERRORS:
        match = pattern.fullmatch(message)
        if match:
            return tr(template, **match.groupdict())
    return message


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser that finds ``EXPR`` itself, so an expression starting with
    "-" (``-x*y``, ``--x``, ``-h*x``) is the expression, not an unknown option. The
    options still work before and after it, and ``--`` still ends the options.

    >>> parser = CommandParser(prog="step"); add_expression_arguments(parser)
    >>> parser.parse_args(["--x", "x=1"]).expr, parser.parse_args(["--", "-x", "x=1"]).expr
    ('--x', '-x')
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        args = list(sys.argv[1:] if args is None else args)
        slot = expression_slot(self, args)
        if slot is None:
            return super().parse_known_args(args, namespace)
        expr = args[slot]
        args[slot] = " " + expr  # argparse takes a word for an option only if it starts with "-"
        parsed, extra = super().parse_known_args(args, namespace)
        if getattr(parsed, "expr", None) == args[slot]:
            parsed.expr = expr
        return parsed, extra

    def error(self, message: str) -> NoReturn:
        """Usage, then ``PROG: error: MESSAGE`` in the current language; exit status 2."""
        self.print_usage(sys.stderr)
        self.exit(2, tr("{prog}: error: {message}", prog=self.prog, message=argparse_error(message)) + "\n")


def expression_slot(parser: argparse.ArgumentParser, args: Sequence[str]) -> int | None:
    """The index of ``EXPR`` in ``args`` when it starts with "-" and is no option of
    ``parser``'s; None when argparse finds EXPR by itself (or the parser has none).

    >>> parser = argparse.ArgumentParser(); _ = parser.add_argument("--eps")
    >>> add_expression_arguments(parser)
    >>> [expression_slot(parser, a) for a in (["--eps", "1", "-x", "x=1"], ["x", "-x"], ["--", "-x"])]
    [2, None, None]
    """
    if not any(action.dest == "expr" for action in parser._actions):
        return None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-", "--") or not arg.startswith("-"):
            return None  # a plain word (argparse's EXPR), or "--" (argparse's business)
        action = _option_for(parser, arg)
        if action is None:  # EXPR, unless it looks like a mistyped option ("--wat=3")
            return i if _is_expression(arg) or not _OPTION_LIKE.fullmatch(arg) else None
        attached = "=" in arg if arg.startswith("--") else len(arg) > 2  # --eps=1e-7, -oout.svg
        takes = action.nargs if isinstance(action.nargs, int) else 1 if action.nargs is None else 0
        i += 1 + (0 if attached else takes)
    return None


def _option_for(parser: argparse.ArgumentParser, arg: str) -> argparse.Action | None:
    """The option ``arg`` names as argparse reads it: ``--name[=value]`` (or a unique
    start of it), ``-o`` or ``-ovalue``; None for anything else."""
    options = parser._option_string_actions
    if arg.startswith("--"):
        name = arg.split("=", 1)[0]
        starts = [o for o in options if o.startswith(name)] if parser.allow_abbrev else []
        return options.get(name) or (options[starts[0]] if starts else None)
    if arg in options:
        return options[arg]
    if arg[:2] in options and options[arg[:2]].nargs != 0 and not _is_expression(arg):
        return options[arg[:2]]  # "-oout.svg": -o with its value attached
    return None


def _is_expression(text: str) -> bool:
    try:
        parse_program(text)
    except ExprError:
        return False
    return True


def subcommand(
    subparsers: argparse._SubParsersAction, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` shows the description and examples as written,
    in the current language (the texts are catalogue messages), with the ``--lang`` option."""
    parser = subparsers.add_parser(
        name,
        help=tr(summary),
        description=tr(description),
        epilog=tr("examples:") + "\n" + tr(examples),
        formatter_class=HelpFormatter,
    )
    add_lang_argument(parser)
    # argparse takes any word starting with "-" for an option; let a value such as
    # "--eps -1e-7" reach its option's check ("must be a positive number") as a value
    # (CommandParser finds an EXPR starting with "-")
    parser._negative_number_matcher = _NOT_AN_OPTION
    return parser


_NOT_AN_OPTION = re.compile(r"^-(?!-)(?!h$)")
_OPTION_LIKE = re.compile(r"--?[A-Za-z][\w-]*(=.*)?")


def add_lang_argument(parser: argparse.ArgumentParser) -> None:
    """``--lang ko|en``, and argparse's own headings in the current language."""
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=tr("language of the output: en or ko (default: MICROPROP_LANG, else the locale)"),
    )
    parser._positionals.title = tr("positional arguments")
    parser._optionals.title = tr("options")
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = tr("show this help message and exit")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples as written; "usage:" in the current language."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, tr("usage: ") if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        """Option help wrapped to ``width`` terminal columns: Hangul takes two each."""
        if not any(_columns(ch) == 2 for ch in text):
            return super()._split_lines(text, width)
        lines: list[str] = []
        for word in text.split():
            if lines and _columns(lines[-1]) + 1 + _columns(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (wide East Asian characters take two).

    >>> _columns("기울기 x")
    8
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lang_in(args: Sequence[str]) -> str | None:
    """The value of ``--lang`` in a command line, read before the parser is built (its
    help texts are in that language); None when absent or not a language.

    >>> lang_in(["step", "x", "x=1", "--lang", "ko"]), lang_in(["--lang=en", "quiz"]), lang_in(["x"])
    ('ko', 'en', None)
    """
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = arg.partition("=")[2] if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        if value in LANGUAGES:
            return value
    return None
