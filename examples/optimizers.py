"""Optimizers side by side: SGD, SGD with momentum, Nesterov, Adagrad, RMSprop and Adam
fit the same small network (MLP(1, [16, 1]) with tanh) to y = sin(x) from the same
starting weights, and their loss curves go into one figure. A second panel shows each
optimizer's path on d2l's ill-conditioned bowl f(x1, x2) = 0.1·x1² + 2·x2².

Run: python examples/optimizers.py [--out examples/output/optimizers/optimizers.png] [--steps 300]
"""

from __future__ import annotations

import argparse
import math
import pathlib

import matplotlib

matplotlib.use("Agg")

from microprop import Value
from microprop.losses import mse
from microprop.nn import MLP
from microprop.optim import SGD, Adagrad, Adam, RMSprop

#: name -> (optimizer class, keyword arguments) for the network, then for the bowl
OPTIMIZERS = {
    "SGD": (SGD, {"lr": 0.1}, {"lr": 0.4}),
    "SGD + momentum 0.9": (SGD, {"lr": 0.02, "momentum": 0.9}, {"lr": 0.1, "momentum": 0.5}),
    "Nesterov 0.9": (SGD, {"lr": 0.02, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "momentum": 0.5, "nesterov": True}),
    "Adagrad": (Adagrad, {"lr": 0.1}, {"lr": 0.8}),
    "RMSprop": (RMSprop, {"lr": 0.01}, {"lr": 0.1}),
    "Adam": (Adam, {"lr": 0.02}, {"lr": 0.3}),
}  # fmt: skip

XS = [-math.pi + 2 * math.pi * i / 19 for i in range(20)]
YS = [math.sin(x) for x in XS]


def fit(opt_class, kwargs: dict, steps: int, seed: int = 0) -> list[float]:
    """Train a fresh MLP (same seed, so the same start) on the sine data; the losses."""
    model = MLP(1, [16, 1], activation="tanh", init="xavier", rng=seed)
    opt = opt_class(model.parameters(), **kwargs)
    inputs = [[Value(x)] for x in XS]
    losses = []
    for _ in range(steps):
        loss = mse([model(x) for x in inputs], YS)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    return losses


def bowl_path(opt_class, kwargs: dict, steps: int = 20) -> list[tuple[float, float]]:
    """The points visited on f = 0.1·x1² + 2·x2² from (-5, -2)."""
    x1, x2 = Value(-5.0), Value(-2.0)
    opt = opt_class([x1, x2], **kwargs)
    path = [(x1.data, x2.data)]
    for _ in range(steps):
        opt.zero_grad()
        (0.1 * x1**2 + 2 * x2**2).backward()
        opt.step()
        path.append((x1.data, x2.data))
    return path


OUT = pathlib.Path(__file__).resolve().parent / "output" / "optimizers" / "optimizers.png"


def compare(steps: int = 300, out: str | pathlib.Path = OUT) -> dict[str, list[float]]:
    """Run every optimizer on both problems, draw the figure; the network's loss curves."""
    import matplotlib.pyplot as plt
    import numpy as np

    curves = {name: fit(cls, kw, steps) for name, (cls, kw, _) in OPTIMIZERS.items()}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for name, losses in curves.items():
        left.plot(losses, label=name)
        print(f"{name:>20}: loss {losses[0]:.4f} -> {losses[-1]:.2e} after {steps} steps")
    left.set(yscale="log", xlabel="step", ylabel="mean squared error", title="MLP(1, [16, 1]) fitting sin(x)")
    left.grid(alpha=0.3)
    left.legend()
    g1, g2 = np.meshgrid(np.linspace(-5.5, 1.5, 200), np.linspace(-3, 3, 200))
    right.contour(g1, g2, 0.1 * g1**2 + 2 * g2**2, levels=15, colors="0.8", linewidths=0.8)
    for name, (cls, _, kw) in OPTIMIZERS.items():
        path = np.array(bowl_path(cls, kw))
        right.plot(path[:, 0], path[:, 1], marker="o", markersize=3, label=name)
    right.plot([0], [0], marker="*", color="k", markersize=12)
    right.set(xlabel="x₁", ylabel="x₂", title="20 steps on f = 0.1·x₁² + 2·x₂² from (-5, -2)")
    right.legend(fontsize=8)
    fig.tight_layout()
    pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    print(f"wrote {out}")
    return curves


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="optimizers side by side")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    compare(args.steps, args.out)
