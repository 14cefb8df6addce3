"""Writing pictures: the format comes from the file name. Images are rendered by
Graphviz's ``dot`` program when it is on PATH, else by ``graphviz-pure`` (a
pip-installed port of ``dot``, a dependency of microprop: .svg and .png only), so a
bare ``pip install microprop`` draws. A failure of either becomes a ``RenderError``
carrying the renderer's own message.

>>> from microprop import Value
>>> import pathlib, tempfile
>>> x = Value(2.0, label="x"); y = x * x
>>> path = save(y, pathlib.Path(tempfile.mkdtemp()) / "y.dot")  # .dot needs no renderer
>>> path.read_text().startswith("digraph microprop")
True
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from typing import Any

import graphviz

from microprop.engine import Value
from microprop.i18n import N_, tr

FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv")
PURE_FORMATS = ("svg", "png")  # what graphviz-pure writes (no pdf)
#: Hangul jamo, compatibility jamo and syllables: graphviz-pure's built-in fonts have none
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
PURE_FONT = "Helvetica"  # graphviz-pure knows its metrics and draws it with its built-in Arimo
#: seconds a renderer may take: past it a layout grows to minutes (docs/reliability.md)
TIMEOUT = 60.0

INSTALL = N_(
    "install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS), 'conda install graphviz', or see https://graphviz.org/download/"
)


class GraphvizMissing(RuntimeError):
    """No program can render this format: neither Graphviz's ``dot`` nor, for .svg and
    .png, ``graphviz-pure`` (``pip install graphviz-pure``) is there.

    >>> print(GraphvizMissing.for_format("pdf"))  # doctest: +ELLIPSIS
    rendering a .pdf needs Graphviz's 'dot' program, which is not on PATH ...
    """

    @classmethod
    def for_format(cls, fmt: str) -> GraphvizMissing:
        """The error for rendering ``fmt``, with the install hint and what works without dot."""
        if fmt in PURE_FORMATS:
            return cls(
                tr(
                    "rendering a .{format} needs Graphviz's 'dot' program or graphviz-pure, and neither is "
                    "there: 'pip install graphviz-pure' (microprop's own dependency), or {install}",
                    format=fmt,
                    install=tr(INSTALL),
                )
            )
        return cls(
            tr(
                "rendering a .{format} needs Graphviz's 'dot' program, which is not on PATH (graphviz-pure, "
                "used without it, writes .svg and .png only): save as .svg or .png, or {install}",
                format=fmt,
                install=tr(INSTALL),
            )
        )


class RenderError(RuntimeError):
    """The renderer (``dot`` or ``graphviz-pure``) failed; the message holds what it said.

    >>> str(RenderError("dot", "svg", 1, "Error: syntax error in line 1"))
    'dot failed to render a .svg (exit status 1): Error: syntax error in line 1'
    """

    def __init__(self, program: str, fmt: str, status: int, stderr: str, message: str | None = None) -> None:
        super().__init__(
            message or f"{program} failed to render a .{fmt} (exit status {status}): {stderr.strip()}"
        )
        self.program, self.stderr = program, stderr

    @classmethod
    def timed_out(cls, program: str, fmt: str, seconds: float) -> RenderError:
        """The renderer was stopped after ``seconds``: the message says what to draw instead.

        >>> print(RenderError.timed_out("dot", "svg", 60))  # doctest: +ELLIPSIS
        dot took more than 60 s to lay out this graph and was stopped ...
        """
        return cls(
            program,
            fmt,
            -1,
            "",
            tr(
                "{program} took more than {seconds} s to lay out this graph and was stopped (a graph "
                "with long edges, such as one weight shared by many layers, can take it minutes): draw "
                'fewer nodes (a sub-expression, or scopes with collapse=True), draw view="forward" '
                "(no edge labels: several times faster), save as .dot to lay it out elsewhere, or pass "
                "a longer timeout= (None: no limit)",
                program=program,
                seconds=f"{seconds:g}",
            ),
        )


@dataclass(frozen=True)
class Renderer:
    """A program that turns DOT into images: its name, path and formats.

    >>> Renderer("graphviz-pure", "/bin/graphviz-pure", PURE_FORMATS).formats
    ('svg', 'png')
    """

    name: str
    path: str
    formats: tuple[str, ...]


def renderers() -> list[Renderer]:
    """The renderers found, in the order they are used: ``dot`` on PATH first, then
    ``graphviz-pure`` (on PATH or beside this Python, as in an unactivated venv).

    >>> all(r.name in ("dot", "graphviz-pure") for r in renderers())
    True
    """
    found = []
    dot = shutil.which("dot")
    if dot:
        found.append(Renderer("dot", dot, ("svg", "png", "pdf")))
    here = os.pathsep.join([sysconfig.get_path("scripts"), os.path.dirname(sys.executable)])
    pure = shutil.which("graphviz-pure") or shutil.which("graphviz-pure", path=here)
    if pure:
        found.append(Renderer("graphviz-pure", pure, PURE_FORMATS))
    return found


def renderer_for(fmt: str) -> Renderer:
    """The renderer that will draw ``fmt``, or ``GraphvizMissing``.

    >>> renderer_for("svg").name in ("dot", "graphviz-pure")
    True
    """
    for renderer in renderers():
        if fmt in renderer.formats:
            return renderer
    raise GraphvizMissing.for_format(fmt)


def pipe(digraph: graphviz.Digraph, fmt: str, timeout: float | None = TIMEOUT) -> bytes:
    """Render a Digraph to bytes in ``fmt`` (svg, png, pdf) with ``renderer_for(fmt)``,
    stopping it after ``timeout`` seconds (``None``: no limit) with a ``RenderError``.

    >>> b"<svg" in pipe(graphviz.Digraph(body=["a -> b"]), "svg")
    True
    """
    renderer = renderer_for(fmt)
    source = digraph.source
    if renderer.name == "graphviz-pure" and HANGUL.search(source):  # it would draw boxes
        raise GraphvizMissing(
            tr(
                "Hangul in a .{format} needs Graphviz's 'dot' program (graphviz-pure has no Hangul "
                "glyphs) and a Korean font such as fonts-noto-cjk; {install}",
                format=fmt,
                install=tr(INSTALL),
            )
        )
    if renderer.name == "graphviz-pure":  # no metrics for the theme's font: its own Helvetica
        source = re.sub(r'fontname="[^"]*"', f'fontname="{PURE_FONT}"', source)
    try:
        done = subprocess.run(
            [renderer.path, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise RenderError.timed_out(renderer.name, fmt, timeout or 0) from None
    except OSError as err:  # found a moment ago, gone or not runnable now
        raise RenderError(renderer.name, fmt, -1, str(err)) from None
    if done.returncode != 0:
        raise RenderError(renderer.name, fmt, done.returncode, done.stderr.decode("utf-8", "replace"))
    return done.stdout


def save(
    root: Value, path: str | os.PathLike[str], *, timeout: float | None = TIMEOUT, **options: Any
) -> pathlib.Path:
    """Draw ``root`` (options as ``draw``) and write it to ``path``; the suffix picks the
    format (.svg, .png, .pdf, or .dot/.gv for DOT text). Returns the path. The renderer
    is stopped after ``timeout`` seconds (default ``TIMEOUT``; ``None``: no limit).

    >>> import tempfile
    >>> x = Value(3.0, label="x")
    >>> out = save(x * x, pathlib.Path(tempfile.mkdtemp()) / "square.dot", view="backward")
    >>> out.name, "grad 6.0" in out.read_text(encoding="utf-8")  # x.grad, drawn
    ('square.dot', True)
    """
    from .dot import draw  # local: dot imports frames, which imports explain

    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            tr(
                "can't tell the format of {path}: use one of {formats}",
                path=repr(str(path)),
                formats=", ".join(FORMATS),
            )
        )
    digraph = draw(root, **options)
    if suffix in (".dot", ".gv"):
        path.write_text(digraph.source, encoding="utf-8")
    else:
        path.write_bytes(pipe(digraph, suffix[1:], timeout))
    return path
