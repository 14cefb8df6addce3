"""microprop lab: the server's guards (Starlette's test client), the command (a real
process), and the page driven end to end in Chromium."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import urllib.parse

import pytest
from browser import PLACEMENT, open_tab

from microprop.explain import fmt

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
from starlette.testclient import TestClient

from microprop import lab

TOKEN = "test-token"


@pytest.fixture(scope="module")
def client() -> TestClient:
    """The lab app in process, reached as http://127.0.0.1."""
    return TestClient(lab.app(TOKEN), base_url="http://127.0.0.1")


def post(client: TestClient, body, token: str = TOKEN, **kwargs):
    return client.post(f"/api/scene?token={token}", json=body, **kwargs)


def test_scene_for_named_steps(client: TestClient) -> None:
    """An expression with named steps comes back as a scene whose nodes carry the step names."""
    r = post(client, {"expr": "n = x1*w1 + b; o = tanh(n)", "values": {"x1": 2, "w1": -3, "b": 6.5}})
    assert r.status_code == 200
    data = r.json()
    assert set(data["names"].values()) >= {"x1", "w1", "b", "n", "o"}
    assert [leaf["name"] for leaf in data["leaves"]] == ["x1", "w1", "b"]
    assert data["data"][next(k for k, v in data["names"].items() if v == "o")] == fmt(math.tanh(0.5), 4)


def test_token_required(client: TestClient) -> None:
    """Without the token, or with a wrong one, every route answers 403."""
    assert client.get("/").status_code == 403
    assert client.get("/?token=nope").status_code == 403
    assert post(client, {"expr": "x"}, token="").status_code == 403
    assert client.get(f"/?token={TOKEN}").status_code == 200
    assert (
        client.post("/api/scene", json={"expr": "x"}, headers={"X-Microprop-Token": TOKEN}).status_code == 200
    )


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io", "localhost.evil", "10.0.0.1:80"])
def test_foreign_host_header_refused(client: TestClient, host: str) -> None:
    """A Host header naming another machine gets 403 even with the token (DNS rebinding)."""
    assert client.get(f"/?token={TOKEN}", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:9000", "LOCALHOST"])
def test_local_host_headers_accepted(client: TestClient, host: str) -> None:
    """localhost, 127.0.0.1 and [::1], with or without a port, are this machine."""
    assert client.get(f"/?token={TOKEN}", headers={"Host": host}).status_code == 200


def test_large_bodies_refused(client: TestClient) -> None:
    """A body over 64 KiB gets 413, whether it declares its length or streams it."""
    big = json.dumps({"expr": "x", "pad": "a" * 70_000}).encode()
    r = client.post(f"/api/scene?token={TOKEN}", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post(f"/api/scene?token={TOKEN}", content=iter([big[:40_000], big[40_000:]]))
    assert r.status_code == 413
    assert post(client, {"expr": "x", "pad": "a" * 60_000}).status_code == 200


def test_bad_expression_gets_400_with_caret(client: TestClient) -> None:
    """A bad expression gets 400 with the parser's message and a caret under the column."""
    r = post(client, {"expr": "n = x^2; o = tanh(n)", "values": {}})
    assert r.status_code == 400
    body = r.json()
    assert "**" in body["error"] and body["col"] == 4
    assert body["pretty"].splitlines()[1:] == ["  n = x^2; o = tanh(n)", "      " + "^" * body["width"]]


SHARED = "x1 = tanh(w*w + w); " + "; ".join(f"x{i} = tanh(x{i - 1}*w + x{i - 1})" for i in range(2, 21))


def test_graph_too_slow_to_lay_out_is_400(client: TestClient) -> None:
    """One weight shared by 20 layers (61 nodes) gets 400 with what to do, in the lab's language,
    instead of a scene that would freeze the page's Graphviz for many seconds."""
    r = post(client, {"expr": SHARED, "values": {}})
    assert r.status_code == 400 and "max_layout=1200" in r.json()["error"]
    with pytest.raises(lab.BadRequest, match="레이어"):
        lab.evaluate(SHARED, {}, lang="ko")
    assert post(client, {"expr": SHARED.split("; x16")[0], "values": {}}).status_code == 200


@pytest.mark.parametrize(
    "body, message",
    [
        ({"expr": 3}, "expr must be text"),
        ({"expr": "x", "values": [1]}, "values must be an object"),
        ({"expr": "x", "values": {"x": "1; import os"}}, "must be a number"),
        ({"expr": "__import__('os').system('true')"}, ""),
        ({"expr": "open('/etc/passwd')"}, ""),
        ({"expr": "+".join(["x*y"] * 220)}, "max_nodes"),
    ],
)
def test_bad_requests_are_400(client: TestClient, body, message: str) -> None:
    """Wrong types, values that are not numbers, calls outside the op table and graphs
    too big to show get a 400 that says why (nothing is evaluated or opened)."""
    r = post(client, body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_not_json_is_400(client: TestClient) -> None:
    """A body that is not JSON gets 400."""
    r = client.post(f"/api/scene?token={TOKEN}", content=b"expr=x")
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_security_headers(client: TestClient) -> None:
    """Pages carry a content security policy (no outside sources) and no-referrer."""
    r = client.get(f"/?token={TOKEN}")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"


def test_presets_build(client: TestClient) -> None:
    """Every preset builds, and Mazur's gives his published dE/dw5 and E_total."""
    for preset in lab.PRESETS:
        r = post(
            client, {"expr": preset["expr"], "values": preset["values"], "passes": preset.get("passes", 1)}
        )
        assert r.status_code == 200, preset["name"]
    mazur = next(p for p in lab.PRESETS if p["name"].startswith("Mazur"))
    data = post(client, {"expr": mazur["expr"], "values": mazur["values"]}).json()
    names = {v: k for k, v in data["names"].items()}
    assert data["data"][names["E_total"]] == "0.2984"  # 0.298371109
    w5 = next(q for q in data["quiz"] if q["name"] == "w5")
    assert w5["truth"] == pytest.approx(0.082167041, abs=1e-9)


# --- the command, as a real process -------------------------------------------------


def start_lab(*args: str) -> tuple[subprocess.Popen, str]:
    """``microprop lab --no-browser`` on any free port; returns the process and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "microprop", "lab", "--no-browser", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
    assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, match.group(0)


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    """Ctrl-C; the exit status and stderr (stdout past the URL line must be empty)."""
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert out == ""
    return proc.returncode, err


@pytest.fixture(scope="module")
def served():
    """One lab process for the browser tests."""
    proc, url = start_lab()
    yield url
    code, err = stop(proc)
    assert code == 0 and "Traceback" not in err, err


def test_command_prints_one_line_and_stops_on_ctrl_c() -> None:
    """The command prints one line with the URL and token, serves, and Ctrl-C stops it cleanly."""
    proc, url = start_lab("b = a + a", "a=3", "--port", "0")
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200 and b"microprop lab" in r.read()
    code, err = stop(proc)
    assert code == 0 and err == ""


def test_command_bad_expression_exits_2() -> None:
    """A bad first expression is a usage error (exit 2, caret), before anything is served."""
    r = subprocess.run(
        [sys.executable, "-m", "microprop", "lab", "x +* 2", "x=1", "--no-browser"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2 and "^" in r.stderr and r.stdout == ""


def test_command_other_host_warns() -> None:
    """--host other than loopback warns that others can reach the lab."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "microprop", "lab", "--no-browser", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    proc.stdout.readline()
    code, err = stop(proc)
    assert "warning: listening on 0.0.0.0" in err and code == 0


# --- the page in Chromium -----------------------------------------------------------


@pytest.fixture
def page(browser, served: str):
    """The lab's page, ready (first scene laid out)."""
    origin = served.split("/?")[0]
    tab = open_tab(browser, served, local=(origin, "data:", "blob:"))
    tab.wait_for_selector("body[data-ready=true] .mp-pane:not([hidden]) svg g.node", timeout=30_000)
    yield tab
    tab.close()


def grad(tab, name: str) -> str:
    return tab.get_by_test_id(f"grad-{name}").text_content().removeprefix("grad ")


def run_expr(tab, text: str) -> None:
    tab.get_by_test_id("expr").fill(text)
    tab.get_by_test_id("expr").press("Enter")


def test_lab_end_to_end(page, artifacts_dir: str) -> None:
    """Type an expression, change a leaf and see the grads follow, step, quiz, and a bad
    expression's message with its caret in the page; no console errors."""
    run_expr(page, "n = p*q + r; o = tanh(n)")  # new names: each input starts at 1
    page.wait_for_selector("[data-testid=leaf-q]")
    page.locator("#stepper").focus()
    page.keyboard.press("End")
    assert grad(page, "p") == fmt(1 - math.tanh(2.0) ** 2, 4)
    field = page.get_by_test_id("leaf-q")
    field.fill("-2")
    field.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"value-q\"]').textContent === 'data -2.0'"
    )
    t = math.tanh(1 * -2 + 1)
    assert grad(page, "p") == fmt((1 - t * t) * -2.0, 4)
    assert grad(page, "q") == fmt((1 - t * t) * 1.0, 4)
    assert "v.q=-2" in urllib.parse.unquote(page.url)
    page.get_by_test_id("prev").click()
    assert page.get_by_test_id("caption").text_content().startswith("step 2")
    page.get_by_test_id("next").click()
    page.screenshot(path=os.path.join(artifacts_dir, "lab.png"))
    # quiz: the first grad to type is n's
    page.get_by_test_id("quiz").click()
    assert page.get_by_test_id("quiz-question").text_content() == "n.grad = ?"
    page.get_by_test_id("quiz-answer").fill("1")
    page.get_by_test_id("quiz-check").click()
    assert "not quite" in page.get_by_test_id("quiz-hint").text_content()
    page.get_by_test_id("quiz-answer").fill(repr(1 - t * t))
    page.get_by_test_id("quiz-check").click()
    assert page.get_by_test_id("quiz-hint").text_content().startswith("right")
    page.get_by_test_id("quiz").click()
    # a bad expression: the message and caret in the page, the old graph kept
    run_expr(page, "n = p*q + ; o = tanh(n)")
    error = page.get_by_test_id("error")
    error.wait_for(state="visible")
    lines = error.text_content().splitlines()
    assert lines[1] == "  n = p*q + ; o = tanh(n)" and lines[2].strip() == "^"
    assert page.get_by_test_id("leaf-q").is_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "lab_error.png"))
    run_expr(page, SHARED)  # too slow to lay out: said in the page, the old graph kept
    page.wait_for_function("() => document.querySelector('[data-testid=error]').textContent.includes('max_layout')")
    assert page.get_by_test_id("leaf-q").is_visible()
    page.screenshot(path=os.path.join(artifacts_dir, "lab_too_slow.png"))
    assert page.errors == [REFUSED] * 2  # Chromium logs the 400s itself; the page raised nothing


@pytest.mark.parametrize("width", [400, 1280])
def test_lab_current_node_placed_in_the_pane(browser, served: str, width: int, artifacts_dir: str) -> None:
    """After each Next (the lecture neuron, 400 px and 1280 px wide) the graph pane is wholly in
    the window and the current node inside it, clear of its edges: never glued to the window's
    bottom with the pane's empty top above it."""
    tab = open_tab(browser, served, width=width, height=800, local=(served.split("/?")[0], "data:", "blob:"))
    tab.wait_for_selector("body[data-ready=true] .mp-pane:not([hidden]) svg g.node", timeout=30_000)
    for k in range(5):
        tab.get_by_test_id("next").click()
        assert tab.evaluate(PLACEMENT, "") == [], k
        if k == 2:
            tab.screenshot(path=os.path.join(artifacts_dir, f"lab_{width}px_step3.png"))
    tab.locator("#stepper").focus()
    tab.keyboard.press("p")  # projector: bigger, the same placement
    tab.keyboard.press("ArrowLeft")
    assert tab.evaluate(PLACEMENT, "") == []
    assert tab.errors == []
    tab.close()


def test_lab_state_in_the_url(browser, served: str, page) -> None:
    """A link with the state in it opens on the same expression, values, view and step."""
    run_expr(page, "y = x * x")
    page.wait_for_selector("[data-testid=leaf-x]")
    page.get_by_test_id("leaf-x").fill("3")
    page.get_by_test_id("leaf-x").press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"value-y\"]').textContent === 'data 9.0'"
    )
    page.get_by_test_id("next").click()
    link = page.url
    other = open_tab(browser, link, local=(served.split("/?")[0], "data:", "blob:"))
    other.wait_for_function(
        "() => document.querySelector('[data-testid=\"value-y\"]')?.textContent === 'data 9.0'",
        timeout=30_000,
    )
    other.wait_for_function("() => document.getElementById('stepper').dataset.frame === '1'")
    assert other.get_by_test_id("expr").input_value() == "y = x * x"
    assert other.get_by_test_id("grad-x").text_content() == "grad 6.0"
    assert other.errors == []
    other.close()


def test_lab_preset(page) -> None:
    """Picking Mazur's network shows his numbers: E_total 0.2984, dE/dw5 0.08217."""
    page.get_by_test_id("preset").select_option(label="Mazur's 2-2-2 network (his weights)")
    page.wait_for_selector("[data-testid=leaf-w5]")
    page.locator("#stepper").focus()
    page.keyboard.press("End")
    assert page.get_by_test_id("value-E_total").text_content() == "data 0.2984"
    assert grad(page, "w5") == "0.08217"
    assert page.errors == []


def test_passes_must_be_1_or_2(client: TestClient) -> None:
    """Two passes are served; any other number of passes gets 400."""
    assert post(client, {"expr": "x * w", "values": {}, "passes": 2}).status_code == 200
    for passes in (0, 3, "2", True, 1.5):
        assert post(client, {"expr": "x * w", "values": {}, "passes": passes}).status_code == 400


def test_lab_preset_backward_called_twice(page) -> None:
    """The "backward() called twice" preset starts from the grads the first pass left, says
    why, ends with them doubled, and keeps two passes when a leaf changes."""
    page.get_by_test_id("preset").select_option(
        label="accumulation: backward() called twice without zero_grad (x.grad doubles)"
    )
    page.wait_for_selector("[data-testid=leaf-w]")
    page.locator("#stepper").focus()
    page.keyboard.press("Home")
    assert "zero_grad() was not called" in page.get_by_test_id("caption").text_content()
    page.keyboard.press("End")
    assert "x.grad = -3.0 + (-3.0) = -6.0" in page.get_by_test_id("caption").text_content()
    assert (grad(page, "x"), grad(page, "w")) == ("-6.0", "4.0")
    assert "passes=2" in page.url
    page.get_by_test_id("leaf-x").fill("1")
    page.get_by_test_id("leaf-x").press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"value-y\"]').textContent === 'data -3.0'"
    )
    page.keyboard.press("End")
    assert grad(page, "w") == "2.0"  # 1.0 left by the first pass + 1.0
    assert page.errors == []


def test_lab_old_leaf_during_a_new_expression(page) -> None:
    """A leaf of the old graph changed while a new expression is on its way does not bring
    the old expression back."""
    page.wait_for_selector("[data-testid=leaf-w1]")  # the lecture neuron
    page.evaluate(
        """() => {
          document.querySelector('[data-testid=expr]').value = 'y = x * x';
          document.getElementById('expr-form').requestSubmit();
          const field = document.querySelector('[data-testid=leaf-w1]');
          field.value = '0.5';
          field.dispatchEvent(new Event('change', { bubbles: true }));
        }"""
    )
    page.wait_for_selector("[data-testid=leaf-x]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("leaf-w1").count() == 0 and page.get_by_test_id("leaf-x").count() == 1
    assert page.errors == []


@pytest.mark.parametrize("suffix", ["", "?token=wrong"])
def test_lab_page_needs_the_token(browser, served: str, suffix: str) -> None:
    """Without the token, or with a wrong one, the page is refused (403)."""
    tab = browser.new_page()
    response = tab.goto(served.split("?")[0] + suffix)
    assert response.status == 403 and "token" in tab.content()
    tab.close()


REFUSED = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
HOSTILE = ['"</script><!--<script>', "a&b<c>\\d", "\u202eRTL", "ctl\x01"]


def test_lab_hostile_values_and_names(page) -> None:
    """Hostile text in the expression box never runs or breaks the page: it is a 400
    with the parser's message shown as text."""
    for text in HOSTILE:
        run_expr(page, text)
        page.get_by_test_id("error").wait_for(state="visible")
        assert page.get_by_test_id("error").text_content()
    assert page.locator("script").count() == 2
    assert set(page.errors) == {REFUSED}
