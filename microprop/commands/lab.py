"""``microprop lab [EXPR name=value ...]``: the live backprop lab in a browser."""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
import webbrowser

from ..expr import ExprError, parse_assignment
from ..i18n import N_, tr
from ._common import ASSIGN_HELP, report_error, subcommand

DESCRIPTION = N_(
    """\
Serve the live backprop lab on this machine and open it in the browser: type an
expression (with named steps, like "n = x1*w1 + x2*w2 + b; o = tanh(n)"), change
any input with its field or slider and watch every value, grad and edge label
follow; step through the forward and backward passes, quiz yourself, or pick a
preset (the lecture neuron, Mazur's network, micrograd's accumulation cases, one
neuron of an MLP). The URL it prints carries a random token that every request
needs; the state (expression, values, step) lives in the URL, so a link shares it.
Ctrl-C stops it. Needs the web stack: pip install 'microprop[lab]'."""
)

EXAMPLES = N_(
    """\
  microprop lab
  microprop lab "n = x1*w1 + x2*w2 + b; o = tanh(n)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
  microprop lab "b = a + a" a=3 --port 8765 --no-browser"""
)

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lab`` subcommand."""
    parser = subcommand(subparsers, "lab", N_("the live backprop lab in a browser"), DESCRIPTION, EXAMPLES)
    parser.add_argument(
        "expr", metavar="EXPR", nargs="?", help=tr("the first expression (default: the lecture neuron)")
    )
    parser.add_argument("assignments", metavar="name=value", nargs="*", help=tr(ASSIGN_HELP))
    parser.add_argument(
        "--port", type=_port, default=0, help=tr("port to listen on (default 0: any free one)")
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help=tr("address to listen on (default 127.0.0.1; anything else warns)"),
    )
    parser.add_argument(
        "--no-browser", action="store_true", help=tr("print the URL only, don't open a browser")
    )
    parser.set_defaults(func=run)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("must be a whole number, not {text}", text=repr(text))) from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(tr("must be from 0 to 65535, not {port}", port=port))
    return port


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; 0 after a clean stop, 2 on bad input or a missing web stack."""
    try:
        import uvicorn

        from .. import lab
    except ImportError as err:
        print(
            tr(
                "microprop: error: the lab needs its web stack ({reason}): pip install 'microprop[lab]'",
                reason=err,
            ),
            file=sys.stderr,
        )
        return 2
    initial = None
    try:
        if args.expr is not None:
            values = {}
            for text in args.assignments:
                assignment = parse_assignment(text)
                values[assignment.name] = assignment.value
                if assignment.warning:
                    print(tr("microprop: warning: {warning}", warning=assignment.warning), file=sys.stderr)
            initial = {"expr": args.expr, "values": values}
        elif args.assignments:
            raise ExprError(tr("name=value needs an EXPR before it"))
        token = secrets.token_urlsafe(18)
        hosts = lab.LOCAL_HOSTS | {lab.hostname(args.host if ":" not in args.host else f"[{args.host}]")}
        application = lab.app(token, initial, hosts=frozenset(hosts), lang=getattr(args, "lang", None))
    except ExprError as err:
        return report_error(err)
    except lab.BadRequest as err:
        print(tr("microprop: error: {message}", message=err.detail.get("pretty", err)), file=sys.stderr)
        return 2
    if args.host not in LOOPBACK:
        print(
            tr(
                "microprop: warning: listening on {host}: anyone who can reach this machine and has the URL "
                "can use the lab (use the default 127.0.0.1 to keep it to this machine)",
                host=args.host,
            ),
            file=sys.stderr,
        )
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host.strip("[]"), args.port))
        sock.listen(128)  # connections wait from the moment the URL is printed
    except OSError as err:
        print(
            tr(
                "microprop: error: can't listen on {host} port {port}: {reason}",
                host=args.host,
                port=args.port,
                reason=err.strerror,
            ),
            file=sys.stderr,
        )
        return 2
    port = sock.getsockname()[1]
    shown = f"[{args.host.strip('[]')}]" if family == socket.AF_INET6 else args.host
    url = f"http://{shown}:{port}/?token={token}"
    try:
        print(tr("microprop lab: {url}   (Ctrl-C stops it)", url=url), flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="off"))
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down, then re-raises the Ctrl-C it caught
        pass
    finally:
        sock.close()
    return 0
