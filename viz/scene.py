"""The data the browser front end (``stepper.js``) draws: one "scene" per graph.

A scene holds each view's DOT (laid out in the browser by Graphviz in WebAssembly,
so no ``dot`` program is needed), the frames of ``microprop.viz.frames`` keyed by
SVG ids (frame 0 in full, later frames only what changed), the numbers that change
when a leaf changes (data, edge labels, grad colours), the leaves a learner may edit,
and the quiz questions. The stepper page, the notebook widget and the lab all send
the same scene to the same front end. ``shape`` identifies the layout: two scenes
with the same shape differ only in numbers, which the page updates in place.

>>> from microprop import Value
>>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
>>> s = scene(y)
>>> frames = s["views"]["backward"]["frames"]
>>> frames[0]["text"]["v0"], frames[1]["text"], frames[1]["hot"]
('?', {'v0': '6.0'}, ['e0', 'e1'])
>>> s["data"]["v1"], s["edge_text"]["e0"], [q["name"] for q in s["quiz"]]
('9.0', '3.0 × 1.0 = 3.0', ['x'])
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from microprop.engine import Value
from microprop.explain import fmt, grad_derivation
from microprop.i18n import N_, language, template, tr
from microprop.naming import num

from .dot import digraph_for
from .frames import (
    BackwardPass,
    Frame,
    backward_frames,
    backward_pass,
    data_frame,
    edge_label,
    final_frame,
    forward_frames,
    shown,
)
from .theme import grad_color, grad_scale, theme_named
from .walk import Graph, GraphTooLarge, walk

LEGEND_STOPS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # as theme.legend_label draws them
QUIZ_RTOL = 1e-3  # as `microprop quiz`: 4 significant digits are enough

#: the front end's words, from the catalogue: a scene carries them in its language
UI = {
    "forward": N_("Forward"),
    "backward": N_("Backward"),
    "view": N_("view"),
    "quiz": N_("Quiz"),
    "quiz_title": N_("type each grad before it is revealed (q)"),
    "projector": N_("Projector"),
    "projector_title": N_("bigger type, high contrast (p)"),
    "prev": N_("◀ Prev"),
    "prev_title": N_("previous step (←)"),
    "play": N_("▶ Play"),
    "pause": N_("❚❚ Pause"),
    "play_title": N_("play / pause (space)"),
    "next": N_("Next ▶"),
    "next_title": N_("next step (→)"),
    "step": N_("step"),
    "counter": N_("{label} {k} of {last}"),
    "your_answer": N_("your answer"),
    "placeholder": N_("e.g. -1.5 or 1/2"),
    "check": N_("Check"),
    "reveal": N_("Show me"),
    "score": N_("score {right} of {asked}"),
    "answer_first": N_("answer the question first (or Show me)"),
    "done": N_("done"),
    "no_new_grad": N_("next step: no new grad is complete"),
    "not_a_number": N_("{text} is not a number: type one like -1.5, 0.7071 or 1/2"),
    "right": N_("right: {grad}"),
    "not_quite": N_("not quite"),
    "not_quite_hint": N_("not quite: {hint}"),
    "try_again": N_("try again, or press Show me"),
    "edge_key": N_("edge label: local derivative × upstream grad = contribution"),
    "arrows": N_(" · arrows point the way the grad flows, toward the inputs"),
    "help": N_(
        "← → step · space play · Home/End first/last · f/b forward/backward · q quiz · p projector · drag to pan"
    ),
    "layout_error": N_("the graph could not be laid out: {error}"),
    "slider": N_("{name} slider"),
}


def ui_text() -> dict[str, str]:
    """The front end's words in the language in effect (placeholders left for the page).

    >>> with language("ko"):
    ...     ui_text()["next"], ui_text()["score"]
    ('다음 ▶', '점수 {right}/{asked}')
    """
    return {key: template(message) for key, message in UI.items()}


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


ROOM = 9  # characters the layout leaves for a number ("-0.001234"), so most changes fit in place
FIGURE_SPACE = "\u2007"  # as wide as a digit


def _room(number: str) -> str:
    return number + FIGURE_SPACE * (ROOM - len(number))


def _widest(frames: list[Frame], base: Frame, bp: BackwardPass | None = None) -> Frame:
    """``base`` with each node's text the longest it gets in any frame, and every number
    (edge labels too) given room for ``ROOM`` characters, so the layout fits the numbers
    a leaf change writes into it; the front end writes the real texts after layout."""
    text = {i: max([_room(t), *(f.text[i] for f in frames)], key=len) for i, t in base.text.items()}
    edge_text = base.edge_text
    if bp is not None:
        edge_text = {e: "{} × {} = {}".format(*(_room(num(x)) for x in v)) for e, v in bp.edge_values.items()}
    return Frame(base.caption, base.current, base.hot, text, base.status, edge_text)


def _data_room(dot: str) -> str:
    """The backward view draws each node's data from the graph: give it room too."""
    return re.sub(r'(<FONT COLOR="[^"]*">data )([^<]*)(</FONT>)', lambda m: m[1] + _room(m[2]) + m[3], dot)


def _shape(graph: Graph, theme: str, rankdir: str) -> str:
    """A key for the layout: names, ops and their constants, edges (not the numbers)."""
    rows = [
        (graph.names[v], v.op.name if v.op else "", list(v.params), [graph.index[p] for p in v.parents])
        for v in graph.nodes
    ]
    return hashlib.sha1(json.dumps([theme, rankdir, rows]).encode()).hexdigest()[:16]


def _quiz(graph: Graph, bp: BackwardPass, backward: list[Frame]) -> list[dict[str, Any]]:
    """One question per grad, asked before the step that completes it: the answer, the
    explainer's derivation, and the likely slips (value -> ``microprop quiz``'s hint)."""
    from microprop.commands.quiz import hint  # the CLI quiz's hints, one source

    saved = [v.grad for v in graph.nodes]
    questions = []
    try:
        for v, g in zip(graph.nodes, bp.grads):
            v.grad = g  # hint() compares against the node's grad
        for k in range(1, len(backward)):
            for i in range(len(graph.nodes)):
                if "?" in backward[k - 1].text[i] and "?" not in backward[k].text[i]:
                    node, truth = graph.nodes[i], bp.grads[i]
                    received = [c for s in bp.steps for c in s.contributions if c.parent is node]
                    total = sum(c.value for c in received)
                    guesses = {-truth, node.data}
                    for c in received:
                        guesses.update((c.value, total - c.value, c.local, c.upstream))
                    slips = []
                    for guess in sorted(guesses):
                        text = hint(guess, node, bp.steps, QUIZ_RTOL) if math.isfinite(guess) else ""
                        if text and not math.isclose(guess, truth, rel_tol=QUIZ_RTOL, abs_tol=1e-9):
                            slips.append([guess, text])
                    questions.append({
                        "step": k, "id": graph.node_id(i), "name": graph.names[node],
                        "truth": truth if math.isfinite(truth) else str(truth), "shown": fmt(truth),
                        "derivation": grad_derivation(bp.steps, node, graph.names[node]), "slips": slips,
                    })  # fmt: skip
    finally:
        for v, g in zip(graph.nodes, saved):
            v.grad = g
    return questions


def printable(name: str) -> str:
    """A name with control characters drawn as their Unicode pictures (``\x01`` -> ``␁``),
    which Graphviz and every browser can show.

    >>> printable("a\x01b\x7f")
    'a␁b␡'
    """
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 32 else "␡" if c == "\x7f" else c for c in name)


def _backward_dot(graph: Graph, frame: Frame, theme: str, rankdir: str, bp: BackwardPass) -> str:
    """The backward view's DOT with every arrowhead at the input's end: grads flow back."""
    dg = digraph_for(graph, "backward", frame, theme, rankdir, bp.grads)
    dg.edge_attr["dir"] = "back"
    return _data_room(dg.source)


def scene(
    root: Value,
    *,
    leaves: Iterable[Value] | None = None,
    names: Mapping[Value, str] | None = None,
    theme: str = "light",
    rankdir: str = "LR",
    max_nodes: int = 400,
    lang: str | None = None,
) -> dict[str, Any]:
    """The scene of ``root`` as JSON-ready data (see the module docstring), its words
    (captions, quiz, buttons) in ``lang`` (``"en"`` or ``"ko"``; default: the language
    in effect).

    ``leaves``: the inputs a learner may change (default: every leaf with a label).
    The graph's grads are left as they were. Above ``max_nodes`` nodes the stepper
    would be unreadable: ``GraphTooLarge`` says what to do.

    >>> a = Value(2.0, label="a"); b = a + a; b.label = "b"
    >>> s = scene(b)
    >>> [leaf["name"] for leaf in s["leaves"]], s["views"]["backward"]["frames"][1]["text"]
    (['a'], {'v0': '2.0'})
    """
    with language(lang) as chosen:
        return {**_scene(root, leaves, names, theme, rankdir, max_nodes), "lang": chosen, "ui": ui_text()}


def _scene(
    root: Value,
    leaves: Iterable[Value] | None,
    names: Mapping[Value, str] | None,
    theme: str,
    rankdir: str,
    max_nodes: int,
) -> dict[str, Any]:
    size = len(root.topo_order())
    if size > max_nodes:
        raise GraphTooLarge(
            tr(
                "the stepper shows every node, and this graph has {size} (max_nodes={max_nodes}): "
                "step through a smaller part of it, draw it with draw(..., collapse=True), "
                "or raise max_nodes",
                size=size,
                max_nodes=max_nodes,
            )
        )
    pal = theme_named(theme)
    graph = walk(root, max_nodes=size, names=names)
    graph.names = {v: printable(n) for v, n in graph.names.items()}
    bp = backward_pass(graph, root)
    forward, backward = forward_frames(graph), backward_frames(graph, root, bp)
    editable = [v for v in graph.nodes if v.op is None and v.label] if leaves is None else list(leaves)
    scale = grad_scale(bp.grads)
    return {
        "shape": _shape(graph, theme, rankdir),
        "theme": pal.name,
        "start": "backward" if len(backward) > 1 else "forward",
        "dot": {
            "forward": digraph_for(graph, "forward", _widest(forward, data_frame(graph)), theme, rankdir, None).source,
            "backward": _backward_dot(graph, _widest(backward, final_frame(graph, bp), bp), theme, rankdir, bp),
        },
        "views": {
            "forward": {
                "prefix": tr("data {value}", value=""),
                "label": tr("forward step"),
                "frames": _frame_json(graph, forward, False),
            },
            "backward": {
                "prefix": tr("grad {value}", value=""),
                "label": tr("backward step"),
                "frames": _frame_json(graph, backward, True),
            },
        },
        "data": {graph.node_id(i): shown(v.data) for i, v in enumerate(graph.nodes)},
        "edge_text": {graph.edges[e].id: edge_label(v) for e, v in bp.edge_values.items()},
        "grad_fill": {graph.node_id(i): grad_color(pal, g, scale) for i, g in enumerate(bp.grads)},
        "legend": [num(s * scale) for s in LEGEND_STOPS],  # the colour scale's numbers
        "names": {graph.node_id(i): graph.names[v] for i, v in enumerate(graph.nodes)},
        "leaves": [
            {"id": graph.node_id(graph.index[v]), "name": graph.names[v], "value": _json_float(v.data)}
            for v in editable
            if v in graph.index
        ],
        "quiz": _quiz(graph, bp, backward),
    }  # fmt: skip


def _json_float(x: float) -> float | str:
    """JSON has no inf or nan: those travel as strings."""
    return x if math.isfinite(x) else str(x)


def to_json(data: Any) -> str:
    """Compact JSON that is safe inside an HTML ``<script>`` block: ``<``, ``>``, ``&``
    and the JavaScript line separators are escaped, so no label can close the block
    or open a comment (``</script>``, ``<!--``) whatever it contains.

    >>> to_json({"label": "</script><!--"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text
