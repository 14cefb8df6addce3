"""How long a live update takes: change one input of a graph of about 200 nodes and
wait until every number on the page has followed.

1. In Python: the scene of the changed graph, as the widget's kernel and the lab's
   server build it on each change (same layout, no quiz), median of --repeat.
2. End to end in `microprop lab` with Chromium (Debian's, driven by playwright): from
   Enter in a field to the new value of n shown on the page (server round trip and the
   page's update, plus playwright's own polling), median of --repeat; and the same
   timed inside the page (the change event to the new text of n in the DOM, without
   playwright's round trips), split into the server's answer and the page's update.

Run: .venv/bin/python benchmarks/live_update.py          (~30 s)
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

from microprop import Value
from microprop.expr import parse_program
from microprop.viz.scene import scene, to_json

#: one neuron with 50 inputs, as in an MLP layer: 202 nodes. (Not a chain of layers sharing
#: one weight: every shared leaf's edges span the whole graph, and dot takes minutes on it.)
INPUTS = 50
EXPR = "n = " + " + ".join(f"x{i}*w{i}" for i in range(1, INPUTS + 1)) + " + b; o = tanh(n)"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def python_side(repeat: int) -> tuple[int, list[float]]:
    program = parse_program(EXPR)
    leaves = {name: Value(0.1, label=name) for name in program.variables}
    first = scene(program.evaluate(leaves))
    times = []
    for k in range(repeat):
        leaves["w1"].data = 0.9 + 0.001 * k
        t0 = time.perf_counter()
        data = scene(program.evaluate(leaves), leaves=list(leaves.values()), have=first["layout"], quiz=False)
        to_json(data)
        times.append(time.perf_counter() - t0)
        assert "dot" not in data
    return len(first["names"]), times


#: in the page: when the change event fires, when the server's answer is in, when n's text changes
IN_PAGE = """() => {
  document.addEventListener("change", () => { window.__change = performance.now(); window.__shown = undefined; }, true);
  const fetch0 = window.fetch;
  window.fetch = (...a) => fetch0(...a).then((r) => { window.__answer = performance.now(); return r; });
  new MutationObserver(() => { if (window.__shown === undefined) window.__shown = performance.now(); })
    .observe(document.querySelector('[data-testid="value-n"]'), {subtree: true, characterData: true, childList: true});
}"""


def in_browser(repeat: int) -> tuple[list[float], list[list[float]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "microprop", "lab", "--no-browser"], stdout=subprocess.PIPE, text=True
    )
    url = re.search(r"http://\S+", proc.stdout.readline() if proc.stdout else "").group(0)  # type: ignore[union-attr]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            tab.goto(url)
            tab.wait_for_selector("body[data-ready=true]")
            tab.get_by_test_id("expr").fill(EXPR)
            tab.get_by_test_id("expr").press("Enter")
            # the lecture neuron shown first has w1 and n too: wait for this graph's own layout
            tab.wait_for_selector(f"[data-testid=leaf-w{INPUTS}]")
            tab.wait_for_function(
                "() => document.getElementById('stepper').dataset.layouts === '2'", timeout=60_000
            )
            tab.evaluate(IN_PAGE)
            times, inside = [], []
            field = tab.get_by_test_id("leaf-w1")
            for k in range(repeat):
                before = tab.get_by_test_id("value-n").text_content()
                field.fill(f"{0.5 + 0.01 * k:.2f}")  # n changes with every w1
                t0 = time.perf_counter()
                field.press("Enter")  # the change event: to the server and back into the page
                tab.wait_for_function(
                    "(before) => document.querySelector('[data-testid=\"value-n\"]').textContent !== before",
                    arg=before,
                    polling="raf",
                )
                times.append(time.perf_counter() - t0)
                tab.wait_for_function("() => window.__shown !== undefined")
                inside.append(
                    tab.evaluate("[window.__shown - window.__change, window.__answer - window.__change]")
                )
            layouts = tab.evaluate("document.getElementById('stepper').dataset.layouts")
            assert layouts == "2", f"{layouts} layouts: a number changed the layout"  # no re-layout
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    return times, inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    nodes, py = python_side(args.repeat)
    ms = sorted(t * 1000 for t in py)
    print(
        f"{nodes} nodes, Python scene + JSON per change: median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms"
    )
    outside, inside = in_browser(args.repeat)
    ms = sorted(t * 1000 for t in outside)
    print(f"{nodes} nodes, field change -> page updated (lab, Chromium): median {statistics.median(ms):.0f} ms, "
          f"max {ms[-1]:.0f} ms")  # fmt: skip
    shown, answer = (sorted(x) for x in zip(*inside))
    print(f"  in the page: change event -> n's new text median {statistics.median(shown):.0f} ms (max {shown[-1]:.0f}), "
          f"of which the server's answer {statistics.median(answer):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
