"""Time Graphviz's layout of the stepper's DOT on growing "shared weight" graphs: one
weight ``w`` feeding every layer (``x = w; x = tanh(x*w + x)`` repeated), whose edges
from ``w`` span more and more ranks. Prints, per depth, the graph's nodes and edges,
the DOT's spanned ranks (``layout_cost``) and the seconds ``dot -Tsvg`` takes on the
backward view's DOT (killed after ``--timeout`` seconds).

    .venv/bin/python benchmarks/layout_scaling.py                    # depths 5 to 60
    .venv/bin/python benchmarks/layout_scaling.py 10 20 --timeout 60
    .venv/bin/python benchmarks/layout_scaling.py --chain 100 200    # the same, no shared weight
"""

from __future__ import annotations

import argparse
import subprocess
import time

from microprop import Value
from microprop.viz.scene import scene
from microprop.viz.walk import layout_cost, walk


def shared(depth: int, chain: bool = False) -> Value:
    """``x = w; x = tanh(x*w + x)`` ``depth`` times (``chain``: a fresh weight per layer)."""
    w = Value(0.5, label="w")
    x = w
    for i in range(depth):
        wi = Value(0.5, label=f"w{i}") if chain else w
        x = (x * wi + x).tanh()
    return x


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("depths", nargs="*", type=int, default=[5, 10, 15, 20, 25, 30, 40, 60])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--chain", action="store_true", help="a fresh weight per layer")
    args = parser.parse_args()
    print(f"{'depth':>5} {'nodes':>6} {'edges':>6} {'cost':>6} {'dot s':>8}")
    for depth in args.depths:
        root = shared(depth, args.chain)
        nodes = root.topo_order()
        edges = sum(len(v.parents) for v in nodes)
        dot = scene(root, quiz=False, max_nodes=10**6, max_layout=10**9)["dot"]["backward"]
        t = time.perf_counter()
        try:
            subprocess.run(
                ["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=args.timeout, check=True
            )
            took = f"{time.perf_counter() - t:8.2f}"
        except subprocess.TimeoutExpired:
            took = f">{args.timeout:7.0f}"
        print(
            f"{depth:>5} {len(nodes):>6} {edges:>6} {layout_cost(walk(root, max_nodes=10**6)):>6} {took}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
