"""The data the browser front end (``stepper.js``) draws: one "scene" per graph.

A scene holds each view's DOT (laid out in the browser by Graphviz in WebAssembly,
so no ``dot`` program is needed), the frames of ``microprop.viz.frames`` keyed by
SVG ids (frame 0 in full, later frames only what changed), the numbers that change
when a leaf changes (data, edge labels, grad colours), the leaves a learner may edit,
and the quiz questions. The stepper page, the notebook widget and the lab all send
the same scene to the same front end. The frames are ``viz.frames``' frames, built
step by step in time linear in the graph (a live update of a 200-node graph takes tens
of milliseconds; tests check them against the full frames). ``layout`` identifies the
drawing: two scenes with the same key differ only in numbers, which the page rewrites
in place.

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
from microprop.explain import BackwardStep, fmt, forward_steps, grad_derivation, seed_line
from microprop.hints import hint
from microprop.i18n import N_, language, template, tr
from microprop.naming import num

from .dot import digraph_for
from .frames import (
    BackwardPass,
    Frame,
    backward_pass,
    data_frame,
    edge_label,
    final_frame,
    shown,
)
from .theme import grad_color, grad_scale, theme_named
from .walk import Graph, GraphTooLarge, layout_cost, walk

LEGEND_STOPS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # as theme.legend_label draws them
#: ``walk.layout_cost`` above which Graphviz takes seconds to minutes (docs/reliability.md)
MAX_LAYOUT = 1200
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
    "loading_questions": N_("loading the questions…"),
    "slider": N_("{name} slider"),
}


def ui_text() -> dict[str, str]:
    """The front end's words in the language in effect (placeholders left for the page).

    >>> with language("ko"):
    ...     ui_text()["next"], ui_text()["score"]
    ('다음 ▶', '점수 {right}/{asked}')
    """
    return {key: template(message) for key, message in UI.items()}


ROOM = 9  # characters the layout leaves for a number ("-0.001234"), so most changes fit in place
PARTIAL = " + ?"  # a grad still waiting for contributions: "1.649 + ?"
FIGURE_SPACE = "\u2007"  # as wide as a digit


def _pad(text: str, room: int) -> str:
    return text + FIGURE_SPACE * (room - len(text))


class _Diffs:
    """Frames as the page gets them: frame 0 in full, then per frame only what changed
    (the same data as ``_frame_json(graph, frames)`` of the full ``Frame`` list, built in
    time linear in the graph plus the changes, so a 200-node graph takes milliseconds).
    Tracks each cell's longest text, which the layout must leave room for."""

    def __init__(
        self, graph: Graph, text: dict[int, str], status: dict[int, str], edges: dict[str, bool]
    ) -> None:
        self.graph = graph
        self.text, self.status, self.edges = dict(text), dict(status), edges
        self.widest = {i: len(t) for i, t in text.items()}
        self.frames: list[dict[str, Any]] = []

    def first(self, caption: str, current: int | None, hot: Iterable[int]) -> None:
        entry = self._entry(caption, current, hot)
        node_id = self.graph.node_id
        for key, values in (("text", self.text), ("status", self.status)):
            if values:
                entry[key] = {node_id(i): v for i, v in values.items()}
        if self.edges:
            entry["edges"] = dict(self.edges)
        self.frames.append(entry)

    def next(self, caption: str, current: int | None, hot: Iterable[int], text: dict[int, str],
             status: dict[int, str], edges: Iterable[str] = ()) -> None:  # fmt: skip
        entry = self._entry(caption, current, hot)
        node_id = self.graph.node_id
        changed_text = {node_id(i): t for i, t in text.items() if self.text[i] != t}
        changed_status = {node_id(i): v for i, v in status.items() if self.status[i] != v}
        changed_edges = {e: True for e in edges if not self.edges[e]}
        self.text.update(text)
        self.status.update(status)
        self.edges.update(changed_edges)
        for i, t in text.items():
            self.widest[i] = max(self.widest[i], len(t))
        for key, values in (("text", changed_text), ("status", changed_status), ("edges", changed_edges)):
            if values:
                entry[key] = values
        self.frames.append(entry)

    def _entry(self, caption: str, current: int | None, hot: Iterable[int]) -> dict[str, Any]:
        return {
            "caption": caption,
            "current": None if current is None else self.graph.node_id(current),
            "hot": [self.graph.edges[e].id for e in hot],
        }


def _forward_diffs(graph: Graph) -> _Diffs:
    """``forward_frames(graph)`` as diffs: node k computed at frame k, its edges hot."""
    steps = forward_steps(graph.nodes[-1], dict(graph.names))
    n = len(graph.nodes)
    into: list[list[int]] = [[] for _ in range(n)]
    for e in graph.edges:
        into[e.child].append(e.index)
    text = {i: shown(graph.nodes[i].data) if i == 0 else "?" for i in range(n)}
    status = {i: "current" if i == 0 else "pending" for i in range(n)}
    diffs = _Diffs(graph, text, status, {})
    diffs.first(steps[0].text(), 0, into[0])
    for k in range(1, n):
        diffs.next(steps[k].text(), k, into[k], {k: shown(graph.nodes[k].data)}, {k - 1: "", k: "current"})
    return diffs


def _backward_diffs(graph: Graph, root: Value, bp: BackwardPass) -> tuple[_Diffs, list[tuple[int, int]]]:
    """``backward_frames(graph, root, bp)`` as diffs, and when each grad is complete:
    (step, node index) in the order a quiz asks them."""
    n = len(graph.nodes)
    consumers, received = [0] * n, [0] * n
    for e in graph.edges:
        consumers[e.parent] += 1
    root_i = graph.index[root]
    held = bp.held or [0.0] * n
    sums = list(held)  # a second backward() without zero_grad starts from the grads the first left
    text = {i: shown(bp.grads[i]) if i == root_i else shown(held[i]) if held[i] else "?" for i in range(n)}
    status = {i: "" if i == root_i else "pending" for i in range(n)}
    diffs = _Diffs(graph, text, status, {e.id: False for e in graph.edges})
    seed = seed_line(graph.names[root], bp.grads[root_i])
    if any(held):
        seed += "\n" + tr(
            "backward() ran before and zero_grad() was not called: the leaves still hold "
            "the grads that pass left, and this pass adds to them"
        )
    diffs.first(seed, None, ())
    sent: list[list[int]] = [[] for _ in range(len(bp.steps) + 1)]
    for index, k in bp.edge_step.items():  # in step order, so sums add up as the engine's did
        sent[k].append(index)
    done: list[tuple[int, int]] = []
    previous: int | None = None
    for k in range(1, len(bp.steps) + 1):
        current = graph.index[bp.steps[k - 1].node]
        changed_text, changed_status = {}, {}
        completed = []
        for index in sent[k]:
            p = graph.edges[index].parent
            received[p] += 1
            sums[p] += bp.edge_values[index][2]
            if received[p] == consumers[p]:
                changed_text[p], changed_status[p] = shown(sums[p]), ""
                completed.append(p)
            else:
                changed_text[p], changed_status[p] = f"{shown(sums[p])}{PARTIAL}", "partial"
        if previous is not None:
            changed_status[previous] = ""  # its grad was complete when its step came
        changed_status[current] = "current"
        diffs.next(
            bp.steps[k - 1].text(),
            current,
            sent[k],
            changed_text,
            changed_status,
            (graph.edges[e].id for e in sent[k]),
        )
        done += [(k, p) for p in sorted(set(completed))]
        previous = current
    return diffs, done


def _shape(graph: Graph, theme: str, rankdir: str) -> str:
    """A key for the layout: names, ops and their constants, edges (not the numbers)."""
    rows = [
        (graph.names[v], v.op.name if v.op else "", list(v.params), [graph.index[p] for p in v.parents])
        for v in graph.nodes
    ]
    return hashlib.sha1(json.dumps([theme, rankdir, rows]).encode()).hexdigest()[:16]


def _quiz(graph: Graph, bp: BackwardPass, done: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """One question per grad, asked before the step that completes it: the answer, the
    explainer's derivation, and the likely slips (value -> ``microprop quiz``'s hint)."""
    steps_of: dict[int, list[BackwardStep]] = {}  # each node's steps: the ones that sent it a grad
    for step in bp.steps:
        for p in {graph.index[c.parent] for c in step.contributions}:
            steps_of.setdefault(p, []).append(step)
    saved = [v.grad for v in graph.nodes]
    questions = []
    try:
        for v, g in zip(graph.nodes, bp.grads):
            v.grad = g  # hint() compares against the node's grad
        for k, i in done:
            node, truth, steps = graph.nodes[i], bp.grads[i], steps_of.get(i, [])
            received = [c for s in steps for c in s.contributions if c.parent is node]
            total = sum(c.value for c in received)
            guesses = {-truth, node.data}
            for c in received:
                guesses.update((c.value, total - c.value, c.local, c.upstream))
            slips = []
            for guess in sorted(g for g in guesses if math.isfinite(g)):
                text = hint(guess, node, steps, QUIZ_RTOL)
                if text and not math.isclose(guess, truth, rel_tol=QUIZ_RTOL, abs_tol=1e-9):
                    slips.append([guess, text])
            questions.append({
                "step": k, "id": graph.node_id(i), "name": graph.names[node],
                "truth": json_float(truth), "shown": fmt(truth),
                "derivation": grad_derivation(steps, node, graph.names[node]), "slips": slips,
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


def _data_room(dot: str) -> str:
    """The backward view draws each node's data from the graph: give it room too."""
    return re.sub(
        r'(<FONT COLOR="[^"]*">data )([^<]*)(</FONT>)', lambda m: m[1] + _pad(m[2], ROOM) + m[3], dot
    )


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
    max_layout: int = MAX_LAYOUT,
    have: str | None = None,
    quiz: bool = True,
    lang: str | None = None,
    passes: int = 1,
) -> dict[str, Any]:
    """The scene of ``root`` as JSON-ready data (see the module docstring), its words
    (captions, quiz, buttons) in ``lang`` (``"en"`` or ``"ko"``; default: the language
    in effect).

    ``leaves``: the inputs a learner may change (default: every leaf with a label).
    ``have``: the ``layout`` key of the scene the page shows; when the new scene lays
    out the same, its DOT is left out (the page keeps its drawing and rewrites numbers).
    ``passes``: how many times ``backward()`` runs without ``zero_grad``; the backward
    view steps through the last pass, the leaves starting from the grads the earlier
    passes left (micrograd's "backward called twice").
    The graph's grads are left as they were. Above ``max_nodes`` nodes the stepper
    would be unreadable, and above ``max_layout`` (``walk.layout_cost``: nodes plus the
    ranks long edges cross, as a weight shared by many layers makes) the page's Graphviz
    would take many seconds to minutes, freezing the tab: ``GraphTooLarge`` says what to do.

    >>> a = Value(2.0, label="a"); b = a + a; b.label = "b"
    >>> s = scene(b)
    >>> [leaf["name"] for leaf in s["leaves"]], s["views"]["backward"]["frames"][1]["text"]
    (['a'], {'v0': '2.0'})
    """
    with language(lang) as chosen:
        data = _scene(root, leaves, names, theme, rankdir, max_nodes, max_layout, have, quiz, passes)
        return {**data, "lang": chosen, "ui": ui_text()}


def _scene(
    root: Value,
    leaves: Iterable[Value] | None,
    names: Mapping[Value, str] | None,
    theme: str,
    rankdir: str,
    max_nodes: int,
    max_layout: int,
    have: str | None,
    quiz: bool,
    passes: int = 1,
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
    cost = layout_cost(graph)
    if cost > max_layout:
        raise GraphTooLarge(
            tr(
                "this graph has {size} nodes, but values used far apart (such as one weight shared by "
                "every layer) give it long edges: laid out, it costs {cost} node places, more than "
                "max_layout={max_layout}, and Graphviz would take seconds to minutes, freezing the page. "
                "Step through fewer layers or a smaller part of it, or raise max_layout and wait",
                size=size,
                cost=cost,
                max_layout=max_layout,
            )
        )
    graph.names = {v: printable(n) for v, n in graph.names.items()}
    bp = backward_pass(graph, root, passes)
    forward, (backward, done) = _forward_diffs(graph), _backward_diffs(graph, root, bp)
    editable = [v for v in graph.nodes if v.op is None and v.label] if leaves is None else list(leaves)
    scale = grad_scale(bp.grads)
    shape = _shape(graph, theme, rankdir)
    layout, dot = _layout(graph, bp, forward, backward, shape, theme, rankdir, have)
    return {
        "shape": shape,
        "layout": layout,
        **({"dot": dot} if dot else {}),
        "theme": pal.name,
        "start": "backward" if len(backward.frames) > 1 else "forward",
        "views": {
            "forward": {
                "prefix": tr("data {value}", value=""),
                "label": tr("forward step"),
                "frames": forward.frames,
            },
            "backward": {
                "prefix": tr("grad {value}", value=""),
                "label": tr("backward step"),
                "frames": backward.frames,
            },
        },
        "data": {graph.node_id(i): shown(v.data) for i, v in enumerate(graph.nodes)},
        "edge_text": {graph.edges[e].id: edge_label(v) for e, v in bp.edge_values.items()},
        "grad_fill": {graph.node_id(i): grad_color(pal, g, scale) for i, g in enumerate(bp.grads)},
        "legend": [num(s * scale) for s in LEGEND_STOPS],  # the colour scale's numbers
        "names": {graph.node_id(i): graph.names[v] for i, v in enumerate(graph.nodes)},
        "leaves": [
            {"id": graph.node_id(graph.index[v]), "name": graph.names[v], "value": json_float(v.data)}
            for v in editable
            if v in graph.index
        ],
        "quiz": _quiz(graph, bp, done) if quiz else None,
    }


def _layout(
    graph: Graph,
    bp: BackwardPass,
    forward: _Diffs,
    backward: _Diffs,
    shape: str,
    theme: str,
    rankdir: str,
    have: str | None,
) -> tuple[str, dict[str, str] | None]:
    """The layout's key and, unless the page already has that layout (``have``), both
    views' DOT. Each cell is laid out ``ROOM`` characters wide (a grad that may show
    "+ ?" wider), so the layout depends on the structure alone, and numbers changing
    within that room keep the key; a longer number widens its cell and changes the key."""
    consumers = [0] * len(graph.nodes)
    for e in graph.edges:
        consumers[e.parent] += 1
    data_room = {i: max(ROOM, forward.widest[i]) for i in forward.widest}
    grad_room = {
        i: max(ROOM + (len(PARTIAL) if c > 1 else 0), backward.widest[i]) for i, c in enumerate(consumers)
    }
    numbers = [num(x) for v in bp.edge_values.values() for x in v] + [shown(v.data) for v in graph.nodes]
    wide = [data_room[i] for i in data_room if data_room[i] > ROOM]
    wide += [
        grad_room[i] for i, c in enumerate(consumers) if grad_room[i] > ROOM + (len(PARTIAL) if c > 1 else 0)
    ]
    wide += [len(t) for t in numbers if len(t) > ROOM]
    key = (
        shape
        if not wide
        else f"{shape}:{hashlib.sha1(json.dumps([data_room, grad_room, numbers]).encode()).hexdigest()[:8]}"
    )
    if key == have:
        return key, None
    text_f = {i: _pad(shown(v.data), data_room[i]) for i, v in enumerate(graph.nodes)}
    final = final_frame(graph, bp)
    text_b = {i: _pad(t, grad_room[i]) for i, t in final.text.items()}
    edge_text = {
        e: "{} × {} = {}".format(*(_pad(num(x), ROOM) for x in v)) for e, v in bp.edge_values.items()
    }
    base = data_frame(graph)
    layout_f = Frame("", None, (), text_f, base.status)
    layout_b = Frame("", None, (), text_b, final.status, edge_text)
    return key, {
        "forward": digraph_for(graph, "forward", layout_f, theme, rankdir, None).source,
        "backward": _backward_dot(graph, layout_b, theme, rankdir, bp),
    }


def json_float(x: float) -> float | str:
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
