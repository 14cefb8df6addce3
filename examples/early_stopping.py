"""Early stopping (d2l 5.5, "generalization in deep learning"): stop when the validation loss
has not improved for ``patience`` epochs, and restore the weights of its best epoch.

A 16-16 tanh MLP fits 20 noisy samples of ``sin(x)`` with Adam, full batch. Its training
loss keeps falling as it starts to fit the noise; the loss on 40 held-out samples falls,
then rises. The best epoch's weights are kept with ``state_dict()`` and put back with
``load_state_dict()``. The training and validation graphs are built once and replayed
with numpy (``microprop.replay``), so hundreds of epochs take seconds.

Run: python examples/early_stopping.py [--epochs 3000] [--patience 200] [--out examples/output/early_stopping]
"""

from __future__ import annotations

import argparse
import math
import pathlib
import random

import matplotlib

matplotlib.use("Agg")

from microprop import Value
from microprop.data import random_split
from microprop.losses import mse
from microprop.nn import MLP
from microprop.optim import Adam
from microprop.replay import trace

OUT = pathlib.Path(__file__).resolve().parent / "output" / "early_stopping"


def make_data(n: int = 60, noise: float = 0.3, seed: int = 0) -> tuple[list[float], list[float]]:
    """n points x in [-3, 3] with y = sin(x) + N(0, noise²)."""
    rng = random.Random(seed)
    xs = [rng.uniform(-3, 3) for _ in range(n)]
    return xs, [math.sin(x) + rng.gauss(0, noise) for x in xs]


def train(epochs: int = 3000, patience: int = 200, lr: float = 0.01, seed: int = 0) -> dict:
    """Train with early stopping; the two loss curves, the best epoch and the restored losses."""
    xs, ys = make_data(seed=seed)
    train_idx, valid_idx = random_split(len(xs), [1 / 3, 2 / 3], rng=seed)
    model = MLP(1, [16, 16, 1], activation="tanh", init="xavier", rng=seed)
    opt = Adam(model.parameters(), lr=lr)

    def loss_of(idx: list[int]) -> Value:
        return mse([model([Value(xs[i])]) for i in idx], [ys[i] for i in idx])

    train_loss, valid_loss = loss_of(train_idx), loss_of(valid_idx)
    train_tape, valid_tape = trace(train_loss), trace(valid_loss)
    history: dict[str, list[float]] = {"train": [], "valid": []}
    best, best_epoch, best_state = math.inf, 0, model.state_dict()
    for epoch in range(epochs):
        history["train"].append(train_tape.forward())
        history["valid"].append(valid_tape.forward())
        if history["valid"][-1] < best:
            best, best_epoch, best_state = history["valid"][-1], epoch, model.state_dict()
        elif epoch - best_epoch >= patience:
            break  # no improvement for `patience` epochs
        opt.zero_grad()
        train_tape.backward()
        opt.step()
    model.load_state_dict(best_state)
    return {
        "history": history,
        "best_epoch": best_epoch,
        "stopped": len(history["train"]) - 1,
        "restored": (train_tape.forward(), valid_tape.forward()),
        "model": model,
        "data": (xs, ys, train_idx),
    }


def plot(result: dict, path: pathlib.Path) -> pathlib.Path:
    """The two loss curves with the best epoch marked, and the restored model's fit."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    h, best = result["history"], result["best_epoch"]
    left.semilogy(h["train"], label="training loss (20 samples)")
    left.semilogy(h["valid"], label="validation loss (40 samples)")
    left.axvline(best, color="gray", linestyle="--", label=f"best epoch {best}: weights restored")
    left.axvline(
        result["stopped"], color="black", linestyle=":", label=f"stopped at epoch {result['stopped']}"
    )
    left.set(title="early stopping", xlabel="epoch", ylabel="mean squared error")
    left.legend(fontsize=8)
    xs, ys, train_idx = result["data"]
    grid = [-3 + 6 * i / 200 for i in range(201)]
    model = result["model"]
    right.plot(grid, [math.sin(x) for x in grid], color="gray", label="sin(x)")
    right.plot(grid, [model([x]).data for x in grid], label=f"model of epoch {best}")
    train_set = set(train_idx)
    right.scatter(
        [x for i, x in enumerate(xs) if i in train_set],
        [y for i, y in enumerate(ys) if i in train_set],
        s=18,
        label="training samples",
    )
    right.scatter(
        [x for i, x in enumerate(xs) if i not in train_set],
        [y for i, y in enumerate(ys) if i not in train_set],
        s=12,
        marker="x",
        label="validation samples",
    )
    right.set(title="the restored model", xlabel="x", ylabel="y")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3000)
    parser.add_argument("--patience", type=int, default=200)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    r = train(args.epochs, args.patience)
    h = r["history"]
    print(
        f"best validation loss {h['valid'][r['best_epoch']]:.4f} at epoch {r['best_epoch']}; "
        f"stopped at epoch {r['stopped']} (validation loss {h['valid'][-1]:.4f}, training loss {h['train'][-1]:.4f})"
    )
    print(f"restored weights: training loss {r['restored'][0]:.4f}, validation loss {r['restored'][1]:.4f}")
    print(f"wrote {plot(r, args.out / 'early_stopping.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
