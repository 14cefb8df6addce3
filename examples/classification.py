"""Classification on real data that ships with scikit-learn (no download):

1. binary: breast cancer (569 tumours, 30 features) with a sigmoid output and binary
   cross-entropy on the probabilities;
2. multi-class: iris (150 flowers, 4 features, 3 species) with linear outputs (logits),
   softmax and cross-entropy with class-index targets.

Features are standardized with the training split's mean and standard deviation; the
test split is only used for the reported accuracy.

Run: python examples/classification.py
"""

from __future__ import annotations

import random

import numpy as np

from microprop import Value, no_grad
from microprop.losses import bce, cross_entropy, softmax
from microprop.nn import MLP
from microprop.optim import Adam


def split_and_standardize(X, y, seed: int = 0):
    """75/25 stratified split; features scaled by the training split's statistics."""
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


def batches(n: int, size: int, rng: random.Random):
    """Shuffled index batches covering 0..n-1 once."""
    order = list(range(n))
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, n, size)]


def binary(epochs: int = 10, batch_size: int = 32, seed: int = 0) -> dict[str, float]:
    """Breast cancer: MLP(30, [8, 1]) with a sigmoid output, trained on bce; test accuracy."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X_train, X_test, y_train, y_test = split_and_standardize(data.data, data.target, seed)
    model = MLP(30, [8, 1], activation="relu", output="sigmoid", init="he", rng=seed)
    opt = Adam(model.parameters(), lr=0.01)
    rng = random.Random(seed)
    for epoch in range(epochs):
        total = 0.0
        for idx in batches(len(X_train), batch_size, rng):
            probs = [model(X_train[i]) for i in idx]
            loss = bce(probs, [float(y_train[i]) for i in idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.data * len(idx)
        print(f"  epoch {epoch + 1:2d}  train bce {total / len(X_train):.4f}")
    with no_grad():
        predicted = [model(x).data > 0.5 for x in X_test]
    accuracy = float(np.mean(np.array(predicted) == (y_test == 1)))
    print(f"  test accuracy {accuracy:.1%} on {len(X_test)} tumours")
    return {"accuracy": accuracy, "train_bce": total / len(X_train)}


def multiclass(steps: int = 100, seed: int = 0) -> dict[str, float]:
    """Iris: MLP(4, [8, 3]) logits, softmax cross-entropy, full-batch Adam; test accuracy."""
    from sklearn.datasets import load_iris

    data = load_iris()
    X_train, X_test, y_train, y_test = split_and_standardize(data.data, data.target, seed)
    model = MLP(4, [8, 3], activation="tanh", init="xavier", rng=seed)
    opt = Adam(model.parameters(), lr=0.05)
    inputs = [[Value(v) for v in row] for row in X_train]
    for step in range(steps):
        loss = cross_entropy([model(x) for x in inputs], y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 20 == 0 or step == steps - 1:
            print(f"  step {step:3d}  train cross-entropy {loss.data:.4f}")
    with no_grad():
        probs = [[p.data for p in softmax(model(x))] for x in X_test]
    accuracy = float(np.mean(np.argmax(probs, axis=1) == y_test))
    names = data.target_names
    print(f"  test accuracy {accuracy:.1%} on {len(X_test)} flowers")
    print(f"  first test flower: p = {', '.join(f'{n} {p:.3f}' for n, p in zip(names, probs[0]))}")
    return {"accuracy": accuracy, "train_cross_entropy": loss.data}


def main() -> None:
    """Run both and print their learning curves and test accuracies."""
    print("breast cancer: sigmoid + binary cross-entropy")
    binary()
    print("iris: softmax + cross-entropy")
    multiclass()


if __name__ == "__main__":
    main()
