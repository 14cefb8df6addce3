"""The stepper page: one self-contained HTML file (no network, no ``dot`` program) that
steps through the forward and backward passes of a graph.

The page carries the graph's scene (``microprop.viz.scene``: DOT, frames, quiz), the
front end (``stepper.js``, ``stepper.css``) and Graphviz compiled to WebAssembly
(``vendor/viz-global.js``, from the npm package ``@viz-js/viz``), which lays the graph
out in the browser. The notebook widget and the lab use the same pieces.

>>> from microprop import Value
>>> x = Value(3.0, label="</script><!--"); y = x * x
>>> "</script><!--" in fragment(scene(y))  # labels can't close the data block
False
"""

from __future__ import annotations

import html
import os
import pathlib
import re
import uuid
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from microprop.engine import Value
from microprop.i18n import N_, language, tr

from .scene import MAX_LAYOUT, scene, to_json
from .theme import theme_named

MARKER = re.compile(r"\{\{(\w+)\}\}")
TITLE = N_("microprop: backprop, step by step")


def asset(name: str) -> str:
    """The text of a file shipped in ``microprop.viz`` (``stepper.js``, ``vendor/...``).

    >>> "mount" in asset("stepper.js")
    True
    """
    return resources.files("microprop.viz").joinpath(name).read_text(encoding="utf-8")


@cache
def front_end_js() -> str:
    """The front end as one script: viz.js (as ``MicropropViz``, whatever module system
    the host has) and ``micropropStepper.mount``.

    >>> js = front_end_js(); "MicropropViz" in js and "micropropStepper" in js
    True
    """
    viz = (
        "var MicropropViz = globalThis.MicropropViz || (function () {\n"
        "var exports = {}, module = { exports: exports }, define = undefined;\n"
        + asset("vendor/viz-global.js")
        + "\nreturn module.exports;\n})();\nglobalThis.MicropropViz = MicropropViz;\n"
    )
    return viz + asset("stepper.js")


def theme_class(theme: str) -> str:
    """The stepper root's class for a theme: ``mp-dark`` or ``""``."""
    return "mp-dark" if theme_named(theme).name == "dark" else ""


def fragment(data: dict[str, Any]) -> str:
    """The stepper as an HTML fragment (a root element and its scripts), for notebook
    outputs where widgets can't run: scoped like the widget, nothing global but the
    two script names.

    >>> from microprop import Value
    >>> fragment(scene(Value(1.0, label="x") * 2)).startswith("<div")
    True
    """
    root = f"mp-{uuid.uuid4().hex[:12]}"
    return (
        f'<div id="{root}" class="{theme_class(data["theme"])}"></div>\n'
        f"<style>{asset('stepper.css')}</style>\n"
        f'<script type="application/json" id="{root}-data">{to_json(data)}</script>\n'
        f"<script>{front_end_js()}\n"
        f'micropropStepper.mount(document.getElementById("{root}"), '
        f'JSON.parse(document.getElementById("{root}-data").textContent), {{ Viz: MicropropViz }});</script>\n'
    )


def save_stepper(
    root: Value,
    path: str | os.PathLike[str],
    *,
    theme: str = "light",
    rankdir: str = "LR",
    max_nodes: int = 400,
    max_layout: int = MAX_LAYOUT,
    names: Mapping[Value, str] | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> pathlib.Path:
    """Write the stepper page for ``root`` to ``path`` and return the path.

    Prev / Next / Play, arrow keys and a slider move through the frames; buttons
    switch between the forward and the backward pass, a quiz (type each grad before
    it is shown) and a projector mode. The page needs no network and no Graphviz
    program (the layout runs in the browser). Its words (title, buttons, captions, quiz)
    are in ``lang`` (``"en"`` or ``"ko"``; default: the language in effect). The stepper shows
    every node, so a graph above ``max_nodes`` is refused with ``GraphTooLarge`` (draw it with
    ``collapse=True`` instead), and so is one whose layout would take Graphviz minutes (above
    ``max_layout``, see ``microprop.viz.scene.scene``); the graph's grads are left as they were.

    >>> import tempfile
    >>> x = Value(2.0, label="x"); y = x * x
    >>> page = save_stepper(y, pathlib.Path(tempfile.mkdtemp()) / "y.html").read_text()
    >>> page.startswith("<!DOCTYPE html>"), "micropropStepper.mount" in page
    (True, True)
    """
    with language(lang) as chosen:
        data = scene(
            root, theme=theme, rankdir=rankdir, max_nodes=max_nodes, max_layout=max_layout, names=names
        )
        title = tr(TITLE) if title is None else title
    pal = theme_named(theme)
    parts = {
        "lang": chosen,
        "title": html.escape(title),
        "bg": pal.bg,
        "fg": pal.fg,
        "theme_class": theme_class(theme),
        "css": asset("stepper.css"),
        "js": front_end_js(),
        "data": to_json(data),
    }
    page = MARKER.sub(lambda m: parts[m.group(1)], asset("stepper.html"))
    path = pathlib.Path(path)
    path.write_text(page, encoding="utf-8")
    return path
