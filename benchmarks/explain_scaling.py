"""Time ``explain()`` on growing graphs: the time per node should stay flat (linear).

The graph is a neuron-like sum ``Σ w_i·x_i`` with ``n // 2`` products, so about half of
its nodes are leaves, the case where the old leaf summary scanned every step per leaf.

    .venv/bin/python benchmarks/explain_scaling.py               # 1,000 to 64,000 nodes, ~10 s
"""

from __future__ import annotations

import sys
import time

from microprop import Value
from microprop.explain import explain


def graph(n: int) -> Value:
    """About ``n`` nodes: ``n // 4`` products of two leaves, summed."""
    k = n // 4
    return sum(Value(0.01 * i, label=f"w{i}") * Value(1.0, label=f"x{i}") for i in range(k))  # type: ignore[return-value]


def main() -> int:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 4000, 16000, 64000]
    print(f"{'nodes':>8} {'seconds':>9} {'µs per node':>12}")
    for n in sizes:
        root = graph(n)
        size = len(root.topo_order())
        t = time.perf_counter()
        explain(root, max_nodes=size)
        dt = time.perf_counter() - t
        print(f"{size:>8} {dt:>9.2f} {dt / size * 1e6:>12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
