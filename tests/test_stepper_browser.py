"""The stepper page in real headless Chromium (Debian's, driven by playwright)."""

from __future__ import annotations

import pathlib

import pytest
from test_viz import lecture_neuron

from microprop.explain import backward_steps, fmt, forward_steps

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The lecture neuron's stepper page (needs dot)."""
    from microprop.viz import save_stepper

    return save_stepper(lecture_neuron()["o"], tmp_path_factory.mktemp("stepper") / "neuron.html")


@pytest.fixture
def page(chromium_program: str, dot_program: str, page_file: pathlib.Path):
    """The page open in Chromium, with its console errors collected in ``page.errors``."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_program, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 640})
        tab.errors = []
        tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.on(
            "request", lambda r: None if r.url.startswith("file:") else tab.errors.append(f"network: {r.url}")
        )
        tab.goto(page_file.as_uri())
        yield tab
        browser.close()


def current_name(page) -> str:
    """The name (bold cell) of the value node highlighted as current."""
    return page.locator("#svg-backward g.node.current:not(.op) text").first.text_content()


def grads_shown(page) -> dict[str, str]:
    """Every value node's name -> the number in its grad cell, as displayed."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#svg-backward g.node:not(.op)')]
            .filter(g => g.id.startsWith('v'))
            .map(g => [...g.querySelectorAll('text')].map(t => t.textContent))
            .map(t => [t[0], (t.find(s => s.startsWith('grad ')) || '').slice(5)]))"""
    )


def test_page_loads_without_errors(page) -> None:
    """The page opens from disk with no console errors and no network request."""
    assert page.title().startswith("microprop")
    assert page.locator("#svg-backward svg").count() == 1
    assert page.locator("#counter").text_content() == "backward step 0 of 5"
    assert page.errors == []


def test_next_moves_highlight_and_caption(page) -> None:
    """Each Next highlights the next step's node and shows explain's text for it."""
    steps = backward_steps(lecture_neuron()["o"])
    for step in steps:
        page.click("#next")
        assert current_name(page) == step.name
        assert page.locator("#caption").text_content() == step.text()
        assert page.locator("#svg-backward g.edge.hot").count() == len(step.contributions) + 1
    assert page.locator("#next").is_disabled()
    assert page.errors == []


def test_question_marks_until_grads_arrive(page) -> None:
    """At frame 0 only o's grad is known; after step 1 n's is, and x1's still is not."""
    shown = grads_shown(page)
    assert shown["o"] == "1.0" and shown["n"] == "?" and shown["x1"] == "?"
    page.click("#next")
    shown = grads_shown(page)
    assert shown["n"] == "0.5" and shown["x1"] == "?"


def test_last_frame_grads_equal_engine(page, artifacts_dir: str) -> None:
    """At the last frame every grad shown equals the engine's (4 significant digits);
    a screenshot of that frame is saved to look at."""
    nodes = lecture_neuron()
    nodes["o"].backward()
    page.keyboard.press("End")
    shown = grads_shown(page)
    assert set(shown) == set(nodes)
    for name, v in nodes.items():
        assert float(shown[name]) == pytest.approx(v.grad, rel=1e-3, abs=1e-12), name
        assert shown[name] == fmt(v.grad, 4)
    page.keyboard.press("ArrowLeft")
    page.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_neuron_step4.png"), full_page=True)
    assert page.errors == []


def test_keys_and_slider(page) -> None:
    """Arrow keys step, Home goes back to the start, the slider jumps to a frame."""
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.locator("#counter").text_content() == "backward step 2 of 5"
    page.keyboard.press("ArrowLeft")
    assert page.locator("body").get_attribute("data-frame") == "1"
    page.keyboard.press("Home")
    assert page.locator("body").get_attribute("data-frame") == "0"
    page.locator("#slider").fill("4")
    assert page.locator("#counter").text_content() == "backward step 4 of 5"
    assert current_name(page) == backward_steps(lecture_neuron()["o"])[3].name


def test_forward_toggle(page, artifacts_dir: str) -> None:
    """The Forward button shows the forward view, stepping through explain's forward
    lines with uncomputed values shown as ?; Backward comes back where it was."""
    page.click("#next")
    page.click("#view-forward")
    assert page.locator("#svg-forward").is_visible() and not page.locator("#svg-backward").is_visible()
    lines = [s.text() for s in forward_steps(lecture_neuron()["o"])]
    assert page.locator("#caption").text_content() == lines[0]
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    assert page.locator("#caption").text_content() == lines[6]
    assert page.locator("#svg-forward g.node.pending").count() == 3
    assert "data ?" in page.locator("#svg-forward").text_content()
    page.screenshot(path=str(pathlib.Path(artifacts_dir) / "stepper_neuron_forward.png"), full_page=True)
    page.click("#view-backward")
    assert page.locator("#counter").text_content() == "backward step 1 of 5"
    assert page.errors == []
