"""The notebook widget: its Python side, and its front end in Chromium against a small
stand-in for anywidget's model (the kernel played by Python through the page)."""

from __future__ import annotations

import json
import pathlib

import pytest
from browser import open_tab

from microprop import Value
from microprop.explain import fmt
from microprop.viz.scene import to_json

anywidget = pytest.importorskip("anywidget")
from test_viz import lecture_neuron

from microprop.viz import Stepper


def neuron() -> Value:
    return lecture_neuron()["o"]


def test_values_change_leaves_and_scene() -> None:
    """Setting values from the front end changes the leaf, every value computed from it
    and the scene's numbers, keeping the layout's shape."""
    nodes = lecture_neuron()
    w = Stepper(nodes["o"])
    shape = w.scene["shape"]
    w.quiz = True  # the front end's quiz mode asks for the questions
    w.values = {"x1": 1.0}
    assert nodes["x1"].data == 1.0 and nodes["n"].data == pytest.approx(-3.0 + 6.8813735870195432)
    assert w.scene["shape"] == shape and w.error == "" and "dot" not in w.scene
    grads = {q["name"]: q["shown"] for q in w.scene["quiz"]}
    assert grads["w1"] == fmt((1 - nodes["o"].data ** 2) * 1.0)


def test_bad_values_are_refused() -> None:
    """A name that is not a leaf, or a value that is not a number, sets error and changes nothing."""
    nodes = lecture_neuron()
    w = Stepper(nodes["o"])
    w.values = {"nope": 1.0}
    assert "not a leaf" in w.error and nodes["x1"].data == 2.0
    w.values = {"x1": "2"}
    assert "'x1'" in w.error


def test_mime_bundle_has_a_static_fallback() -> None:
    """The output carries the widget view and a text/html stepper for places without widgets."""
    data, _ = Stepper(Value(2.0, label="</script><!--x") * 2)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "micropropStepper.mount" in data["text/html"] and "</script><!--x" not in data["text/html"]


def test_stepper_import_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without anywidget, microprop.viz.Stepper says which extra to install."""
    import sys

    from microprop import viz

    monkeypatch.setitem(sys.modules, "anywidget", None)
    monkeypatch.delitem(sys.modules, "microprop.viz.widget", raising=False)
    with pytest.raises(ImportError, match=r"microprop\[notebook\]"):
        viz.Stepper  # noqa: B018


HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style></head><body>
<h1 style="font: 16px sans-serif">notebook stand-in</h1>
<textarea id="cell" rows="2" cols="40"></textarea>
<div id="out-a"></div><div id="out-b"></div>
<script type="application/json" id="esm">{esm}</script>
<script type="application/json" id="scenes">{scenes}</script>
<script type="module">
// a stand-in for anywidget's model: get/set/save_changes/on/off; save_changes asks
// the "kernel" (Python, exposed to the page) and fires change events with its answer
function model(state, kernel) {{
  const listeners = {{}};
  return {{
    get: (k) => state[k],
    set: (k, v) => {{ state[k] = v; }},
    save_changes: async () => {{
      const reply = JSON.parse(await window[kernel](JSON.stringify({{ values: state.values, quiz: state.quiz }})));
      for (const [k, v] of Object.entries(reply)) {{
        state[k] = v; (listeners["change:" + k] || []).forEach((f) => f());
      }}
    }},
    on: (ev, f) => {{ (listeners[ev] = listeners[ev] || []).push(f); }},
    off: (ev, f) => {{ listeners[ev] = (listeners[ev] || []).filter((g) => g !== f); }},
  }};
}}
const esm = JSON.parse(document.getElementById("esm").textContent);
const scenes = JSON.parse(document.getElementById("scenes").textContent);
const widget = (await import(URL.createObjectURL(new Blob([esm], {{ type: "text/javascript" }})))).default;
for (const id of ["a", "b"]) {{
  const el = document.getElementById("out-" + id);
  const s = scenes[id];
  widget.render({{ model: model({{ scene: s.scene, dot: s.dot, values: {{}}, quiz: false, error: "" }}, "kernel_" + id), el: el }});
}}
window.rendered = true;
</script></body></html>"""


def host_page(widgets: dict) -> str:
    """The stand-in notebook page for widgets ``a`` and ``b``."""
    return HOST.format(
        css=widgets["a"]._css,
        esm=to_json(widgets["a"]._esm),
        scenes=to_json({k: {"scene": w.scene, "dot": w.dot} for k, w in widgets.items()}),
    )


def kernel(w):
    """The kernel's side of the stand-in: apply the front end's state, answer with the model's."""

    def handle(state: str) -> str:
        state = json.loads(state)
        w.quiz = state["quiz"]
        w.values = state["values"]
        return json.dumps({"dot": w.dot, "scene": w.scene, "error": w.error})

    return handle


def open_host(browser, folder: pathlib.Path, widgets: dict):
    """A tab on the stand-in notebook page of ``widgets`` (``a`` and ``b``), each with its own
    kernel, both drawn; a dialog (a script a label smuggled in) counts as an error."""
    (folder / "host.html").write_text(host_page(widgets), encoding="utf-8")
    tab = open_tab(browser, "about:blank", local=("file:", "blob:", "about:"))
    tab.on("dialog", lambda d: tab.errors.append("dialog: " + d.message))
    for k, w in widgets.items():
        tab.expose_function(f"kernel_{k}", kernel(w))
    tab.goto((folder / "host.html").as_uri())
    for k in widgets:
        tab.wait_for_selector(f"#out-{k} .mp-pane:not([hidden]) svg g.node", timeout=30_000)
    tab.widgets = widgets
    return tab


@pytest.fixture
def host(browser, tmp_path: pathlib.Path):
    """Two Stepper widgets (two lecture neurons) in one page, each with its own kernel."""
    tab = open_host(browser, tmp_path, {"a": Stepper(neuron()), "b": Stepper(neuron())})
    yield tab
    tab.close()


def frame(tab, which: str) -> str:
    return tab.locator(f"#out-{which}").get_attribute("data-frame")


def test_two_steppers_step_independently_and_a_textarea_keeps_its_keys(host, artifacts_dir: str) -> None:
    """Typing in a text box reaches the text box only; each stepper steps only while focused."""
    host.locator("#cell").click()
    host.keyboard.type("x = z + 1")
    host.keyboard.press("ArrowLeft")
    host.keyboard.press(" ")
    assert host.locator("#cell").input_value() == "x = z +  1"
    assert frame(host, "a") == "0" and frame(host, "b") == "0"
    host.locator("#out-a").focus()
    host.keyboard.press("ArrowRight")
    host.keyboard.press("ArrowRight")
    assert frame(host, "a") == "2" and frame(host, "b") == "0"
    host.locator("#out-b").get_by_test_id("next").click()
    assert frame(host, "a") == "2" and frame(host, "b") == "1"
    host.keyboard.press("End")
    assert frame(host, "a") == "2" and frame(host, "b") == "5"
    # no style leaks out: the page's own elements keep the browser's defaults
    assert host.locator("h1").evaluate("e => getComputedStyle(e).fontFamily") == "sans-serif"
    assert host.locator("#cell").evaluate("e => getComputedStyle(e).boxSizing") == "content-box"
    host.screenshot(path=str(pathlib.Path(artifacts_dir) / "widget_two_steppers.png"), full_page=True)
    assert host.errors == []


def test_changing_a_leaf_updates_every_number_in_place(host) -> None:
    """A new x1 goes to the kernel; every value, grad and edge label is rewritten in the
    same SVG (no new layout), and the other stepper is untouched."""
    out = host.locator("#out-a")
    out.locator(".mp-pane-backward svg").evaluate("svg => { svg.dataset.mark = 'same'; }")
    out.focus()
    host.keyboard.press("End")
    before = out.get_by_test_id("grad-w1").text_content()
    field = out.get_by_test_id("leaf-x1")
    field.fill("1")
    field.press("Enter")  # a change event
    host.wait_for_function(
        "() => document.querySelector('#out-a [data-testid=\"value-x1\"]').textContent === 'data 1.0'"
    )
    w = host.widgets["a"]
    o = w._root
    assert o.data == pytest.approx(__import__("math").tanh(-3.0 + 6.8813735870195432))
    after = out.get_by_test_id("grad-w1").text_content()
    assert after != before and after == f"grad {fmt(1 - o.data**2, 4)}"
    assert out.get_by_test_id("value-o").text_content() == f"data {fmt(o.data, 4)}"
    assert out.get_attribute("data-layouts") == "1", out.get_attribute("data-grew")
    assert host.locator("#out-b").get_by_test_id("value-x1").text_content() == "data 2.0"
    legend = out.locator(".mp-pane-backward g#legend text")
    assert [legend.nth(i).text_content() for i in range(1, 6)] == w.scene["legend"]
    assert host.errors == []


def test_readme_widget_block_runs() -> None:
    """The README's notebook block runs as written and builds a Stepper of the neuron."""
    from test_readme import blocks, run

    (code,) = blocks("The live lab: in the notebook and in the browser")
    namespace: dict = {}
    run(code.replace("Stepper(o)  #", "widget = Stepper(o)  #"), namespace)
    assert round(namespace["o"].data, 4) == 0.7071
    assert [leaf["name"] for leaf in namespace["widget"].scene["leaves"]] == ["x", "w", "b"]


def test_hostile_labels_in_the_widget(browser, tmp_path: pathlib.Path) -> None:
    """Labels with markup, quotes, backslashes, control characters and RTL marks are shown
    as text by the widget's front end, and nothing they contain runs."""
    from test_stepper_browser import HOSTILE

    from microprop.viz.scene import printable

    labels = [HOSTILE[0] + HOSTILE[4], HOSTILE[1] + HOSTILE[5] + HOSTILE[6]]  # <!--<script>, </script>, \, ctl, RTL
    roots = {}
    for k, label in zip("ab", labels):
        x = Value(2.0, label=label)
        roots[k] = x**2 + x
    tab = open_host(browser, tmp_path, {k: Stepper(r) for k, r in roots.items()})
    for k, label in zip("ab", labels):
        shown = tab.locator(f"#out-{k} .mp-pane-backward g#v0 text").first.text_content()
        assert shown.replace("\u200b", "") == printable(label)
        field = tab.locator(f"#out-{k}").get_by_test_id(f"leaf-{printable(label)}")
        field.fill("3")
        field.press("Enter")
        tab.wait_for_function(
            f"() => document.querySelector('#out-{k} .mp-pane-backward g#v0').textContent.includes('3.0')"
        )
    assert tab.locator("script").count() == 3  # the host's own: esm, scenes, module; nothing injected
    assert tab.errors == []
    tab.close()
