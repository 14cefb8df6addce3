"""Screenshots of the live front end for the README, in headless Chromium (Debian's,
driven by playwright; needs the test extras: pip install -e '.[test]').

Run: python docs/make_screenshots.py
Writes docs/stepper.png (the stepper page at backward step 3, 1280x800), docs/widget.png
(two Stepper widgets in one page, the first with x changed to 1.5) and docs/lab.png
(`microprop lab` on the lecture neuron preset, at backward step 4).
"""

from __future__ import annotations

import json
import pathlib
import re
import signal
import subprocess
import sys
import tempfile

from make_images import lecture_neuron
from playwright.sync_api import sync_playwright

from microprop import Value
from microprop.viz import Stepper, save_stepper
from microprop.viz.scene import to_json

DOCS = pathlib.Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
READY = ".mp-pane:not([hidden]) svg g.node"

#: a page standing in for a notebook: anywidget's model is played by a small object whose
#: save_changes asks Python (exposed to the page) for the new state
HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}
body {{ font: 14px "DejaVu Sans", sans-serif; margin: 12px 16px; }} pre.cell {{ background: #f5f5f5; padding: 6px; }}
</style></head><body>
<pre class="cell">[1]: Stepper(o)</pre><div id="out-a"></div>
<pre class="cell">[2]: Stepper(y)</pre><div id="out-b"></div>
<script type="application/json" id="esm">{esm}</script>
<script type="application/json" id="scenes">{scenes}</script>
<script type="module">
function model(state, kernel) {{
  const listeners = {{}};
  return {{ get: (k) => state[k], set: (k, v) => {{ state[k] = v; }},
    save_changes: async () => {{
      const reply = JSON.parse(await window[kernel](JSON.stringify({{ values: state.values, quiz: state.quiz }})));
      for (const [k, v] of Object.entries(reply)) {{ state[k] = v; (listeners["change:" + k] || []).forEach((f) => f()); }}
    }},
    on: (ev, f) => {{ (listeners[ev] = listeners[ev] || []).push(f); }}, off: () => {{}} }};
}}
const esm = JSON.parse(document.getElementById("esm").textContent);
const scenes = JSON.parse(document.getElementById("scenes").textContent);
const widget = (await import(URL.createObjectURL(new Blob([esm], {{ type: "text/javascript" }})))).default;
for (const id of ["a", "b"]) {{
  const state = {{ scene: scenes[id].scene, dot: scenes[id].dot, values: {{}}, quiz: false, error: "" }};
  widget.render({{ model: model(state, "kernel_" + id), el: document.getElementById("out-" + id) }});
}}
</script></body></html>"""


def stepper_png(browser) -> None:
    page = save_stepper(lecture_neuron(), pathlib.Path(tempfile.mkdtemp()) / "neuron.html")
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    tab.goto(page.as_uri())
    tab.wait_for_selector(READY)
    for _ in range(3):
        tab.get_by_test_id("next").click()
    tab.screenshot(path=str(DOCS / "stepper.png"))


def widget_png(browser) -> None:
    x = Value(2.0, label="x")
    y = x * x + x.exp()
    y.label = "y"
    widgets = {"a": Stepper(lecture_neuron()), "b": Stepper(y)}
    host = pathlib.Path(tempfile.mkdtemp()) / "host.html"
    scenes = {k: {"scene": w.scene, "dot": w.dot} for k, w in widgets.items()}
    host.write_text(HOST.format(css=widgets["a"]._css, esm=to_json(widgets["a"]._esm), scenes=to_json(scenes)))
    tab = browser.new_page(viewport={"width": 1280, "height": 1000})
    for key, w in widgets.items():

        def kernel(state: str, w: Stepper = w) -> str:
            request = json.loads(state)
            w.quiz, w.values = request["quiz"], request["values"]
            return json.dumps({"dot": w.dot, "scene": w.scene, "error": w.error})

        tab.expose_function(f"kernel_{key}", kernel)
    tab.goto(host.as_uri())
    tab.wait_for_selector(f"#out-b {READY}")
    tab.locator("#out-a").get_by_test_id("leaf-w1").fill("-2")
    tab.locator("#out-a").get_by_test_id("leaf-w1").press("Enter")
    tab.wait_for_function("() => document.querySelector('#out-a [data-testid=\"value-w1\"]').textContent === 'data -2.0'")
    tab.locator("#out-a").focus()
    tab.keyboard.press("End")
    tab.locator("#out-b").get_by_test_id("next").click()
    tab.screenshot(path=str(DOCS / "widget.png"), full_page=True)


def lab_png(browser) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "microprop", "lab", "--no-browser"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = re.search(r"http://\S+", proc.stdout.readline()).group(0)  # type: ignore[union-attr]
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.goto(url)
        tab.wait_for_selector("body[data-ready=true] " + READY)
        tab.locator("#stepper").focus()
        for _ in range(4):
            tab.keyboard.press("ArrowRight")
        tab.screenshot(path=str(DOCS / "lab.png"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        stepper_png(browser)
        widget_png(browser)
        lab_png(browser)
        browser.close()
    print("wrote", ", ".join(str(DOCS / n) for n in ("stepper.png", "widget.png", "lab.png")))


if __name__ == "__main__":
    main()
