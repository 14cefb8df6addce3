"""How much Python's cyclic GC costs a graph of plain objects, with no engine at all.

Builds the deep chain of benchmarks/bench.py (x -> tanh(x*1.0001 + 0.0001), five nodes
a step) out of a bare three-slot class and out of microprop's Value, with the GC on and
off, and prints the time per node. With the GC on, the time per node of both grows with
the length of the chain: each full collection walks every node alive, and a long chain
no longer fits the CPU's caches. With the GC off both stay flat.

Run: .venv/bin/python benchmarks/gc_baseline.py
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from microprop import Value

SIZES = (1_000, 10_000, 100_000, 1_000_000)


class Node:
    """The least a graph node can be: a value and two parents."""

    __slots__ = ("a", "b", "data")

    def __init__(self, data: float, a: Node | None = None, b: Node | None = None) -> None:
        self.data, self.a, self.b = data, a, b


def bare_chain(steps: int) -> Node:
    """The chain's shape in bare nodes: mul and add with a constant leaf each, then tanh."""
    x = Node(0.5)
    for _ in range(steps):
        x = Node(x.data * 1.0001, x, Node(1.0001))
        x = Node(x.data + 0.0001, x, Node(0.0001))
        x = Node(x.data, x)
    return x


def value_chain(steps: int) -> Value:
    """The same chain in microprop (forward only, as bare_chain)."""
    x = Value(0.5)
    for _ in range(steps):
        x = (x * 1.0001 + 0.0001).tanh()
    return x


def per_node(build: Callable[[int], object], steps: int) -> float:
    """Nanoseconds per node to build a chain of ``steps`` steps."""
    start = time.perf_counter()
    root = build(steps)
    seconds = time.perf_counter() - start
    del root
    gc.collect()
    return seconds / (5 * steps) * 1e9


def main() -> None:
    print(f"{'nodes':>10}  " + "  ".join(f"{name:>22}" for name in
          ("bare node, GC on", "bare node, GC off", "microprop, GC on", "microprop, GC off")))  # fmt: skip
    for steps in SIZES:
        row = []
        for build in (bare_chain, value_chain):
            for enabled in (True, False):
                (gc.enable if enabled else gc.disable)()
                row.append(per_node(build, steps))
        gc.enable()
        print(f"{5 * steps:>10,}  " + "  ".join(f"{ns:>19,.0f} ns" for ns in row))


if __name__ == "__main__":
    main()
