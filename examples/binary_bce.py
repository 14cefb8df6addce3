"""The course notes' binary task, and why their learning rate crawls.

Points (x, y, z) drawn uniformly in [0, 100]³ get label 1 when all three are at least 40
and their mean is at least 60. The data is split 80/10/10 (train, validation, test), and a
single ``Linear(3, 1)`` unit with a sigmoid learns it with binary cross-entropy and SGD on
minibatches of 64 (``microprop.data.batches``).

The notes train on the raw inputs with lr = 0.0001 and report a cost going from 0.680 to
0.576 in 10,000 epochs. The reason it crawls: the gradient of a weight is ``(p - t)·x``,
so with inputs near 50 the weights' gradients are ~50 times the bias's, and the loss
surface is a long narrow valley (its curvature along the weights is ~(mean² + var)/var
times that across them). A learning rate large enough to move the bias makes the weights
diverge, so it has to be tiny, and then the bias barely moves: after 100 epochs the unit
still predicts 0 everywhere (its accuracy is just the share of 0 labels). Standardizing each input
(subtract the training mean, divide by the standard deviation) rounds the valley: the
same unit then learns with lr = 0.5 in a few dozen epochs.

Run: python examples/binary_bce.py [--epochs 100] [--out examples/output/binary_bce]
"""

from __future__ import annotations

import argparse
import pathlib
import random

import matplotlib

matplotlib.use("Agg")

from microprop import Value, no_grad
from microprop.data import batches, random_split
from microprop.losses import binary_cross_entropy
from microprop.nn import Neuron
from microprop.optim import SGD

OUT = pathlib.Path(__file__).resolve().parent / "output" / "binary_bce"
RUNS = {
    "raw inputs, lr = 0.0001 (the notes')": ("raw", 1e-4),
    "standardized inputs, lr = 0.5": ("standard", 0.5),
}


def make_data(n: int = 1000, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """n points in [0, 100]³; label 1 when all three are ≥ 40 and their mean is ≥ 60."""
    rng = random.Random(seed)
    X = [[rng.uniform(0, 100) for _ in range(3)] for _ in range(n)]
    y = [1.0 if min(p) >= 40 and sum(p) / 3 >= 60 else 0.0 for p in X]
    return X, y


def standardizer(rows: list[list[float]]):  # -> Callable[[list[float]], list[float]]
    """(x - mean) / std per column, with the training rows' mean and std."""
    n = len(rows)
    means = [sum(col) / n for col in zip(*rows)]
    stds = [(sum((v - m) ** 2 for v in col) / n) ** 0.5 for col, m in zip(zip(*rows), means)]
    return lambda row: [(v - m) / s for v, m, s in zip(row, means, stds)]


def evaluate(unit: Neuron, X: list[list[float]], y: list[float]) -> tuple[float, float]:
    """Mean BCE and accuracy on a data set (no graph kept)."""
    with no_grad():
        probs = [unit(x) for x in X]
        loss = binary_cross_entropy(probs, y).data
    accuracy = sum((p.data >= 0.5) == (t == 1.0) for p, t in zip(probs, y)) / len(y)
    return loss, accuracy


def train(inputs: str, lr: float, epochs: int, seed: int = 0) -> dict:
    """One run: the per-epoch training cost and validation accuracy, the test accuracy."""
    X, y = make_data(seed=seed)
    train_idx, valid_idx, test_idx = random_split(len(X), [0.8, 0.1, 0.1], rng=seed)
    scale = standardizer([X[i] for i in train_idx]) if inputs == "standard" else (lambda row: row)
    split = {
        name: ([scale(X[i]) for i in idx], [y[i] for i in idx])
        for name, idx in (("train", train_idx), ("valid", valid_idx), ("test", test_idx))
    }
    unit = Neuron(3, activation="sigmoid", rng=seed)  # Linear(3, 1) + sigmoid
    for w in unit.w:
        w.data = 0.0  # start at p = 0.5 everywhere: cost log 2 = 0.693 (the notes start at 0.680)
    opt = SGD(unit.parameters(), lr=lr)
    rng = random.Random(seed)
    cost, valid_accuracy = [evaluate(unit, *split["train"])[0]], []
    for _ in range(epochs):
        for xb, yb in batches(*split["train"], batch_size=64, rng=rng):
            loss = binary_cross_entropy([unit([Value(v) for v in x]) for x in xb], yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        cost.append(evaluate(unit, *split["train"])[0])
        valid_accuracy.append(evaluate(unit, *split["valid"])[1])
    return {
        "cost": cost,
        "valid_accuracy": valid_accuracy,
        "test_accuracy": evaluate(unit, *split["test"])[1],
        "weights": [w.data for w in unit.w],
        "bias": unit.b.data,
    }


def plot(results: dict[str, dict], path: pathlib.Path) -> pathlib.Path:
    """Training cost and validation accuracy per epoch, one line per run."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, r in results.items():
        left.plot(range(len(r["cost"])), r["cost"], label=name)
        right.plot(range(1, len(r["valid_accuracy"]) + 1), r["valid_accuracy"], label=name)
    left.set(title="training cost (binary cross-entropy)", xlabel="epoch", ylabel="mean BCE")
    right.set(title="validation accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Linear(3, 1) + sigmoid, SGD on minibatches of 64: raw vs standardized inputs")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    results = {}
    for name, (inputs, lr) in RUNS.items():
        r = results[name] = train(inputs, lr, args.epochs)
        print(
            f"{name}: cost {r['cost'][0]:.3f} -> {r['cost'][-1]:.3f} in {args.epochs} epochs, "
            f"test accuracy {r['test_accuracy']:.0%}"
        )
    print(f"wrote {plot(results, args.out / 'binary_bce.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
