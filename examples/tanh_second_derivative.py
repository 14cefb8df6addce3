"""The graph of d²/dx² tanh(x), drawn (DeZero, step 35).

``grad(y, x, create_graph=True)`` returns dy/dx as graph nodes built from the op
table's rows (tanh's row says d/da = 1 - out², so the grad graph reuses the node
y = tanh(x) itself); a second ``grad`` differentiates that graph, and the product
rule brings in 1 - y² once more. The result is an ordinary Value: drawn here like
any other graph (12 nodes, as DeZero's), and checked against the closed form
d²/dx² tanh(x) = -2 tanh(x) (1 - tanh²(x)).

Run: python examples/tanh_second_derivative.py [OUT_DIR]     (the image needs Graphviz's dot)
"""

from __future__ import annotations

import math
import pathlib
import sys

from microprop import Value
from microprop.autograd import grad


def second_derivative(x0: float = 1.0) -> tuple[Value, Value]:
    """x and d²/dx² tanh(x) at ``x0``, as a graph."""
    x = Value(x0, label="x")
    y = x.tanh()
    y.label = "y"
    (dy,) = grad(y, x, create_graph=True)  # 1 - y², as nodes
    (d2y,) = grad(dy, x, create_graph=True)
    d2y.label = "d²y/dx²"
    return x, d2y


def main(out_dir: str = "tanh-second-derivative") -> pathlib.Path:
    """Print the value against the closed form; draw its graph."""
    from microprop import viz

    x, d2y = second_derivative()
    t = math.tanh(x.data)
    print(f"d²/dx² tanh(x) at x = {x.data}: {d2y.data!r} (closed form {-2 * t * (1 - t * t)!r})")
    print(f"the graph has {len(d2y.topo_order())} nodes")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = viz.save(d2y, out / "tanh_second_derivative.png", view="forward", rankdir="TB")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
