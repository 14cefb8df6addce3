"""Numerical stability and initialization (d2l 5.4), measured with the scalar engine.

1. Vanishing gradients: through a stack of sigmoid layers each backward step multiplies by
   σ'(z) ≤ 1/4, so the layers near the input get far smaller gradients than those near
   the output.
2. Exploding gradients: a product of random 4×4 matrices (entries N(0, 1)) grows without
   bound; the gradient of its sum with respect to the first factor grows just as fast.
3. Symmetry: with every weight set to the same constant, the hidden units of a layer
   compute the same value and receive the same gradient, so gradient descent can never
   make them differ; random weights break the tie.
4. Initialization: on an 8-layer, 16-wide tanh network, micrograd's U(-1, 1) weights
   (variance 1/3, so fan_in·1/3 ≈ 5 > 1) make each backward step scale the gradient up:
   the input layer's gradient is ten times the last layer's. Weights from N(0, 0.1²)
   (fan_in·0.01 < 1) shrink signals and gradients alike to a few thousandths. Xavier
   (Glorot & Bengio 2010: variance 2/(fan_in + fan_out)) keeps them level across layers.

Each part prints its numbers; one figure shows the per-layer gradient norms.

Run: python examples/stability.py [--out examples/output/stability]
"""

from __future__ import annotations

import argparse
import math
import pathlib
import random

import matplotlib

matplotlib.use("Agg")

from microprop import Value
from microprop.nn import MLP, Layer

OUT = pathlib.Path(__file__).resolve().parent / "output" / "stability"


def layer_grad_norms(model: MLP) -> list[float]:
    """The L2 norm of each layer's weight gradients, input layer first."""
    layers = [layer for layer in model.layers if isinstance(layer, Layer)]
    return [math.sqrt(sum(w.grad * w.grad for n in layer.neurons for w in n.w)) for layer in layers]


def backprop_norms(model: MLP, inputs: list[list[float]]) -> list[float]:
    """Per-layer weight-gradient norms of the summed outputs over a few inputs."""
    model.zero_grad()
    total = sum((model(x) for x in inputs), Value(0.0))  # one output per input
    total.backward()
    return layer_grad_norms(model)


def sample_inputs(n: int, width: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.gauss(0, 1) for _ in range(width)] for _ in range(n)]


def vanishing(depth: int = 8, width: int = 8) -> dict[str, list[float]]:
    """Per-layer gradient norms of sigmoid and relu stacks of the same size and weights."""
    inputs = sample_inputs(4, width)
    norms = {}
    for act in ("sigmoid", "relu"):
        model = MLP(width, [width] * depth + [1], activation=act, init="xavier", rng=1)
        norms[act] = backprop_norms(model, inputs)
    return norms


def exploding(factors: int = 20, size: int = 4, seed: int = 0) -> dict[str, list[float]]:
    """Norms of the partial products M1·M2·…·Mk, and of d sum(product) / d M1 for each k."""
    rng = random.Random(seed)
    mats = [[[Value(rng.gauss(0, 1)) for _ in range(size)] for _ in range(size)] for _ in range(factors)]
    product = mats[0]
    product_norms, grad_norms = [], []
    for k in range(factors):
        if k > 0:
            product = [
                [sum((product[i][j] * mats[k][j][c] for j in range(size)), Value(0.0)) for c in range(size)]
                for i in range(size)
            ]
        product_norms.append(math.sqrt(sum(v.data**2 for row in product for v in row)))
        for row in mats[0]:
            for v in row:
                v.grad = 0.0
        sum((v for row in product for v in row), Value(0.0)).backward()
        grad_norms.append(math.sqrt(sum(v.grad**2 for row in mats[0] for v in row)))
    return {"product": product_norms, "grad of M1": grad_norms}


def symmetry(width: int = 4) -> dict[str, list[list[float]]]:
    """Each hidden unit's weight gradients under a constant init and under a random one."""
    x = [0.5, -1.0, 2.0]
    grads = {}
    for name in ("constant 0.5", "xavier"):
        hidden = Layer(3, width, activation="tanh", init="xavier", rng=0)
        output = Layer(width, 1, activation="linear", init="xavier", rng=1)
        if name.startswith("constant"):
            for p in hidden.parameters() + output.parameters():
                p.data = 0.5
        out = output(hidden(x))[0]
        out.backward()
        grads[name] = [[w.grad for w in n.w] for n in hidden.neurons]
    return grads


INITS = {"uniform": "U(-1, 1) (micrograd's)", "small": "N(0, 0.1²)", "xavier": "Xavier"}


def initialization(depth: int = 8, width: int = 16) -> dict[str, list[float]]:
    """Per-layer gradient norms of a tanh network under each of ``INITS``."""
    inputs = sample_inputs(4, width)
    norms = {}
    for init in INITS:
        model = MLP(
            width, [width] * depth + [1], activation="tanh", init="xavier" if init == "small" else init, rng=2
        )
        if init == "small":
            rng = random.Random(3)
            for neuron in (n for layer in model.layers if isinstance(layer, Layer) for n in layer.neurons):
                for w in neuron.w:
                    w.data = rng.gauss(0.0, 0.1)
        norms[init] = backprop_norms(model, inputs)
    return norms


def plot(parts: dict, path: pathlib.Path) -> pathlib.Path:
    """Four panels: vanishing, exploding, symmetry, initialization."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0][0]
    for act, norms in parts["vanishing"].items():
        ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=act)
    ax.set(
        title="1. vanishing: 8 sigmoid layers vs 8 relu layers (Xavier)",
        xlabel="layer (1 = input side)",
        ylabel="‖∂loss/∂W‖ of the layer",
    )
    ax = axes[0][1]
    for name, norms in parts["exploding"].items():
        ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=name)
    ax.set(
        title="2. exploding: a product of k random 4×4 matrices",
        xlabel="k (factors multiplied)",
        ylabel="Frobenius norm",
        xticks=range(1, 21, 2),
    )
    ax = axes[1][0]
    grads = parts["symmetry"]
    width = len(grads["xavier"])
    for offset, (name, rows) in zip((-0.2, 0.2), grads.items()):
        ax.bar([u + offset for u in range(1, width + 1)], [r[0] for r in rows], width=0.38, label=name)
    ax.set(
        title="3. symmetry: ∂out/∂w (input 1) of each hidden unit",
        xlabel="hidden unit",
        ylabel="gradient",
        xticks=range(1, width + 1),
    )
    ax = axes[1][1]
    for init, norms in parts["initialization"].items():
        ax.semilogy(range(1, len(norms) + 1), norms, "o-", label=INITS[init])
    ax.set(
        title="4. init: 8 tanh layers of 16",
        xlabel="layer (1 = input side)",
        ylabel="‖∂loss/∂W‖ of the layer",
    )
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle("Numerical stability and initialization (d2l 5.4), gradients from backward()")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run() -> dict:
    """All four parts' numbers."""
    return {
        "vanishing": vanishing(),
        "exploding": exploding(),
        "symmetry": symmetry(),
        "initialization": initialization(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    parts = run()
    fmt = lambda xs: ", ".join(f"{x:.2g}" for x in xs)
    for act, norms in parts["vanishing"].items():
        print(f"1. {act:7} layer gradient norms, input side first: {fmt(norms)}")
    print(
        f"2. norm of the product of k random matrices: {fmt(parts['exploding']['product'][::4])} (k = 1, 5, 9, ...)"
    )
    for name, rows in parts["symmetry"].items():
        print(f"3. {name}: hidden units' weight gradients {[[round(g, 4) for g in r] for r in rows]}")
    for init, norms in parts["initialization"].items():
        print(f"4. {INITS[init]} init, layer gradient norms: {fmt(norms)}")
    print(f"wrote {plot(parts, args.out / 'stability.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
