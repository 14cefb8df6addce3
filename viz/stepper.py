"""The stepper page: one self-contained HTML file (no network) that steps through the
forward and backward passes of a graph.

Each view is laid out once by ``dot`` and embedded as SVG; the frames (from
``microprop.viz.frames``, the same data the static step images use) only change
texts and classes, so the page stays small: frame 0 in full, then what changed.

>>> from microprop import Value
>>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
>>> frames = frame_data(walk(y), y)["views"]["backward"]["frames"]
>>> frames[0]["text"]["v0"], frames[1]["text"], frames[1]["hot"]
('?', {'v0': '6.0'}, ['e0', 'e1'])
"""

from __future__ import annotations

import html
import json
import os
import pathlib
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from microprop.engine import Value

from .dot import digraph_for
from .frames import Frame, backward_frames, backward_pass, data_frame, final_frame, forward_frames
from .render import pipe
from .theme import theme_named
from .walk import Graph, GraphTooLarge, walk

MARKER = re.compile(r"\{\{(\w+)\}\}")


def _frame_json(graph: Graph, frames: list[Frame], edges: bool) -> list[dict[str, Any]]:
    """Frames keyed by SVG ids: frame 0 in full, later frames only what changed."""
    out: list[dict[str, Any]] = []
    prev: dict[str, dict[str, Any]] = {"text": {}, "status": {}, "edges": {}}
    for frame in frames:
        full: dict[str, dict[str, Any]] = {
            "text": {graph.node_id(i): t for i, t in frame.text.items()},
            "status": {graph.node_id(i): s for i, s in frame.status.items()},
            "edges": {e.id: e.index in frame.edge_text for e in graph.edges} if edges else {},
        }
        entry: dict[str, Any] = {
            "caption": frame.caption,
            "current": None if frame.current is None else graph.node_id(frame.current),
            "hot": [graph.edges[e].id for e in frame.hot],
        }
        for key, values in full.items():
            changed = {k: v for k, v in values.items() if prev[key].get(k) != v}
            if changed:
                entry[key] = changed
        out.append(entry)
        prev = full
    return out


def frame_data(graph: Graph, root: Value) -> dict[str, Any]:
    """The page's data: both views' frames, and which number each view changes."""
    bp = backward_pass(graph, root)
    return _data(graph, forward_frames(graph), backward_frames(graph, root, bp))


def _data(graph: Graph, forward: list[Frame], backward: list[Frame]) -> dict[str, Any]:
    return {
        "start": "backward" if len(backward) > 1 else "forward",
        "views": {
            "forward": {
                "prefix": "data ",
                "label": "forward step",
                "frames": _frame_json(graph, forward, False),
            },
            "backward": {
                "prefix": "grad ",
                "label": "backward step",
                "frames": _frame_json(graph, backward, True),
            },
        },
    }


def _widest(frames: list[Frame], base: Frame) -> Frame:
    """``base`` with each node's text the longest it gets in any frame, so the layout
    leaves room for every number the page will write into it ("1.649 + ?")."""
    text = {i: max((f.text[i] for f in frames), key=len, default=t) for i, t in base.text.items()}
    return Frame(base.caption, base.current, base.hot, text, base.status, base.edge_text)


def _svg(graph: Graph, view: str, frame: Frame, theme: str, rankdir: str, grads: list[float] | None) -> str:
    """One view drawn in ``frame`` (every edge labelled) as inline SVG."""
    svg = pipe(digraph_for(graph, view, frame, theme, rankdir, grads), "svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE
    svg = re.sub(r"<!--.*?-->\n?|<title>[^<]*</title>\n?", "", svg, flags=re.DOTALL)  # comments, tooltips
    return svg.replace(f' font-family="{theme_named(theme).font}"', "")  # set once, in the CSS


def _asset(name: str) -> str:
    return resources.files("microprop.viz").joinpath(name).read_text(encoding="utf-8")


def save_stepper(
    root: Value,
    path: str | os.PathLike[str],
    *,
    theme: str = "light",
    rankdir: str = "LR",
    max_nodes: int = 400,
    names: Mapping[Value, str] | None = None,
    title: str = "microprop: backprop, step by step",
) -> pathlib.Path:
    """Write the stepper page for ``root`` to ``path`` and return the path.

    Prev / Next / Play, arrow keys and a slider move through the frames; a toggle
    switches between the forward and the backward pass. The page needs no network.
    The stepper shows every node, so a graph above ``max_nodes`` is refused with
    ``GraphTooLarge`` (draw it with ``collapse=True`` instead). Rendering needs
    Graphviz's ``dot`` (``GraphvizMissing`` otherwise); the graph's grads are left as
    they were.

    >>> import shutil, tempfile
    >>> x = Value(2.0, label="x"); y = x * x
    >>> if shutil.which("dot"):
    ...     page = save_stepper(y, pathlib.Path(tempfile.mkdtemp()) / "y.html").read_text()
    ...     assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    """
    pal = theme_named(theme)
    size = len(root.topo_order())
    if size > max_nodes:
        raise GraphTooLarge(
            f"the stepper shows every node, and this graph has {size} (max_nodes={max_nodes}): "
            "step through a smaller part of it, draw it with draw(..., collapse=True), "
            "or raise max_nodes"
        )
    graph = walk(root, max_nodes=size, names=names)
    bp = backward_pass(graph, root)
    forward, backward = forward_frames(graph), backward_frames(graph, root, bp)
    data = json.dumps(_data(graph, forward, backward), ensure_ascii=False, separators=(",", ":"))
    theme_vars = ":root { " + " ".join(
        f"--{k}: {v};"
        for k, v in {
            "bg": pal.bg, "fg": pal.fg, "muted": pal.muted, "node": pal.node_fill, "border": pal.border,
            "accent": pal.accent, "pending-fill": pal.pending_fill, "pending-fg": pal.pending_fg,
        }.items()
    ) + " }"  # fmt: skip
    parts = {
        "title": html.escape(title),
        "theme": pal.name,
        "theme_vars": theme_vars,
        "css": _asset("stepper.css"),
        "js": _asset("stepper.js"),
        "svg_forward": _svg(graph, "forward", _widest(forward, data_frame(graph)), theme, rankdir, None),
        "svg_backward": _svg(
            graph, "backward", _widest(backward, final_frame(graph, bp)), theme, rankdir, bp.grads
        ),
        "data": data.replace("</", "<\\/"),  # never closes the <script> early
    }
    page = MARKER.sub(lambda m: parts[m.group(1)], _asset("stepper.html"))
    path = pathlib.Path(path)
    path.write_text(page, encoding="utf-8")
    return path
