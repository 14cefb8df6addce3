"""Layers with matrix backward formulas ("Deep Learning from Scratch" ch. 5), checked by scalars.

``Affine``, ``Sigmoid`` and ``SoftmaxWithLoss`` are the book's layers, in numpy: each has
a ``forward`` and a ``backward`` that applies its matrix formula::

    Affine           out = x·W + b        dx = dout·Wᵀ,  dW = xᵀ·dout,  db = Σ_rows dout
    Sigmoid          out = σ(x)           dx = dout·out·(1 - out)
    SoftmaxWithLoss  y = softmax(x), L = mean cross-entropy     dx = (y - t) / N

The same two-layer network is then built from scalar Values and ``backward()`` runs on it.
Every matrix gradient equals the scalar engine's, entry by entry: the formulas are the chain
rule, summed. Two nodes of the book's second volume show where the sums come from: a
*MatMul* node (each ``x[n,i]·W[i,j]`` product feeds one sum, and each ``W[i,j]`` is used by
every row n, so its grad adds N contributions: ``xᵀ·dout``) and a *Repeat* node (the bias
``b[j]`` is copied to every row, so its grad is the sum of the N rows of ``dout``). The
picture draws a tiny instance with the MatMul and Repeat parts named.

Run: python examples/layers_from_scratch.py [--out examples/output/layers_from_scratch]
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

from microprop import Value
from microprop.losses import cross_entropy

OUT = pathlib.Path(__file__).resolve().parent / "output" / "layers_from_scratch"


class Affine:
    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Sigmoid:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1 - self.out)


class SoftmaxWithLoss:
    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y, self.t = e / e.sum(axis=1, keepdims=True), t
        return float(-np.mean(np.log(self.y[np.arange(len(t)), t.argmax(axis=1)])))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return dout * (self.y - self.t) / len(self.t)


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


def values(name: str, M: np.ndarray) -> list[list[Value]]:
    """A matrix (or a row vector) as labelled Values."""
    M2 = np.atleast_2d(M)
    return [
        [
            Value(v, label=f"{name}[{i + 1},{j + 1}]" if M.ndim == 2 else f"{name}[{j + 1}]")
            for j, v in enumerate(r)
        ]
        for i, r in enumerate(M2)
    ]


def dot(a: list[Value], b: list[Value]) -> Value:
    """``a0·b0 + a1·b1 + ...`` (no 0 to start from: no constant node)."""
    total = a[0] * b[0]
    for ai, bi in zip(a[1:], b[1:]):
        total = total + ai * bi
    return total


def scalar_affine(x: list[list[Value]], W: list[list[Value]], b: list[Value], name: str) -> list[list[Value]]:
    """``x·W + b`` from scalars: the products and sums in a MatMul scope, the bias adds in a Repeat one."""
    weights = [w for row in W for w in row]
    flat_x = [v for row in x for v in row]
    products = [
        [dot([row[i] for i in range(len(W))], [W[i][j] for i in range(len(W))]) for j in range(len(b))]
        for row in x
    ]
    for row in products:
        scope_new(row, flat_x + weights, f"{name} / MatMul")
    for v in b:
        v.scope = f"{name} / Repeat"
    out = [[s + b[j] for j, s in enumerate(row)] for row in products]
    for row in out:
        for v in row:
            v.scope = f"{name} / Repeat"
    return out


def build(x: np.ndarray, t: np.ndarray, params: dict[str, np.ndarray]) -> dict:
    """The network of Values: Affine1, Sigmoid, Affine2, SoftmaxWithLoss."""
    v = {name: values(name, M) for name, M in params.items()}
    xs = values("x", x)
    a1 = scalar_affine(xs, v["W1"], v["b1"][0], "Affine1")
    z1 = [[scope_new([s.sigmoid()], [s], "Sigmoid")[0] for s in row] for row in a1]
    a2 = scalar_affine(z1, v["W2"], v["b2"][0], "Affine2")
    (loss,) = scope_new(
        [cross_entropy(a2, t.argmax(axis=1).tolist())], [s for row in a2 for s in row], "SoftmaxWithLoss"
    )
    loss.label = "L"
    return {"loss": loss, "x": xs, **v}


def check(seed: int = 0, n: int = 4, d: int = 3, hidden: int = 5, classes: int = 3) -> dict[str, float]:
    """Largest |matrix formula - scalar engine| for each gradient, and for the loss."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    t = np.eye(classes)[rng.integers(0, classes, size=n)]
    params = {
        "W1": rng.normal(size=(d, hidden)),
        "b1": rng.normal(size=hidden),
        "W2": rng.normal(size=(hidden, classes)),
        "b2": rng.normal(size=classes),
    }
    affine1, sigmoid, affine2, last = (
        Affine(params["W1"], params["b1"]),
        Sigmoid(),
        Affine(params["W2"], params["b2"]),
        SoftmaxWithLoss(),
    )
    loss = last.forward(affine2.forward(sigmoid.forward(affine1.forward(x))), t)
    dx = affine1.backward(sigmoid.backward(affine2.backward(last.backward())))
    layer_grads = {"dx": dx, "dW1": affine1.dW, "db1": affine1.db, "dW2": affine2.dW, "db2": affine2.db}
    graph = build(x, t, params)
    graph["loss"].backward()

    def grads(name: str) -> np.ndarray:
        return np.array([[v.grad for v in row] for row in graph[name]]).squeeze()

    diffs = {"loss": abs(graph["loss"].data - loss)}
    for key, matrix in layer_grads.items():
        diffs[key] = float(np.max(np.abs(matrix - grads(key[1:]))))
    return diffs


def draw(out: pathlib.Path, seed: int = 1) -> list[pathlib.Path]:
    """Two backward views: the whole network with each layer part collapsed into a box
    (2 samples, 2 inputs, 2 hidden units, 2 classes), and one Affine layer in full with
    ``L = Σ out`` (so dout = 1: W11's grad is x11 + x21, b1's is 1 + 1)."""
    from microprop.viz import save

    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(size=(2, 2)),
        "b1": rng.normal(size=2),
        "W2": rng.normal(size=(2, 2)),
        "b2": rng.normal(size=2),
    }
    graph = build(rng.normal(size=(2, 2)), np.eye(2), params)
    xs, W, b = values("x", rng.normal(size=(2, 2))), values("W", params["W1"]), values("b", params["b1"])[0]
    outs = [v for row in scalar_affine(xs, W, b, "Affine") for v in row]
    total = outs[0]
    for v in outs[1:]:
        total = total + v
    total.label = "L"
    out.mkdir(parents=True, exist_ok=True)
    return [
        save(graph["loss"], out / "layers_from_scratch.png", view="backward", collapse=True),
        save(total, out / "affine_matmul_repeat.png", view="backward"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    for name, diff in check().items():
        print(f"{name:5} matrix formula vs scalar backward(): max |difference| = {diff:.1e}")
    for path in draw(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
