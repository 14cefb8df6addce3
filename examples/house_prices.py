"""The d2l "Predicting House Prices" workflow on scikit-learn's bundled diabetes data
(442 patients, 10 features, a disease-progression score from 25 to 346; no download):

standardized features, an MLP with weight decay (AdamW) and dropout, K-fold
cross-validation, and the log-RMSE, sqrt(mean((log ŷ - log y)²)), reported per fold
next to the baseline that always predicts the training mean.

Run: python examples/house_prices.py [--folds 5] [--epochs 20]
"""

from __future__ import annotations

import argparse
import math
import random

import numpy as np

from microprop import Value, no_grad
from microprop.losses import mse
from microprop.nn import MLP
from microprop.optim import AdamW


def log_rmse(preds: list[float], targets: list[float]) -> float:
    """d2l's score: predictions below 1 are clamped to 1 so the log is defined.

    >>> round(log_rmse([100.0, 0.5], [100.0, math.e]), 6)   # (0, log 1 - 1): sqrt(1/2)
    0.707107
    """
    return math.sqrt(
        sum((math.log(max(p, 1.0)) - math.log(t)) ** 2 for p, t in zip(preds, targets)) / len(preds)
    )


def k_fold(n: int, k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, validation) index arrays for each of k folds of a shuffled 0..n-1."""
    order = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1 :]), folds[i]) for i in range(k)]


def train_fold(X_train, y_train, X_valid, epochs, *, hidden=8, dropout=0.1, weight_decay=1e-2,
               lr=0.01, batch_size=32, seed=0) -> list[float]:  # fmt: skip
    """Train an MLP on one fold (targets standardized) and predict the validation rows."""
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    X_train, X_valid = (X_train - mean) / std, (X_valid - mean) / std
    y_mean, y_std = y_train.mean(), y_train.std()
    targets = (y_train - y_mean) / y_std
    model = MLP(X_train.shape[1], [hidden, 1], dropout=dropout, init="he", rng=seed)
    opt = AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    rng = random.Random(seed)
    rows = [[Value(v) for v in row] for row in X_train]
    order = list(range(len(rows)))
    model.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = mse([model(rows[j]) for j in idx], [targets[j] for j in idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()  # dropout off for predictions
    with no_grad():
        return [model(x).data * y_std + y_mean for x in X_valid]


def cross_validate(folds: int = 5, epochs: int = 20, seed: int = 0) -> list[dict[str, float]]:
    """Per fold: the model's and the mean baseline's validation log-RMSE."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    results = []
    for fold, (train, valid) in enumerate(k_fold(len(X), folds, seed), start=1):
        preds = train_fold(X[train], y[train], X[valid], epochs, seed=seed + fold)
        baseline = [float(y[train].mean())] * len(valid)
        result = {
            "fold": fold,
            "log_rmse": log_rmse(preds, list(y[valid])),
            "baseline": log_rmse(baseline, list(y[valid])),
        }
        print(
            f"fold {fold}: validation log-RMSE {result['log_rmse']:.4f}   (predicting the mean: {result['baseline']:.4f})"
        )
        results.append(result)
    mean = sum(r["log_rmse"] for r in results) / len(results)
    print(f"{folds}-fold average log-RMSE {mean:.4f}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="K-fold log-RMSE of an MLP on the diabetes data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    cross_validate(args.folds, args.epochs)
