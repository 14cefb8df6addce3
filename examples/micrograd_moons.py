"""micrograd's demo notebook (demo.ipynb), unchanged except for the imports: a 2-layer MLP
learns the two-moons data with a max-margin loss and L2 regularization.

The notebook's cells are below as they are; the only other changes: ``%matplotlib inline``
is gone (figures are saved instead of shown), and the step count and output folder are
parameters so the tests can run a few steps. It prints micrograd's losses, starting with
``step 0 loss 0.8958441028683222, accuracy 50.0%`` and ending at 100% accuracy.

Run: python examples/micrograd_moons.py [--steps 100] [--out DIR]
"""

# ruff: noqa  (the notebook's code is kept as it is, spacing and unused imports included)
from __future__ import annotations

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")


def demo(steps: int = 100, out: str | None = None) -> list[float]:
    """Run the notebook; return the losses; save its two figures into ``out`` if given."""
    # fmt: off
    import random
    import numpy as np
    import matplotlib.pyplot as plt

    from microprop import Value  # was: from micrograd.engine import Value
    from microprop.nn import Neuron, Layer, MLP  # was: from micrograd.nn import Neuron, Layer, MLP

    np.random.seed(1337)
    random.seed(1337)

    # make up a dataset
    from sklearn.datasets import make_moons, make_blobs
    X, y = make_moons(n_samples=100, noise=0.1)

    y = y*2 - 1 # make y be -1 or 1
    # visualize in 2D
    plt.figure(figsize=(5,5))
    plt.scatter(X[:,0], X[:,1], c=y, s=20, cmap='jet')

    # initialize a model 
    model = MLP(2, [16, 16, 1]) # 2-layer neural network
    print(model)
    print("number of parameters", len(model.parameters()))

    # loss function
    def loss(batch_size=None):
        
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        
        # forward the model to get scores
        scores = list(map(model, inputs))
        
        # svm "max-margin" loss
        losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p*p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        
        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    total_loss, acc = loss()
    print(total_loss, acc)

    losses = []  # added: what demo() returns
    # optimization
    for k in range(steps):  # was: range(100)
        
        # forward
        total_loss, acc = loss()
        
        # backward
        model.zero_grad()
        total_loss.backward()
        
        # update (sgd)
        learning_rate = 1.0 - 0.9*k/100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        
        if k % 1 == 0:
            print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
        losses.append(total_loss.data)  # added

    # visualize decision boundary

    h = 0.25
    x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
    y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h),
                         np.arange(y_min, y_max, h))
    Xmesh = np.c_[xx.ravel(), yy.ravel()]
    inputs = [list(map(Value, xrow)) for xrow in Xmesh]
    scores = list(map(model, inputs))
    Z = np.array([s.data > 0 for s in scores])
    Z = Z.reshape(xx.shape)

    fig = plt.figure()
    plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral)
    plt.xlim(xx.min(), xx.max())
    plt.ylim(yy.min(), yy.max())

    # fmt: on
    if out is not None:  # added: save the notebook's two figures
        folder = pathlib.Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for number, name in ((1, "moons_data.png"), (2, "moons_boundary.png")):
            plt.figure(number).savefig(folder / name, dpi=100)
            print(f"wrote {folder / name}")
    plt.close("all")
    return losses


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="micrograd's moons demo on microprop")
    parser.add_argument("--steps", type=int, default=100)
    default = pathlib.Path(__file__).resolve().parent / "output" / "micrograd_moons"
    parser.add_argument("--out", default=default, help=f"folder for the two figures (default: {default})")
    args = parser.parse_args()
    demo(args.steps, args.out)
