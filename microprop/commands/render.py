"""``microprop render EXPR name=value ... -o FILE``: write a graph image, one backward
step frame, or the HTML stepper page."""

from __future__ import annotations

import argparse
import pathlib
import sys

from ..expr import ExprError
from ..i18n import N_, ntr, tr
from ._common import add_expression_arguments, build_from_args, report_error, subcommand

DESCRIPTION = N_(
    """\
Draw an expression's graph and write it to FILE; the format comes from FILE's
suffix: .svg, .png, .pdf or .dot (DOT text). Images are drawn by Graphviz's dot
program, or without it by graphviz-pure (installed with microprop; .svg and .png
only: .pdf needs dot). 'microprop doctor' says which is there.
Values are drawn as boxes (name | data), ops as ovals. With --backward each value
also shows its grad and each edge into an op shows local × upstream = contribution.
--step K draws backward step K as numbered by 'microprop step' (0 = before the
first): that node highlighted, grads not yet known shown as ?, the step's text as
the caption. --html (or a .html FILE) writes a page that steps through the forward
and backward passes in a browser, with no network needed."""
)

EXAMPLES = N_(
    """\
  microprop render "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o neuron.svg
  microprop render "x*x + exp(x)" x=0.5 --backward -o grads.png
  microprop render "x*y + x" x=2 y=-3 --step 2 -o step2.png
  microprop render "tanh(x*w + b)" x=1 w=2 b=-1 --html -o stepper.html
  microprop render "a*b" a=2 b=3 -o ab.dot --top-down --dark"""
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``render`` subcommand."""
    parser = subcommand(
        subparsers,
        "render",
        N_("write a graph image, a step frame or the stepper page"),
        DESCRIPTION,
        EXAMPLES,
    )
    add_expression_arguments(parser)
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True, help=tr("where to write (.svg .png .pdf .dot .html)")
    )
    parser.add_argument("--backward", action="store_true", help=tr("show grads and edge contributions"))
    parser.add_argument(
        "--step", metavar="K", type=_step, help=tr("draw backward step K (0 = before the first)")
    )
    parser.add_argument("--html", action="store_true", help=tr("write the interactive stepper page"))
    parser.add_argument("--dark", action="store_true", help=tr("dark theme"))
    parser.add_argument(
        "--top-down", action="store_true", help=tr("draw top to bottom instead of left to right")
    )
    parser.set_defaults(func=run)


def _step(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("must be a whole number, not {text}", text=repr(text))) from None
    if k < 0:
        raise argparse.ArgumentTypeError(tr("must be 0 or more, not {text}", text=k))
    return k


def _error(message: str) -> int:
    print(tr("microprop: error: {message}", message=message), file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Write the picture; 0 on success, 2 on bad input or when no renderer can draw the
    format, 1 when the renderer (dot or graphviz-pure) fails (its message is printed).

    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "xy.dot")
    >>> run(argparse.Namespace(expr="x * y", assignments=["x=2", "y=-3"], output=out, backward=True,
    ...     step=None, html=False, dark=False, top_down=False))  # doctest: +ELLIPSIS
    wrote .../xy.dot (backward view, 3 values)
    0
    """
    from ..viz import GraphTooLarge, GraphvizMissing, RenderError, save, save_stepper

    try:
        root, _ = build_from_args(args.expr, args.assignments)
    except ExprError as err:
        return report_error(err)
    path = pathlib.Path(args.output)
    is_page = path.suffix.lower() in (".html", ".htm")
    if args.html and not is_page:  # a web page in "s.png" opens as a broken image
        like = path.with_suffix(".html") if path.name else "steps.html"
        return _error(tr("--html writes a web page: give -o a name ending in .html (like {like})", like=like))
    html = args.html or is_page
    theme = "dark" if args.dark else "light"
    rankdir = "TB" if args.top_down else "LR"
    if html and args.step is not None:
        return _error(tr("--step draws one frame; the --html page has them all (leave one out)"))
    try:
        if html:
            save_stepper(root, path, theme=theme, rankdir=rankdir, lang=getattr(args, "lang", None))
            what = tr("stepper page")
        else:
            view = "backward" if args.backward or args.step is not None else "forward"
            save(
                root,
                path,
                view=view,
                step=args.step,
                theme=theme,
                rankdir=rankdir,
                lang=getattr(args, "lang", None),
            )
            if args.step is not None:
                what = tr("backward step {step}", step=args.step)
            else:
                what = tr("backward view") if view == "backward" else tr("forward view")
    except GraphvizMissing as err:
        return _error(str(err))
    except RenderError as err:  # the renderer itself failed: not the learner's input
        print(f"microprop: error: {err}", file=sys.stderr)
        return 1
    except (ValueError, GraphTooLarge) as err:
        return _error(str(err))
    except OSError as err:
        return _error(tr("can't write {path}: {reason}", path=repr(str(path)), reason=err.strerror or err))
    count = len(root.topo_order())
    print(
        ntr(
            "wrote {path} ({what}, {n} value)",
            "wrote {path} ({what}, {n} values)",
            count,
            path=path,
            what=what,
        )
    )
    return 0
