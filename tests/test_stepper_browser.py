"""The stepper page in real headless Chromium (Debian's, driven by playwright): laid
out by Graphviz in WebAssembly, readable, stepping, quiz, hostile labels."""

from __future__ import annotations

import pathlib

import pytest
from browser import MIN_TEXT_PX, PLACEMENT, open_stepper
from test_viz import lecture_neuron

from microprop import Value
from microprop.explain import backward_steps, fmt, forward_steps
from microprop.viz import save_stepper
from microprop.viz.scene import printable

pytestmark = pytest.mark.browser

BACK = ".mp-pane-backward"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The lecture neuron's stepper page."""
    return save_stepper(lecture_neuron()["o"], tmp_path_factory.mktemp("stepper") / "neuron.html")


@pytest.fixture
def page(browser, page_file: pathlib.Path):
    """The lecture neuron's page, laid out in a fresh tab, the stepper focused."""
    tab = open_stepper(browser, page_file.as_uri())
    tab.locator("#stepper").focus()
    yield tab
    tab.close()


def current_name(page) -> str:
    """The name (bold cell) of the value node highlighted as current."""
    return page.locator(f"{BACK} g.node.current:not(.op) text").first.text_content()


def grads_shown(page) -> dict[str, str]:
    """Every value node's name -> the number in its grad cell, as displayed."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.mp-pane-backward g.node')]
            .filter(g => /^v[0-9]+$/.test(g.id))
            .map(g => [...g.querySelectorAll('text')].map(t => t.textContent))
            .map(t => [t[0], (t.find(s => s.startsWith('grad ')) || '').slice(5)]))"""
    )


def frame(page) -> str:
    return page.locator("#stepper").get_attribute("data-frame")


def test_page_loads_without_errors(page) -> None:
    """The page opens from disk, lays itself out with no dot program, no console error and no network request."""
    assert page.title().startswith("microprop")
    assert page.locator(f"{BACK} svg").count() == 1
    assert page.locator(".mp-counter").text_content() == "backward step 0 of 5"
    assert page.errors == []


def test_next_moves_highlight_and_caption(page) -> None:
    """Each Next highlights the next step's node and shows explain's text for it."""
    steps = backward_steps(lecture_neuron()["o"])
    for step in steps:
        page.get_by_test_id("next").click()
        assert current_name(page) == step.name
        assert page.get_by_test_id("caption").text_content() == step.text()
        assert page.locator(f"{BACK} g.edge.hot").count() == len(step.contributions) + 1
    assert page.get_by_test_id("next").is_disabled()
    assert page.errors == []


def test_question_marks_until_grads_arrive(page) -> None:
    """At frame 0 only o's grad is known; after step 1 n's is, and x1's still is not."""
    shown = grads_shown(page)
    assert shown["o"] == "1.0" and shown["n"] == "?" and shown["x1"] == "?"
    page.get_by_test_id("next").click()
    shown = grads_shown(page)
    assert shown["n"] == "0.5" and shown["x1"] == "?"


def test_last_frame_grads_equal_engine(page, artifacts_dir: str) -> None:
    """At the last frame every grad shown equals the engine's (4 significant digits),
    and the grad-NAME / value-NAME hooks show them too."""
    nodes = lecture_neuron()
    nodes["o"].backward()
    page.keyboard.press("End")
    shown = grads_shown(page)
    assert set(shown) == set(nodes)
    for name, v in nodes.items():
        assert float(shown[name]) == pytest.approx(v.grad, rel=1e-3, abs=1e-12), name
        assert shown[name] == fmt(v.grad, 4)
        assert page.get_by_test_id(f"grad-{name}").text_content() == f"grad {fmt(v.grad, 4)}"
        assert page.get_by_test_id(f"value-{name}").text_content() == f"data {fmt(v.data, 4)}"
    page.keyboard.press("ArrowLeft")
    page.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_neuron_step4.png"), full_page=True)
    assert page.errors == []


def test_backward_arrows_point_to_the_inputs(page) -> None:
    """In the backward view each edge's arrowhead sits at the input's end (the grad flows back)."""
    ends = page.evaluate(
        """() => { const e = document.querySelector('.mp-pane-backward g.edge#e0');
            const arrow = e.querySelector('polygon').getBBox(), path = e.querySelector('path');
            const start = path.getPointAtLength(0), end = path.getPointAtLength(path.getTotalLength());
            const d = (p) => Math.hypot(p.x - (arrow.x + arrow.width / 2), p.y - (arrow.y + arrow.height / 2));
            return [d(start), d(end)]; }"""
    )
    assert ends[0] < ends[1]  # nearer the tail (the input x1) than the op
    assert "local derivative × upstream grad = contribution" in page.locator(".mp-legend").text_content()


def test_keys_and_slider(page) -> None:
    """Arrow keys step, Home goes back to the start, the slider jumps to a frame."""
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator(".mp-counter").text_content() == "backward step 2 of 5"
    page.keyboard.press("ArrowLeft")
    assert frame(page) == "1"
    page.keyboard.press("Home")
    assert frame(page) == "0"
    page.locator(".mp-controls .mp-slider").fill("4")
    assert page.locator(".mp-counter").text_content() == "backward step 4 of 5"
    assert current_name(page) == backward_steps(lecture_neuron()["o"])[3].name


def test_keys_need_focus(page) -> None:
    """Without focus the page's arrow keys are left alone (the stepper listens only on its own element)."""
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    assert frame(page) == "0"


def test_play_pause(page) -> None:
    """Play advances frames by itself and the button then offers Pause/Play."""
    play = page.locator(".mp-controls button", has_text="Play")
    play.click()
    assert page.locator(".mp-controls button").nth(1).text_content() == "❚❚ Pause"
    page.wait_for_function("document.getElementById('stepper').dataset.frame === '2'", timeout=10_000)
    page.locator(".mp-controls button").nth(1).click()
    assert page.locator(".mp-controls button").nth(1).text_content() == "▶ Play"
    assert page.errors == []


def test_forward_toggle(page, artifacts_dir: str) -> None:
    """The Forward button shows the forward view, stepping through explain's forward
    lines with uncomputed values shown as ?; Backward comes back where it was."""
    page.get_by_test_id("next").click()
    page.get_by_role("button", name="Forward").click()
    assert page.locator(".mp-pane-forward").is_visible() and not page.locator(BACK).is_visible()
    lines = [s.text() for s in forward_steps(lecture_neuron()["o"])]
    assert page.get_by_test_id("caption").text_content() == lines[0]
    page.locator("#stepper").focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    assert page.get_by_test_id("caption").text_content() == lines[6]
    assert page.locator(".mp-pane-forward g.node.pending").count() == 3
    assert "data ?" in page.locator(".mp-pane-forward").text_content()
    page.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_neuron_forward.png"), full_page=True)
    page.get_by_role("button", name="Backward").click()
    assert page.locator(".mp-counter").text_content() == "backward step 1 of 5"
    assert page.errors == []


def test_readable_at_1280(page) -> None:
    """At 1280x800 every node's text is drawn at 12 CSS px or more (the graph scrolls instead)."""
    assert page.evaluate(MIN_TEXT_PX, "") >= 12
    page.get_by_role("button", name="Forward").click()
    assert page.evaluate(MIN_TEXT_PX, "") >= 12


def test_projector_mode(page, artifacts_dir: str) -> None:
    """Projector mode draws the graph half again as big and the caption bigger."""
    before = page.evaluate(MIN_TEXT_PX, "")
    caption = page.get_by_test_id("caption").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    page.keyboard.press("p")
    assert page.evaluate(MIN_TEXT_PX, "") >= 1.4 * before
    assert page.get_by_test_id("caption").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") > caption
    page.keyboard.press("End")
    page.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_projector.png"))


def test_current_node_in_view_at_400px(browser, page_file: pathlib.Path, artifacts_dir: str) -> None:
    """At 400 px wide the node being stepped is scrolled into the window at every step, both views
    (a node wider than the window is centred on it)."""
    tab = open_stepper(browser, page_file.as_uri(), width=400, height=800)
    visible = """() => { const g = document.querySelector('.mp-pane:not([hidden]) g.node.current:not(.op)');
        const r = g.getBoundingClientRect(), box = document.querySelector('.mp-graph').getBoundingClientRect();
        const left = Math.max(0, box.left) - 1, right = Math.min(innerWidth, box.right) + 1;
        const across = r.width > right - left ? r.left <= left + 2 && r.right >= right - 2  // wider: spans it
            : r.left >= left && r.right <= right;
        return across && r.top >= Math.max(0, box.top) - 1 && r.bottom <= Math.min(innerHeight, box.bottom) + 1; }"""
    for view, count in (("backward", 5), ("forward", 9)):
        tab.evaluate(f"document.getElementById('stepper').micropropStepper.setView('{view}')")
        for k in range(count):
            tab.get_by_test_id("next").click()
            assert tab.evaluate(visible), (view, k)
            if view == "backward" and k == 4:
                tab.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_400px.png"))
    assert tab.evaluate(MIN_TEXT_PX, "") >= 12
    assert tab.errors == []
    tab.close()


@pytest.mark.parametrize(("lang", "width", "height"), [("en", 400, 660), ("ko", 400, 660), ("en", 1280, 800)])
def test_current_node_placed_in_the_pane(
    browser, tmp_path: pathlib.Path, lang: str, width: int, height: int, artifacts_dir: str
) -> None:
    """At every Next, in both languages, narrow and wide, in projector mode too, the graph pane
    is wholly in the window and the current node inside it, clear of its edges (at 400 px the
    node used to sit at the window's bottom edge with the pane's empty top above it)."""
    path = save_stepper(lecture_neuron()["o"], tmp_path / f"neuron_{lang}.html", lang=lang)
    tab = open_stepper(browser, path.as_uri(), width=width, height=height)
    for k in range(5):
        tab.get_by_test_id("next").click()
        assert tab.evaluate(PLACEMENT, "") == [], k
        if k == 2:
            tab.screenshot(path=str(pathlib.Path(artifacts_dir) / f"stepper_{lang}_{width}px_step3.png"))
    tab.locator("#stepper").focus()
    tab.keyboard.press("p")
    for key in ("ArrowLeft", "ArrowLeft"):
        tab.keyboard.press(key)
        assert tab.evaluate(PLACEMENT, "") == [], key
    assert tab.errors == []
    tab.close()


def test_quiz_asks_each_grad_before_showing_it(page, artifacts_dir: str) -> None:
    """In quiz mode Next waits for an answer; a wrong one gets the explainer's hint and
    reveals nothing, a right one shows the step."""
    page.keyboard.press("q")
    assert page.get_by_test_id("quiz-question").text_content() == "n.grad = ?"
    assert page.get_by_test_id("next").is_disabled()
    page.get_by_test_id("quiz-answer").fill("0.8814")  # n's value, not its grad
    page.get_by_test_id("quiz-check").click()
    assert "that is the node's value" in page.get_by_test_id("quiz-hint").text_content()
    assert frame(page) == "0" and grads_shown(page)["n"] == "?"
    page.get_by_test_id("quiz-answer").fill("0.5")
    page.get_by_test_id("quiz-answer").press("Enter")
    assert frame(page) == "1" and grads_shown(page)["n"] == "0.5"
    assert page.get_by_test_id("quiz-score").text_content() == "score 1 of 2"
    page.get_by_test_id("quiz-reveal").click()  # "Show me": the derivation, then the step
    assert "b.grad" in page.get_by_test_id("quiz-hint").text_content() or frame(page) == "1"
    page.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_quiz.png"))
    assert page.errors == []


OVERFLOWS = """() => [...document.querySelectorAll('.mp-pane-backward g.node[id^="v"] text')]
    .filter(t => t.textContent.startsWith('grad '))
    .filter(t => {
        let p = t.previousElementSibling;
        while (p && p.tagName !== 'polygon') p = p.previousElementSibling;
        return t.getBBox().x + t.getBBox().width > p.getBBox().x + p.getBBox().width + 0.5;
    })
    .map(t => t.textContent)"""


def test_numbers_fit_their_cells_in_every_frame(browser, tmp_path: pathlib.Path) -> None:
    """A partial grad ("1.649 + ?") never spills out of its cell: the layout leaves room
    for the widest text each cell gets in any frame."""
    x = Value(0.5, label="x")
    tab = open_stepper(browser, save_stepper(x * x + x.exp(), tmp_path / "x.html").as_uri())
    seen = []
    for _ in range(4):
        seen += tab.evaluate(
            "() => [...document.querySelectorAll('.mp-pane-backward text')].map(t => t.textContent)"
        )
        assert tab.evaluate(OVERFLOWS) == []
        if tab.get_by_test_id("next").is_enabled():
            tab.get_by_test_id("next").click()
    assert "grad 1.649 + ?" in seen
    assert tab.errors == []


HOSTILE = [
    "<!--<script>",
    "</script><script>alert(1)</script>",
    "\"'quotes'\"",
    "a<b>&amp;c",
    "back\\slash\\N",
    "ctl\x01\x07\x1b",
    "\u202eRTL mark\u200f",
    "x" * 300,
    "]]>--> {{data}}",
    "\u2028line\u2029sep",
]


@pytest.mark.parametrize("label", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_labels_cannot_break_the_page(browser, tmp_path: pathlib.Path, label: str) -> None:
    """A label with markup, quotes, backslashes, control characters, RTL marks or 300
    characters is shown as text, the page still steps, and no script runs."""
    x = Value(2.0, label=label)
    tab = open_stepper(browser, save_stepper(x**2 + x, tmp_path / "h.html").as_uri())
    tab.on("dialog", lambda d: tab.errors.append("dialog: " + d.message))
    tab.get_by_test_id("next").click()
    assert frame(tab) == "1"
    assert tab.locator("script").count() == 2  # the data block and the front end, nothing injected
    names = tab.evaluate(
        "() => [...document.querySelectorAll('.mp-pane-backward g#v0 text')].map(t => t.textContent)"
    )
    assert names[0].replace("\u200b", "") == printable(label)
    assert tab.errors == []
    tab.close()
