"""The scene the front end draws: its frames equal the full frames of viz.frames (built
incrementally), its layout key, and its JSON's safety inside a page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from test_viz import lecture_neuron

from microprop import Value
from microprop.testing import expressions
from microprop.viz.frames import Frame, backward_frames, forward_frames
from microprop.viz.scene import scene, to_json
from microprop.viz.walk import Graph, walk


def frame_json(graph: Graph, frames: list[Frame], edges: bool) -> list[dict[str, Any]]:
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


def reference(root: Value) -> dict:
    """The frames as viz.frames builds them (one full Frame per step), diff-encoded."""
    graph = walk(root, max_nodes=10_000)
    return {
        "forward": frame_json(graph, forward_frames(graph), False),
        "backward": frame_json(graph, backward_frames(graph, root), True),
    }


def frames_of(root: Value) -> dict:
    views = scene(root, max_nodes=10_000)["views"]
    return {view: views[view]["frames"] for view in ("forward", "backward")}


@settings(max_examples=60, deadline=None)
@given(expressions(max_leaves=3, max_ops=10))
def test_frames_equal_the_full_frames(e) -> None:
    """On random graphs (shared operands, a + a), the scene's frames are exactly viz.frames' frames."""
    root = e.fn(*(Value(x) for x in e.inputs))
    assert frames_of(root) == reference(root)


@pytest.mark.parametrize("build", ["neuron", "a+a", "x*x+exp", "leaf"])
def test_frames_equal_on_the_lessons(build: str) -> None:
    """The lecture neuron, a + a, x*x + exp(x) and a lone leaf give viz.frames' frames."""
    x = Value(0.5, label="x")
    root = {"neuron": lambda: lecture_neuron()["o"], "a+a": lambda: x + x, "x*x+exp": lambda: x * x + x.exp(),
            "leaf": lambda: x}[build]()  # fmt: skip
    assert frames_of(root) == reference(root)


def test_quiz_asks_each_grad_once_in_backward_order() -> None:
    """The quiz asks every node but the output, each before the step that completes it."""
    quiz = scene(lecture_neuron()["o"])["quiz"]
    steps = {q["name"]: q["step"] for q in quiz}
    assert len(quiz) == len(steps) == 9 and [q["step"] for q in quiz] == sorted(steps.values())
    assert steps == {"n": 1, "b": 2, "x1w1x2w2": 2, "x1w1": 3, "x2w2": 3, "x2": 4, "w2": 4, "x1": 5, "w1": 5}
    assert {q["name"]: q["truth"] for q in quiz}["x1"] == pytest.approx(-1.5)


def test_layout_key_follows_structure_not_numbers() -> None:
    """Numbers that fit their cells keep the layout key (and the DOT is left out when the
    page has it); a number too long for its cell, or another graph, changes it."""
    x = Value(2.0, label="x")
    y = (x * 3.0).tanh()
    first = scene(y)
    x.data = 0.25
    y = (x * 3.0).tanh()
    again = scene(y, have=first["layout"])
    assert again["layout"] == first["layout"] and "dot" not in again
    x.data = -1.23456e-12  # "-1.235e-12" is wider than its cell
    y = (x * 3.0).tanh()
    wide = scene(y, have=first["layout"])
    assert wide["layout"] != first["layout"] and "dot" in wide
    assert scene(x * 3.0, have=first["layout"])["layout"] != first["layout"]


def test_json_cannot_close_a_script_block() -> None:
    """No label survives into the JSON as <, > or & (so never as </script> or <!--)."""
    root = Value(1.0, label="</script><!--<script>&amp;\u2028") * 2
    text = to_json(scene(root))
    assert not any(ch in text for ch in "<>&\u2028")
    assert json.loads(text)["names"]["v0"] == "</script><!--<script>&amp;\u2028"
