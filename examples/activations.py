"""Every activation and its derivative, the derivative computed by ``backward()``.

One panel per activation: the function (solid) and its derivative (dashed), the
derivative read from ``x.grad`` after ``f(x).backward()`` at each of 601 points, so the
picture shows what backpropagation actually sends back. Shaded: where the derivative is
below 5% of its largest value, the *saturating* (or dead) regions, where a unit passes
almost no gradient back and so barely learns. The step function (the perceptron's) is
flat on both sides of its jump: its derivative is 0 everywhere, so backprop sends nothing
back through it, and a network of step units cannot be trained by gradient descent (which
is why the sigmoid, a smooth step, replaced it). ``threshold`` (PyTorch's Threshold) keeps
x above its threshold and is flat below.

Run: python examples/activations.py [--out examples/output/activations]
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

from microprop import Value
from microprop.losses import softmax
from microprop.nn import prelu

OUT = pathlib.Path(__file__).resolve().parent / "output" / "activations"

#: title -> f(x) on a Value
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu (slope 0.1)": lambda x: x.leaky_relu(0.1),
    "prelu (a = 0.25, learnable)": lambda x: prelu(x, Value(0.25)),
    "elu (alpha 1)": Value.elu,
    "softplus": Value.softplus,
    "softmax([x, 0, 1])₀": lambda x: softmax([x, Value(0.0), Value(1.0)])[0],
    "step (Heaviside)": Value.step,
    "threshold (th 0.5, value -1)": lambda x: x.threshold(0.5, -1.0),
}
SATURATED = 0.05  # a derivative below 5% of its largest value counts as saturated


def unit_grads(activation: Callable[[Value], Value]) -> list[float]:
    """A perceptron-style unit ``activation(w1·x1 + w2·x2 + b)`` on one wrongly classified
    point, squared error: the grads of w1, w2, b after ``backward()``."""
    w1, w2, b = Value(0.5), Value(-1.0), Value(0.2)
    out = activation(w1 * 2.0 + w2 * 1.5 + b)  # w·x + b = -0.3: the unit says 0, the label is 1
    ((out - 1.0) ** 2).backward()
    return [w1.grad, w2.grad, b.grad]


def curve(f: Callable[[Value], Value], xs: list[float]) -> tuple[list[float], list[float]]:
    """f(x) and, from backward(), df/dx at each point."""
    ys, grads = [], []
    for x in xs:
        xv = Value(x)
        y = f(xv)
        y.backward()
        ys.append(y.data)
        grads.append(xv.grad)
    return ys, grads


def saturated_spans(xs: list[float], grads: list[float]) -> list[tuple[float, float]]:
    """The x intervals where |df/dx| is below SATURATED × its largest value (all of x if it is 0)."""
    top = max(abs(g) for g in grads)
    flat = [abs(g) <= SATURATED * top for g in grads]
    spans, start = [], None
    for x, is_flat in zip(xs, flat):
        if is_flat and start is None:
            start = x
        elif not is_flat and start is not None:
            spans.append((start, x))
            start = None
    if start is not None:
        spans.append((start, xs[-1]))
    return spans


def gallery(path: pathlib.Path, lo: float = -6.0, hi: float = 6.0, points: int = 601) -> pathlib.Path:
    """All activations, one panel each, with their backward() derivatives and saturated regions."""
    import matplotlib.pyplot as plt

    xs = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    fig, axes = plt.subplots(2, 5, figsize=(17, 6.8), sharex=True)
    for ax, (name, f) in zip(axes.flat, ACTIVATIONS.items()):
        ys, grads = curve(f, xs)
        for i, (a, b) in enumerate(saturated_spans(xs, grads)):
            ax.axvspan(
                a, b, color="#f4cccc", alpha=0.6, lw=0, label="saturated: f' < 5% of max" if i == 0 else None
            )
        ax.plot(xs, ys, color="#1f77b4", label="f(x)")
        ax.plot(xs, grads, color="#d62728", linestyle="--", label="f'(x) from backward()")
        ax.axhline(0, color="gray", lw=0.6)
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    axes[1][3].annotate(
        "f' = 0 everywhere:\nbackprop sends nothing back",
        xy=(0.5, 0.62),
        xycoords="axes fraction",
        ha="center",
        fontsize=8,
    )
    for ax in axes[1]:
        ax.set_xlabel("x")
    fig.suptitle(
        "activations (solid) and their derivatives from backward() (dashed); shaded where they saturate"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    for name in ("step", "sigmoid"):
        grads = ", ".join(f"{g:.4g}" for g in unit_grads(getattr(Value, name)))
        print(f"a {name} unit, one misclassified point: grads of (w1, w2, b) = ({grads})")
    print("the step unit's grads are all 0: gradient descent has nothing to follow, so it never moves")
    print(f"wrote {gallery(args.out / 'activations.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
