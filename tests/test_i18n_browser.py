"""The Korean stepper page in headless Chromium: every word from the catalogue, Hangul
drawn with a real font (no boxes), nothing cut off, the quiz answering in Korean."""

from __future__ import annotations

import pathlib

import pytest
from browser import MIN_TEXT_PX, open_stepper, open_tab
from test_viz import lecture_neuron

REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"

from microprop.explain import backward_steps
from microprop.i18n import language
from microprop.viz import save_stepper

pytestmark = pytest.mark.browser

BACK = ".mp-pane-backward"

#: how far each text of a value node may reach past its cell (rounding of the layout)
SLACK_PX = 1.0


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The lecture neuron's stepper page in Korean."""
    return save_stepper(lecture_neuron()["o"], tmp_path_factory.mktemp("ko") / "neuron.html", lang="ko")


@pytest.fixture
def page(browser, page_file: pathlib.Path):
    """The Korean page, laid out in a fresh tab, the stepper focused."""
    tab = open_stepper(browser, page_file.as_uri())
    tab.locator("#stepper").focus()
    yield tab
    tab.close()


def test_words_are_korean(page) -> None:
    """Buttons, counter, legend and help are the catalogue's Korean; the page says lang="ko"."""
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert page.title() == "microprop: 한 단계씩 보는 역전파"
    buttons = page.locator(".mp-bar button, .mp-controls button").all_text_contents()
    assert buttons == ["순전파", "역전파", "퀴즈", "발표 모드", "◀ 이전", "▶ 재생", "다음 ▶"]
    assert page.locator(".mp-counter").text_content() == "역전파 단계 0/5"
    assert "국소적 미분 × 상류 기울기 = 기여분" in page.locator(".mp-legend").text_content()
    assert page.locator(f"{BACK} g.node text", has_text="기울기").count() >= 7
    assert page.errors == []


def test_captions_are_the_korean_step_lines(page) -> None:
    """Each Next shows explain's Korean text for the step (the same numbers as `step --lang ko`)."""
    with language("ko"):
        steps = [s.text() for s in backward_steps(lecture_neuron()["o"])]
    for text in steps:
        page.get_by_test_id("next").click()
        assert page.get_by_test_id("caption").text_content() == text
    assert steps[-1].endswith(
        "-> x1.grad += w1 × x1w1.grad = (-3.0)(0.5) = -1.5   (국소적 미분: ∂x1w1/∂x1 = w1)"
    ) or ("x1.grad += w1 × x1w1.grad = (-3.0)(0.5) = -1.5   (국소적 미분: ∂x1w1/∂x1 = w1)" in steps[-1])
    assert page.locator(".mp-counter").text_content() == "역전파 단계 5/5"


def test_hangul_has_a_font_and_fits(page) -> None:
    """Hangul is drawn with a font that has it (wider than a missing-glyph box would be
    narrow-and-equal), and no text of a value node spills out of its cell."""
    page.keyboard.press("End")
    spill = page.evaluate(
        """() => {
        const out = [];
        for (const g of document.querySelectorAll('.mp-pane-backward g.node')) {
          for (const t of g.querySelectorAll('text')) {
            let p = t.previousElementSibling;
            while (p && p.tagName.toLowerCase() !== 'polygon') p = p.previousElementSibling;
            if (!p) continue;
            const c = p.getBBox(), b = t.getBBox();
            out.push([t.textContent, b.x - c.x, (c.x + c.width) - (b.x + b.width)]);
          }
        }
        return out; }"""
    )
    assert spill, "no value cells found"
    for text, left, right in spill:
        assert left >= -SLACK_PX and right >= -SLACK_PX, (text, left, right)
    fonts = page.evaluate(
        """async () => { await document.fonts.ready;
        return ['DejaVu Sans', 'Noto Sans CJK KR'].map(f => document.fonts.check('12px "' + f + '"', '기울기')); }"""
    )
    assert fonts[1], "Noto Sans CJK KR is not available to the page"


def test_quiz_in_korean(page) -> None:
    """The quiz asks, scores and explains a slip in Korean."""
    page.get_by_test_id("quiz").click()
    page.get_by_test_id("quiz-answer").fill("0.8814")  # n's value, not its grad
    page.get_by_test_id("quiz-check").click()
    hint = page.get_by_test_id("quiz-hint").text_content()
    assert hint.startswith("아쉽지만 틀렸습니다: 그것은 노드의 값(0.881374)입니다")
    assert hint.endswith("다시 해 보거나, 답 보기를 누르세요")
    assert page.get_by_test_id("quiz-score").text_content() == "점수 0/1"
    page.get_by_test_id("quiz-answer").fill("두")
    page.get_by_test_id("quiz-check").click()
    assert (
        page.get_by_test_id("quiz-hint").text_content()
        == '"두"은(는) 숫자가 아닙니다: -1.5, 0.7071, 1/2처럼 입력하세요'
    )
    page.get_by_test_id("quiz-answer").fill("0.5")
    page.get_by_test_id("quiz-check").click()
    assert page.get_by_test_id("quiz-hint").text_content() == "정답: n.grad = 0.5"
    assert page.errors == []


@pytest.mark.parametrize("width", [1280, 400])
def test_screenshots_readable(browser, page_file: pathlib.Path, artifacts_dir: str, width: int) -> None:
    """At 1280 and 400 px wide the Korean page lays out, text at 12 CSS px or more; screenshots kept."""
    tab = open_stepper(browser, page_file.as_uri(), width=width, height=800)
    tab.locator("#stepper").focus()
    for _ in range(3):
        tab.keyboard.press("ArrowRight")
    assert tab.evaluate(MIN_TEXT_PX, "") >= 12
    tab.screenshot(path=str(pathlib.Path(artifacts_dir) / f"stepper_ko_{width}.png"), full_page=True)
    assert tab.errors == []
    tab.close()


# --- the lab and the notebook widget in Korean ----------------------------------------


@pytest.fixture(scope="module")
def lab_url():
    """`microprop lab --lang ko` as a real process."""
    pytest.importorskip("uvicorn")
    from test_lab import start_lab, stop

    proc, url = start_lab("--lang", "ko")
    yield url
    code, err = stop(proc)
    assert code == 0 and "Traceback" not in err, err


def test_lab_in_korean(browser, lab_url: str, artifacts_dir: str) -> None:
    """The lab's page, presets, stepper, captions and a bad expression's message are Korean; the caret stays."""
    tab = open_tab(browser, lab_url, local=(lab_url.split("/?")[0], "data:", "blob:"))
    tab.wait_for_selector("body[data-ready=true] .mp-pane:not([hidden]) svg g.node", timeout=30_000)
    assert tab.title() == "microprop 실험실" and tab.evaluate("document.documentElement.lang") == "ko"
    assert tab.get_by_test_id("run").text_content() == "실행"
    assert tab.locator("#preset option").nth(1).text_content() == "강의의 뉴런 (micrograd)"
    assert tab.get_by_test_id("next").text_content() == "다음 ▶"
    tab.get_by_test_id("next").click()
    assert tab.get_by_test_id("caption").text_content().startswith("1단계  o = tanh(n)")
    tab.screenshot(path=str(pathlib.Path(artifacts_dir) / "lab_ko_1280.png"), full_page=True)
    tab.get_by_test_id("expr").fill("tanh(x*w + b")
    tab.get_by_test_id("expr").press("Enter")
    tab.wait_for_selector("[data-testid=error]:not([hidden])")
    assert (
        tab.get_by_test_id("error").text_content()
        == "구문 오류: '('가 닫히지 않았습니다\n  tanh(x*w + b\n      ^"
    )
    assert tab.errors == [REFUSED]  # Chromium logs the 400 itself; the page raised nothing
    tab.close()


def test_widget_in_korean(browser, tmp_path: pathlib.Path, artifacts_dir: str) -> None:
    """Stepper(o, lang="ko") draws Korean words, and stays Korean after a leaf changes."""
    pytest.importorskip("anywidget")
    from test_widget import neuron, open_host

    from microprop.viz import Stepper

    tab = open_host(browser, tmp_path, {"a": Stepper(neuron(), lang="ko"), "b": Stepper(neuron(), lang="ko")})
    assert tab.locator("#out-a .mp-bar button").all_text_contents()[:3] == ["순전파", "역전파", "퀴즈"]
    field = tab.get_by_test_id("leaf-x1").first
    field.fill("3")
    field.press("Enter")
    tab.wait_for_function("document.querySelector('#out-a [data-testid=value-x1]').textContent === '값 3.0'")
    assert tab.widgets["a"].scene["lang"] == "ko" and tab.widgets["a"].scene["ui"]["next"] == "다음 ▶"
    tab.screenshot(path=str(pathlib.Path(artifacts_dir) / "widget_ko.png"), full_page=True)
    assert tab.errors == []
    tab.close()
