"""d2l 5.3's computational graph of J = L + s, built from scalars and drawn by layer.

A one-hidden-layer MLP without biases, as in the book: ``z = W1·x``, ``h = φ(z)`` (tanh
here), ``o = W2·h``, the loss ``L = l(o, y)`` (half the squared error here), the L2 term
``s = λ/2·(‖W1‖² + ‖W2‖²)`` and the objective ``J = L + s``. Every scalar node carries
a scope (``W1``, ``z``, ``h``, ``W2``, ``o``, ``L``, ``s``, ``J``), so the graph can be
drawn collapsed into one box per scope, the book's figure 5.3.1, or in full.

The scalar engine's grads are then checked against the book's matrix formulas::

    ∂J/∂o  = o - y                        ∂J/∂W2 = ∂J/∂o·hᵀ + λ·W2
    ∂J/∂h  = W2ᵀ·∂J/∂o                    ∂J/∂z  = ∂J/∂h ⊙ φ'(z)
    ∂J/∂W1 = ∂J/∂z·xᵀ + λ·W1

Run: python examples/weight_decay_graph.py [--out examples/output/weight_decay_graph]
"""

from __future__ import annotations

import argparse
import pathlib
from typing import cast

import numpy as np

from microprop import Value

OUT = pathlib.Path(__file__).resolve().parent / "output" / "weight_decay_graph"
LAMBDA = 0.1


def scope_new(outputs: list[Value], inputs: list[Value], scope: str) -> list[Value]:
    """Put every node between ``inputs`` and ``outputs`` (constants included) in ``scope``."""
    stop = {id(v) for v in inputs}
    stack = list(outputs)
    while stack:
        v = stack.pop()
        if id(v) not in stop and not v.scope:
            v.scope = scope
            stack.extend(v.parents)
    return outputs


def build(x: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, lam: float = LAMBDA) -> dict:
    """J and its parts as Values, each node scoped by the book's names."""

    def matrix(name: str, M: np.ndarray) -> list[list[Value]]:
        rows = [
            [Value(v, label=f"{name}[{i + 1},{j + 1}]") for j, v in enumerate(r)] for i, r in enumerate(M)
        ]
        return [scope_new(row, [], name) for row in rows]

    xs = [Value(v, label=f"x{i + 1}") for i, v in enumerate(x)]
    ys = [Value(v, label=f"y{i + 1}") for i, v in enumerate(y)]
    w1, w2 = matrix("W1", W1), matrix("W2", W2)
    weights = [v for W in (w1, w2) for row in W for v in row]
    z = scope_new([sum(w * xi for w, xi in zip(row, xs)) for row in w1], xs + weights, "z")  # type: ignore[misc]
    h = scope_new([zi.tanh() for zi in z], z, "h")
    o = scope_new([sum(w * hi for w, hi in zip(row, h)) for row in w2], h + weights, "o")  # type: ignore[misc]
    squared_error = cast(Value, sum((oi - yi) ** 2 for oi, yi in zip(o, ys)))
    (L,) = scope_new([0.5 * squared_error], o + ys, "L")
    squares = [w * w for w in weights]
    for w, square in zip(weights, squares):
        square.label = f"{w.label}²"
    (s,) = scope_new([lam / 2 * cast(Value, sum(squares))], weights, "s")
    J = L + s
    J.scope = "J"
    for name, values in (("z", z), ("h", h), ("o", o)):
        for i, v in enumerate(values):
            v.label = f"{name}{i + 1}"
    L.label, s.label, J.label = "L", "s", "J"
    return {"J": J, "L": L, "s": s, "x": xs, "W1": w1, "W2": w2, "z": z, "h": h, "o": o}


def check(seed: int = 0, d: int = 3, hidden: int = 4, q: int = 2, lam: float = LAMBDA) -> dict[str, float]:
    """Largest difference between backward()'s grads and the book's formulas."""
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=d), rng.normal(size=q)
    W1, W2 = rng.normal(size=(hidden, d)), rng.normal(size=(q, hidden))
    graph = build(x, y, W1, W2, lam)
    graph["J"].backward()
    z = W1 @ x
    h = np.tanh(z)
    o = W2 @ h
    dJ_do = o - y
    dJ_dW2 = np.outer(dJ_do, h) + lam * W2
    dJ_dh = W2.T @ dJ_do
    dJ_dz = dJ_dh * (1 - np.tanh(z) ** 2)
    dJ_dW1 = np.outer(dJ_dz, x) + lam * W1
    ours = {name: np.array([[v.grad for v in row] for row in graph[name]]) for name in ("W1", "W2")}
    return {
        "J": abs(graph["J"].data - (0.5 * np.sum((o - y) ** 2) + lam / 2 * (np.sum(W1**2) + np.sum(W2**2)))),
        "dJ/do": float(np.max(np.abs(np.array([v.grad for v in graph["o"]]) - dJ_do))),
        "dJ/dh": float(np.max(np.abs(np.array([v.grad for v in graph["h"]]) - dJ_dh))),
        "dJ/dz": float(np.max(np.abs(np.array([v.grad for v in graph["z"]]) - dJ_dz))),
        "dJ/dW2": float(np.max(np.abs(ours["W2"] - dJ_dW2))),
        "dJ/dW1": float(np.max(np.abs(ours["W1"] - dJ_dW1))),
    }


def draw(out: pathlib.Path, seed: int = 0) -> list[pathlib.Path]:
    """The layer-level picture (scopes collapsed) and the scalar graph, small sizes: every
    scalar of z, h, o, L and s drawn, top to bottom, the weights summarised in one box per
    matrix (their values and grads listed), so that it reads at its natural size."""
    from microprop.viz import save

    rng = np.random.default_rng(seed)
    graph = build(rng.normal(size=2), rng.normal(size=1), rng.normal(size=(2, 2)), rng.normal(size=(1, 2)))
    out.mkdir(parents=True, exist_ok=True)
    return [
        save(graph["J"], out / "weight_decay_layers.png", collapse=True, view="backward"),
        save(
            graph["J"], out / "weight_decay_scalars.png", view="backward", rankdir="TB", collapse=["W1", "W2"]
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    for name, diff in check().items():
        print(f"{name:7} scalar engine vs d2l's formula: max |difference| = {diff:.1e}")
    for path in draw(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
