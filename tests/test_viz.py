"""microprop.viz: DOT snapshots, determinism, step frames, the guard, rendering and
missing Graphviz. Regenerate the snapshots with UPDATE_SNAPSHOTS=1 (and read the diff)."""

from __future__ import annotations

import math
import os
import pathlib
import re
import struct
import xml.etree.ElementTree as ET

import pytest

from microprop import Value, expr
from microprop.explain import backward_steps
from microprop.i18n import language
from microprop.viz import GraphTooLarge, GraphvizMissing, draw, render, save, save_stepper, to_dot
from microprop.viz.scene import MAX_LAYOUT, scene
from microprop.viz.stepper import front_end_js
from microprop.viz.theme import THEMES
from microprop.viz.walk import layout_cost, walk

SNAPSHOTS = pathlib.Path(__file__).parent / "snapshots"


def lecture_neuron() -> dict[str, Value]:
    """The micrograd lecture's neuron (``microprop.expr.lecture_neuron``), its nodes by label."""
    return {v.label: v for v in expr.lecture_neuron().topo_order()}


def tiny_mlp() -> Value:
    """A 2-2-1 MLP built by hand (relu hidden, linear out), each node scoped like nn's."""
    x = [Value(1.0, label="x1"), Value(-2.0, label="x2")]
    weights = {
        "layer 1 / neuron 1": ([0.5, -0.25], 0.1),
        "layer 1 / neuron 2": ([-0.75, 0.5], 0.2),
        "layer 2 / neuron 1": ([1.5, -1.0], -0.3),
    }

    def neuron(inputs: list[Value], scope: str, relu: bool) -> Value:
        ws, b = weights[scope]
        before = {v for x_ in inputs for v in x_.topo_order()}
        act = Value(b)
        for w, xi in zip(ws, inputs):
            act = act + Value(w) * xi
        out = act.relu() if relu else act
        for v in out.topo_order():
            if v not in before:
                v.scope = scope
        return out

    h = [neuron(x, "layer 1 / neuron 1", True), neuron(x, "layer 1 / neuron 2", True)]
    return neuron(h, "layer 2 / neuron 1", False)


def check_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME.dot (UPDATE_SNAPSHOTS=1 rewrites it)."""
    path = SNAPSHOTS / f"{name}.dot"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(encoding="utf-8"), (
        f"DOT differs from {path.name} (UPDATE_SNAPSHOTS=1 to accept)"
    )


# --- snapshots --------------------------------------------------------------------------


def test_snapshot_forward() -> None:
    """The lecture neuron's forward view matches its snapshot."""
    check_snapshot("neuron_forward", to_dot(lecture_neuron()["o"]))


def test_snapshot_backward() -> None:
    """The lecture neuron's backward view matches its snapshot."""
    check_snapshot("neuron_backward", to_dot(lecture_neuron()["o"], view="backward"))


def test_snapshot_step() -> None:
    """Backward step 3 of the lecture neuron matches its snapshot."""
    check_snapshot("neuron_step3", to_dot(lecture_neuron()["o"], step=3))


def test_snapshot_a_plus_a() -> None:
    """``a + a`` (backward) matches its snapshot."""
    a = Value(3.0, label="a")
    check_snapshot("a_plus_a", to_dot(a + a, view="backward"))


def test_snapshot_mlp_clusters() -> None:
    """A scoped MLP draws nested clusters; the snapshot pins them."""
    check_snapshot("mlp_clusters", to_dot(tiny_mlp(), view="backward", rankdir="TB"))


def test_snapshot_mlp_collapsed() -> None:
    """The scoped MLP with collapse=True draws one box per neuron; the snapshot pins it."""
    check_snapshot("mlp_collapsed", to_dot(tiny_mlp(), view="backward", collapse=True, theme="dark"))


# --- structure and determinism ----------------------------------------------------------


def test_dot_is_byte_identical_for_equal_graphs() -> None:
    """Two separately built, equal graphs give the same DOT, twice (ids are not id())."""
    first = to_dot(lecture_neuron()["o"], view="backward")
    nodes = lecture_neuron()
    assert to_dot(nodes["o"], view="backward") == first
    assert to_dot(nodes["o"], view="backward") == first


def edge_labels(src: str) -> list[tuple[str, str, str]]:
    """(tail, head, label text) of every labelled edge in DOT source."""
    return re.findall(r"(\w+) -> (\w+) \[label=<<TABLE[^>]*><TR><TD[^>]*>(.*?)</TD>", src)


@pytest.mark.parametrize(
    "build, label",
    [(lambda a: a + a, "1.0 × 1.0 = 1.0"), (lambda a: a * a, "3.0 × 1.0 = 3.0")],
    ids=["a+a", "x*x"],
)
def test_repeated_operand_draws_two_edges(build, label: str) -> None:
    """``a + a`` and ``x * x`` keep both edges into the op, each with its contribution."""
    a = Value(3.0, label="a")
    src = to_dot(build(a), view="backward")
    assert edge_labels(src) == [("v0", "o1", label)] * 2


def test_op_nodes_are_labelled_from_the_op_table() -> None:
    """Every op node's text is its op-table label (with params for pow)."""
    x = Value(2.0, label="x")
    y = (x**3).exp().sigmoid() + x.relu()
    src = to_dot(y)
    for label in ("^3.0", "exp", "σ", "ReLU", "+"):
        assert f'[label="{label}"' in src or f"[label={label} " in src, label


def test_backward_view_leaves_grads_alone() -> None:
    """Drawing the backward view neither runs up leaf grads nor resets them."""
    nodes = lecture_neuron()
    draw(nodes["o"], view="backward")
    assert nodes["x1"].grad == 0.0
    nodes["o"].backward()
    before = {name: v.grad for name, v in nodes.items()}
    to_dot(nodes["o"], step=2)
    to_dot(nodes["o"], view="backward")
    assert {name: v.grad for name, v in nodes.items()} == before


def test_backward_view_shows_engine_grads_and_edge_labels() -> None:
    """Each grad cell shows the engine's grad; edges show local × upstream = contribution."""
    nodes = lecture_neuron()
    src = to_dot(nodes["o"], view="backward")
    assert ("v0", "o2", "-3.0 × 0.5 = -1.5") in edge_labels(src)  # x1 -> (x1 × w1)
    for name, grad in (("x1", "-1.5"), ("w1", "1.0"), ("x2", "0.5"), ("w2", "0.0"), ("b", "0.5")):
        assert re.search(rf"<B>{name}</B>.*?grad {re.escape(grad)}<", src), name
    assert "legend" in src


def test_forward_view_has_no_grads() -> None:
    """The forward view shows data only: no grad cells, no edge labels, no legend."""
    src = to_dot(lecture_neuron()["o"])
    assert "grad" not in src and edge_labels(src) == [] and "legend" not in src


def test_step_frames_follow_the_explainer() -> None:
    """Step k: the caption is explain's text for step k, its node current, its edges hot,
    grads not reached yet shown as ?."""
    nodes = lecture_neuron()
    steps = backward_steps(lecture_neuron()["o"])
    for k in range(1, len(steps) + 1):
        src = to_dot(nodes["o"], step=k)
        for line in steps[k - 1].text().splitlines():
            assert line in src
        current = re.findall(r"(v\d+) \[.*class=current", src)
        assert [c for c in current] and f"<B>{steps[k - 1].name}</B>" in src.split(f"\t{current[0]} [")[
            1
        ].split("\n")[0]
        assert src.count("class=hot") == len(steps[k - 1].contributions)
    first = to_dot(nodes["o"], step=1)
    assert "grad ?" in first and "grad ?" not in to_dot(nodes["o"], step=len(steps))


def test_step_zero_knows_only_the_root() -> None:
    """Before the first step only the output's grad (1) is known."""
    src = to_dot(lecture_neuron()["o"], step=0)
    assert src.count("grad ?") == 9 and "grad 1.0" in src
    assert "backward starts at the output" in src


@pytest.mark.parametrize("held", ["fresh", "stale", "leaf"])
def test_step_zero_caption_shows_the_seed(held: str) -> None:
    """Step 0's caption (image and stepper) gives the root's grad as the seed 1.0, not the grad it holds."""
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    root = y if held == "leaf" else x * y + x
    if held != "fresh":
        x.grad, y.grad, root.grad = 5.0, 7.0, 9.0
    name = walk(root).names[root]
    caption = f"{name}.grad = 1.0: backward starts at the output, d{name}/d{name} = 1"
    assert f'graph [label="{caption}\\l"' in to_dot(root, step=0)
    frames = scene(root)["views"]["backward"]["frames"]
    assert frames[0]["caption"] == caption
    assert root.grad == (0.0 if held == "fresh" else 9.0)  # drawing changed no grad


def test_partial_grad_shows_the_sum_so_far() -> None:
    """A node with one of two contributions in shows ``sum + ?``."""
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    src = to_dot(x * y + x, step=1)
    assert "grad 1.0 + ?" in src


def test_nan_and_inf_are_flagged() -> None:
    """An inf value and a nan grad get the warning mark and the flag colour."""
    x = Value(0.0, label="x")
    y = x.log() * 0.0  # log(0) = -inf; d/dx = 0 × (1/0) = nan
    src = to_dot(y, view="backward")
    assert "data -inf ‼" in src and "grad nan ‼" in src
    assert ("v0", "o1", "inf × 0.0 = nan ‼") in edge_labels(src)
    assert src.count(THEMES["light"].flag) >= 5  # two cells, the edge and its label, the legend


def test_bad_options_raise_value_error() -> None:
    """A bad view, rankdir, theme or step number is a ValueError naming the choices."""
    y = Value(1.0, label="x") * 2
    with pytest.raises(ValueError, match="view"):
        draw(y, view="sideways")
    with pytest.raises(ValueError, match="rankdir"):
        draw(y, rankdir="XY")
    with pytest.raises(ValueError, match="light, dark"):
        draw(y, theme="neon")
    with pytest.raises(ValueError, match="from 0 to 1"):
        draw(y, step=2)


def test_options_reach_the_dot() -> None:
    """rankdir, theme and names show up in the DOT."""
    x = Value(1.0)
    y = x * 2
    src = to_dot(y, rankdir="TB", theme="dark", names={x: "input"})
    assert "rankdir=TB" in src and THEMES["dark"].bg in src and "<B>input</B>" in src


def test_awkward_names_render(dot_program: str, tmp_path: pathlib.Path) -> None:
    """Names and scopes with quotes, backslashes, <, > and & reach dot intact (no broken DOT)."""
    x = Value(1.0, label='<x> & "q"')
    y = (x * 2.0).tanh()
    y.label = "y\\N"
    y.scope = "<layer> / a\\l"
    root = ET.parse(save(y, tmp_path / "y.svg", step=1)).getroot()
    texts = {t.text.replace("\u200b", "") for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {'<x> & "q"', "y\\N", "<layer>", "a\\l"} <= texts


def test_clusters_nest_by_scope() -> None:
    """Scoped nodes sit in nested clusters labelled by each part of the scope."""
    src = to_dot(tiny_mlp())
    assert src.count("subgraph cluster_") == 5  # 2 layers, 3 neurons
    assert 'label="layer 1"' in src and 'label="neuron 2"' in src


def test_max_nodes_collapses_scoped_graph() -> None:
    """Above max_nodes a scoped graph is collapsed into boxes, with a note saying so."""
    src = to_dot(tiny_mlp(), max_nodes=12)
    assert "scopes collapsed into 3 boxes" in src and "subgraph cluster_" in src
    assert src.count("shape=box") == 3


def test_max_nodes_refuses_unscoped_graph() -> None:
    """An unscoped graph above max_nodes is refused with a message saying what to do."""
    y = Value(1.0, label="x")
    for _ in range(300):
        y = y * 1.01
    with pytest.raises(GraphTooLarge, match=r"601 nodes, more than max_nodes=400.*collapse=True"):
        to_dot(y)
    assert to_dot(y, max_nodes=1000).startswith("digraph")


def test_frame_data_is_diff_encoded() -> None:
    """Stepper frames after the first carry only what changed; both views are there."""
    nodes = lecture_neuron()
    data = scene(nodes["o"])
    back = data["views"]["backward"]["frames"]
    assert len(back) == 6 and len(data["views"]["forward"]["frames"]) == 10
    assert len(back[0]["text"]) == 10 and all(len(f.get("text", {})) <= 3 for f in back[1:])


# --- rendering --------------------------------------------------------------------------


def test_render_svg(dot_program: str, tmp_path: pathlib.Path) -> None:
    """A rendered SVG is valid XML with one group per value node, carrying the grads."""
    path = save(lecture_neuron()["o"], tmp_path / "n.svg", view="backward")
    root = ET.parse(path).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    ids = {g.get("id") for g in root.iterfind(".//s:g", ns)}
    assert {f"v{i}" for i in range(10)} <= ids
    texts = [t.text for t in root.iterfind(".//s:text", ns)]
    assert "grad -1.5" in texts and "-3.0 × 0.5 = -1.5" in texts


def test_render_png_and_pdf(dot_program: str, tmp_path: pathlib.Path, artifacts_dir: str) -> None:
    """PNG and PDF come out with their magic bytes; the PNG has a sensible size."""
    png = save(lecture_neuron()["o"], pathlib.Path(artifacts_dir) / "viz_neuron_step2.png", step=2)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert 600 < width < 4000 and 100 < height < 2000
    pdf = save(tiny_mlp(), tmp_path / "mlp.pdf", view="backward")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_unknown_suffix_is_refused(tmp_path: pathlib.Path) -> None:
    """A file name whose suffix is not a format is a ValueError listing the formats."""
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        save(Value(1.0), tmp_path / "x.jpg")


def test_missing_dot_draws_with_graphviz_pure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """Without dot on PATH, graphviz-pure (found beside this Python) draws .png and .svg;
    a .pdf raises GraphvizMissing saying it needs dot."""
    monkeypatch.setenv("PATH", str(tmp_path))
    y = lecture_neuron()["o"]
    assert [r.name for r in render.renderers()] == ["graphviz-pure"]
    assert save(y, tmp_path / "y.png", view="backward").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in save(y, tmp_path / "y.svg").read_text(encoding="utf-8")
    with pytest.raises(GraphvizMissing, match=r"\.pdf needs Graphviz's 'dot'.*save as \.svg or \.png"):
        save(y, tmp_path / "y.pdf")


def test_no_renderer_at_all(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """Without any renderer: to_dot and .dot files work; images and the stepper raise
    GraphvizMissing naming both programs and how to install them."""
    monkeypatch.setattr(render, "renderers", list)
    y = lecture_neuron()["o"]
    assert to_dot(y).startswith("digraph")
    assert save(y, tmp_path / "y.dot").read_text(encoding="utf-8") == to_dot(y)
    captions = [f["caption"] for f in scene(y)["views"]["backward"]["frames"]]
    assert captions[5].startswith("step 5  x1w1 = x1 × w1")  # the stepper's text needs no dot
    for name in ("y.png", "y.svg"):
        with pytest.raises(
            GraphvizMissing,
            match=r"Graphviz's 'dot' program or graphviz-pure.*pip install graphviz-pure.*apt-get install graphviz",
        ):
            save(y, tmp_path / name)
    assert "digraph" in save_stepper(y, tmp_path / "y.html").read_text(
        encoding="utf-8"
    )  # laid out in the browser
    assert not (tmp_path / "y.png").exists()


def test_stepper_page_is_small_and_self_contained(tmp_path: pathlib.Path) -> None:
    """The lecture neuron's page is under 2 MB with Graphviz (WebAssembly) inside, and
    loads nothing from the network."""
    page = save_stepper(lecture_neuron()["o"], tmp_path / "s.html").read_text(encoding="utf-8")
    assert 1_000_000 < len(page.encode()) < 2_000_000
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    own = page.replace(front_end_js(), "")  # the vendored Graphviz holds "url(" among its strings
    assert "url(" not in own and "@import" not in own and "fetch(" not in own


def test_stepper_page_grows_gently(tmp_path: pathlib.Path) -> None:
    """81 backward steps on 122 nodes add well under 1 MB to the page (one layout, frames
    as diffs: an earlier design with one SVG per frame wrote 23 MB for 81 frames)."""
    y = Value(0.5, label="x")
    for i in range(81):
        y = y * 1.01 if i % 2 else y.tanh()
    page = save_stepper(y, tmp_path / "chain.html")
    assert page.read_text(encoding="utf-8").count('"caption":') == 82 + 122  # backward + forward frames
    assert page.stat().st_size - len(front_end_js().encode()) < 1_000_000


def test_stepper_refuses_large_graph(tmp_path: pathlib.Path) -> None:
    """The stepper shows every node, so it refuses a graph above max_nodes."""
    y = Value(1.0, label="x")
    for _ in range(30):
        y = y + 1.0
    with pytest.raises(GraphTooLarge, match="stepper shows every node"):
        save_stepper(y, tmp_path / "s.html", max_nodes=50)
    assert not (tmp_path / "s.html").exists()


def shared_weight(depth: int) -> Value:
    """``x = w``, then ``x = tanh(x*w + x)`` ``depth`` times: w's edges reach every layer."""
    w = Value(0.5, label="w")
    x = w
    for _ in range(depth):
        x = (x * w + x).tanh()
    return x


def test_stepper_refuses_a_graph_graphviz_would_take_minutes_on(tmp_path: pathlib.Path) -> None:
    """A weight shared by 20 layers (61 nodes, far under max_nodes) is refused before any layout,
    in the page's language, saying what to do; 15 layers (under a second to lay out) are not."""
    assert layout_cost(walk(shared_weight(15))) <= MAX_LAYOUT < layout_cost(walk(shared_weight(20)))
    with pytest.raises(GraphTooLarge, match=r"61 nodes.*max_layout=1200.*fewer layers"):
        save_stepper(shared_weight(20), tmp_path / "s.html")
    with pytest.raises(GraphTooLarge, match=r"max_layout=1200.*레이어"):
        save_stepper(shared_weight(20), tmp_path / "s.html", lang="ko")
    assert not (tmp_path / "s.html").exists()
    assert save_stepper(shared_weight(20), tmp_path / "s.html", max_layout=2000).exists()
    assert scene(shared_weight(15), quiz=False)["dot"]


def test_layout_cost_counts_long_edges() -> None:
    """A chain costs its value and op nodes; a shared weight adds a hidden node per rank its
    edges cross, growing with the square of the depth."""
    chain = Value(1.0, label="x")
    for i in range(30):
        chain = (chain * Value(0.5, label=f"w{i}") + chain).tanh()
    assert layout_cost(walk(chain)) == 121 + 90 + 2 * 30  # values, op nodes, x to its add: 2 ranks
    costs = [layout_cost(walk(shared_weight(d))) for d in (10, 20, 40)]
    assert costs[1] > 3.5 * costs[0] and costs[2] > 3.5 * costs[1]


def test_a_renderer_taking_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """A renderer still running after ``timeout`` seconds is stopped: RenderError says what to draw instead."""
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nexec /bin/sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(render.RenderError, match=r'dot took more than 0.3 s .*view="forward"'):
        save(Value(1.0, label="x") * 2, tmp_path / "a.svg", timeout=0.3)
    with pytest.raises(render.RenderError, match=r"dot.* 0.3초.*view=\"forward\""), language("ko"):
        save(Value(1.0, label="x") * 2, tmp_path / "a.svg", timeout=0.3)


def test_single_leaf_draws() -> None:
    """A lone value (no ops, no steps) draws in every view."""
    x = Value(math.pi, label="x")
    assert "data 3.142" in to_dot(x)
    assert "grad 1.0" in to_dot(x, view="backward")
    assert "grad 1.0" in to_dot(x, step=0)


def test_gradcheck_report_marks_the_disagreeing_input() -> None:
    """draw(report.root, mark=report) flags exactly the inputs gradcheck failed, with the numeric value."""
    from microprop.gradcheck import gradcheck

    report = gradcheck(
        lambda x, y: (x * y.data + y).tanh(), [0.5, -1.2], raise_on_failure=False, names=["x", "y"]
    )
    assert [c.name for c in report.failures] == ["y"]
    dot = to_dot(report.root, view="backward", mark=report)
    flagged = [line for line in dot.splitlines() if "≠" in line]
    assert len(flagged) == 1 and ">y<" in flagged[0].replace("<B>", "").replace("</B>", "")
    assert f"numeric {report.failures[0].numeric:.4g}" in flagged[0]
    assert "≠" not in to_dot(report.root, view="backward")  # nothing marked without mark=
    assert "≠ check" in to_dot(report.root, mark=[report.inputs[0]])


@pytest.mark.parametrize("label", ["\x01", "a\nb", "tab\there", "\x00", "\x7f", "\ud800"])
def test_control_characters_in_labels_render(label: str, tmp_path: pathlib.Path) -> None:
    """A label with control characters (or a lone surrogate) renders, shown as escapes."""
    x = Value(1.0, label=label)
    y = x * 2
    for view in ("forward", "backward"):
        svg = save(y, tmp_path / "a.svg", view=view).read_text(encoding="utf-8")
        assert "<svg" in svg
    assert "\\" in to_dot(y) and label not in to_dot(y, step=1)


def test_a_failing_renderer_is_a_render_error_with_its_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """When dot fails, save raises microprop's RenderError carrying dot's stderr and status."""
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: <stdin>: syntax error in line 3' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        render.RenderError,
        match=r"dot failed to render a \.svg \(exit status 3\): Error: <stdin>: syntax error",
    ):
        save(Value(1.0, label="x") * 2, tmp_path / "a.svg")
