"""Time the stepper's layout in Chromium (Graphviz in WebAssembly, the vendored
``@viz-js/viz``) on the graphs of ``layout_scaling.py``: both views' DOT, as the page
lays them out, per depth (a fresh tab each, given up after ``--timeout`` seconds).

    .venv/bin/python benchmarks/layout_browser.py 10 15 20 25
    .venv/bin/python benchmarks/layout_browser.py --chain 100 133
"""

from __future__ import annotations

import argparse
import json
import pathlib
import tempfile
import time

from layout_scaling import shared
from playwright.sync_api import Error, sync_playwright

from microprop.viz.scene import scene
from microprop.viz.stepper import front_end_js
from microprop.viz.walk import layout_cost, walk

ARGS = ["--no-sandbox", "--headless", "--disable-gpu"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("depths", nargs="*", type=int, default=[10, 15, 20, 25])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--chain", action="store_true", help="a fresh weight per layer")
    args = parser.parse_args()
    page = pathlib.Path(tempfile.mkdtemp()) / "viz.html"
    page.write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><script>{front_end_js()}</script>', encoding="utf-8"
    )
    print(f"{'depth':>5} {'nodes':>6} {'cost':>6} {'browser s':>10}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for depth in args.depths:
            root = shared(depth, args.chain)
            dots = scene(root, quiz=False, max_nodes=10**6)["dot"]
            tab = browser.new_page()
            tab.goto(page.as_uri())
            tab.evaluate("MicropropViz.instance().then((viz) => { window.viz = viz; })")
            tab.set_default_timeout(args.timeout * 1000)
            t = time.perf_counter()
            try:
                tab.evaluate(
                    f"() => {{ for (const d of {json.dumps(list(dots.values()))}) viz.renderString(d); }}"
                )
                took = f"{time.perf_counter() - t:10.2f}"
            except Error:
                took = f">{args.timeout:9.0f}"
            tab.close()
            cost = layout_cost(walk(root, max_nodes=10**6))
            print(f"{depth:>5} {len(root.topo_order()):>6} {cost:>6} {took}", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
