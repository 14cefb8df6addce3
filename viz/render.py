"""Writing pictures: the format comes from the file name; rendering needs Graphviz's
``dot`` program, and says how to install it when it is missing.

>>> from microprop import Value
>>> import pathlib, tempfile
>>> x = Value(2.0, label="x"); y = x * x
>>> path = save(y, pathlib.Path(tempfile.mkdtemp()) / "y.dot")  # .dot needs no Graphviz
>>> path.read_text().startswith("digraph microprop")
True
"""

from __future__ import annotations

import os
import pathlib
import shutil
from typing import Any

import graphviz

from microprop.engine import Value
from microprop.i18n import N_, tr

FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv")

INSTALL = N_(
    "install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' "
    "(macOS), 'conda install graphviz', or see https://graphviz.org/download/"
)


class GraphvizMissing(RuntimeError):
    """Graphviz's ``dot`` program is needed to render an image and is not on PATH.

    >>> print(GraphvizMissing.for_format("png"))  # doctest: +ELLIPSIS
    rendering a .png needs Graphviz's 'dot' program, which is not on PATH; install Graphviz: ...
    """

    @classmethod
    def for_format(cls, fmt: str) -> GraphvizMissing:
        """The error for rendering ``fmt``, with the install hint and what works without dot."""
        return cls(
            tr(
                "rendering a .{format} needs Graphviz's 'dot' program, which is not on PATH; {install}. "
                "Without it, to_dot() and saving to .dot still work.",
                format=fmt,
                install=tr(INSTALL),
            )
        )


def pipe(digraph: graphviz.Digraph, fmt: str) -> bytes:
    """Render a Digraph with ``dot`` to bytes in ``fmt`` (svg, png, pdf).

    >>> svg = pipe(graphviz.Digraph(body=["a -> b"]), "svg") if shutil.which("dot") else b"<svg"
    >>> b"<svg" in svg
    True
    """
    if shutil.which("dot", path=os.environ.get("PATH")) is None:
        raise GraphvizMissing.for_format(fmt)
    try:
        return digraph.pipe(format=fmt, engine="dot")
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing.for_format(fmt) from None


def save(root: Value, path: str | os.PathLike[str], **options: Any) -> pathlib.Path:
    """Draw ``root`` (options as ``draw``) and write it to ``path``; the suffix picks the
    format (.svg, .png, .pdf, or .dot/.gv for DOT text). Returns the path.

    >>> import tempfile
    >>> x = Value(3.0, label="x")
    >>> out = save(x * x, pathlib.Path(tempfile.mkdtemp()) / "square.dot", view="backward")
    >>> out.name, "grad 6.0" in out.read_text(encoding="utf-8")  # x.grad, drawn
    ('square.dot', True)
    """
    from .dot import build  # local: dot imports frames, which imports explain

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
    digraph = build(root, **options)
    if suffix in (".dot", ".gv"):
        path.write_text(digraph.source, encoding="utf-8")
    else:
        path.write_bytes(pipe(digraph, suffix[1:]))
    return path
