"""Time the stepper's layout in Chromium (Graphviz in WebAssembly, the vendored
``@viz-js/viz``) on the graphs of ``layout_scaling.py``: both views' DOT, as the page
lays them out, per depth (a fresh browser each, stopped after ``--timeout`` seconds).

    .venv/bin/python benchmarks/layout_browser.py 10 15 20 25
    .venv/bin/python benchmarks/layout_browser.py --chain 100 133
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

from layout_scaling import shared
from playwright.sync_api import sync_playwright

from microprop.viz.scene import scene
from microprop.viz.stepper import front_end_js
from microprop.viz.walk import layout_cost, walk

ARGS = ["--no-sandbox", "--headless", "--disable-gpu"]


def seconds(depth: int, chain: bool) -> float:
    """Both views of one graph laid out in a fresh Chromium: the seconds taken."""
    dots = scene(shared(depth, chain), quiz=False, max_nodes=10**6, max_layout=10**9)["dot"]
    page = pathlib.Path(tempfile.mkdtemp()) / "viz.html"
    page.write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><script>{front_end_js()}</script>', encoding="utf-8"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        tab = browser.new_page()
        tab.goto(page.as_uri())
        tab.evaluate("MicropropViz.instance().then((viz) => { window.viz = viz; })")
        t = time.perf_counter()
        tab.evaluate(f"() => {{ for (const d of {json.dumps(list(dots.values()))}) viz.renderString(d); }}")
        took = time.perf_counter() - t
        browser.close()
    return took


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("depths", nargs="*", type=int, default=[10, 15, 20, 25])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--chain", action="store_true", help="a fresh weight per layer")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: print the seconds
    args = parser.parse_args()
    if args.one:
        print(seconds(args.depths[0], args.chain))
        return 0
    print(f"{'depth':>5} {'nodes':>6} {'cost':>6} {'browser s':>10}")
    for depth in args.depths:
        root = shared(depth, args.chain)
        child = [sys.executable, __file__, str(depth), "--one"] + (["--chain"] if args.chain else [])
        try:  # a child process, so that a layout past the timeout can be stopped with its browser
            done = subprocess.run(child, capture_output=True, text=True, timeout=args.timeout, check=True)
            took = f"{float(done.stdout):10.2f}"
        except subprocess.TimeoutExpired:
            took = f">{args.timeout:9.0f}"
        cost = layout_cost(walk(root, max_nodes=10**6))
        print(f"{depth:>5} {len(root.topo_order()):>6} {cost:>6} {took}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
