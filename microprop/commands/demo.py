"""``microprop demo [--out DIR]``: the tour. The lecture neuron's backward pass step by
step, its graph drawn forward and backward and as a stepper page, then micrograd's
moons MLP trained with a progress bar, its decision boundary and its loss curve."""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import unicodedata
from dataclasses import dataclass, field

from ..engine import Value, no_grad
from ..explain import explain
from ..expr import lecture_neuron
from ..i18n import N_, current, tr
from ._common import subcommand

DESCRIPTION = N_(
    """\
Run the tour on built-in data (no network, no arguments needed):
  1. the neuron from micrograd's lecture, o = tanh(x1*w1 + x2*w2 + b): its forward
     pass and each backward step, printed; its graph drawn forward (values) and
     backward (grads), and the page that steps through both passes in a browser;
  2. micrograd's demo: an MLP(2, [16, 16, 1]) learns the two-moons data (100 points)
     with a max-margin loss, L2 regularization and SGD, reproducing micrograd's
     losses; then its decision boundary, its loss curve and an animation of the
     boundary over the steps (moons_training.gif) as images. One sample's loss
     graph is built once and replayed over the 100 samples with numpy
     (microprop.batch: the same numbers, bit for bit, in a fraction of the time);
     --scalar rebuilds the whole graph every step, as micrograd.
Every file written goes into DIR, listed at the end. Graph images need Graphviz's
dot program (without it they are skipped with a hint); the rest needs the 'demo'
extras (pip install 'microprop[demo]': matplotlib and scikit-learn)."""
)

EXAMPLES = N_(
    """\
  microprop demo
  microprop demo --out /tmp/tour
  microprop demo --steps 20          (a shorter training run)
  microprop demo --scalar            (the scalar engine every step, as micrograd: ~17 s)"""
)

MOONS_SEED = 1337  # micrograd's demo seeds both random and numpy.random with it


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    parser = subcommand(
        subparsers,
        "demo",
        N_("the tour: the lecture neuron, then an MLP on two moons"),
        DESCRIPTION,
        EXAMPLES,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="microprop-demo",
        help=tr("folder for the files (default: %(default)s)"),
    )
    parser.add_argument(
        "--steps",
        metavar="N",
        type=_steps,
        default=100,
        help=tr("training steps (default: %(default)s, as micrograd)"),
    )
    parser.add_argument(
        "--scalar",
        action="store_true",
        help=tr("rebuild the graph with the scalar engine every step instead of replaying it with numpy"),
    )
    parser.set_defaults(func=run)


def _steps(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("must be a whole number, not {text}", text=repr(text))) from None
    if not 1 <= n <= 10_000:
        raise argparse.ArgumentTypeError(tr("must be between 1 and 10000, not {n}", n=n))
    return n


@dataclass
class Tour:
    """What the demo wrote, and what it skipped and why."""

    out: pathlib.Path
    written: list[pathlib.Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _heading(text: str) -> None:
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)  # Hangul: 2 columns
    print(f"\n== {text} " + "=" * max(0, 70 - width))


# --- 1. the lecture neuron ---------------------------------------------------------------


def _neuron_part(tour: Tour) -> None:
    _heading(tr("1. the lecture neuron: {formula}", formula="o = tanh(x1*w1 + x2*w2 + b)"))
    o = lecture_neuron()
    print(explain(o))  # runs backward and prints each step
    from .. import viz

    try:
        for view in ("forward", "backward"):
            tour.written.append(viz.save(o, tour.out / f"neuron_{view}.png", view=view))
        tour.written.append(viz.save_stepper(o, tour.out / "neuron_stepper.html"))
    except (viz.GraphvizMissing, viz.RenderError) as err:
        tour.skipped.append(tr("graph images and stepper page: {reason}", reason=err))


# --- 2. micrograd's moons MLP ------------------------------------------------------------


@dataclass
class History:
    """Loss, accuracy and the share of margins met (y·score >= 1) at each training step."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    margins: list[float] = field(default_factory=list)


def moons_data():  # -> tuple[np.ndarray, np.ndarray]
    """micrograd's data: ``make_moons(100, noise=0.1)`` after seeding with 1337; y in {-1, 1}.

    >>> X, y = moons_data()
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [-1, 1])
    """
    import random

    import numpy as np
    from sklearn.datasets import make_moons

    np.random.seed(MOONS_SEED)
    random.seed(MOONS_SEED)  # the MLP's weights come from here, as in micrograd
    X, y = make_moons(n_samples=100, noise=0.1)
    return X, y * 2 - 1


def train_moons(
    X, y, steps: int, progress: bool = True, replay: bool = True, on_step=None
):  # -> tuple[MLP, History]
    """micrograd's training loop on microprop's nn, losses and optim: the same numbers.

    With ``replay`` one sample's loss graph is built once and replayed over the batch
    with numpy (``microprop.batch``: the scalar engine's numbers bit for bit); without
    it the whole graph is rebuilt every step, as in micrograd. ``on_step(model)``, if
    given, is called before each update (the animation keeps the weights it sees).

    >>> X, y = moons_data()
    >>> model, history = train_moons(X[:10], y[:10], 2, progress=False)
    >>> len(history.loss), type(model).__name__
    (2, 'MLP')
    """
    import numpy as np
    from tqdm import tqdm

    from ..batch import trace_batch
    from ..losses import hinge, l2_penalty
    from ..nn import MLP
    from ..optim import SGD, LambdaLR

    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    opt = SGD(params, lr=1.0)
    schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    history = History()
    if replay:  # one sample's loss, traced once and replayed over the 100 samples
        x, label = [Value(0.0), Value(0.0)], Value(0.0)
        score = model(x)
        loss1 = hinge([score], [label])  # exact: every sum in the engine's order (micrograd's digits)
        tape = trace_batch(loss1, [x, label], penalty=1e-4 * l2_penalty(params), watch=[score], exact=True)
    else:
        inputs = [[Value(x) for x in row] for row in X]
    bar = tqdm(range(steps), desc=tr("training"), unit=tr("step"), disable=not progress, file=sys.stderr)
    for k in bar:
        if replay:
            loss = tape.forward(X, y)
            margin = y * tape.values(score)
        else:
            scores = [model(row) for row in inputs]
            total = hinge(scores, y) + 1e-4 * l2_penalty(params)
            loss, margin = total.data, y * np.array([s.data for s in scores])
        accuracy = float(np.mean(margin > 0))  # the sign of the score is the class
        if on_step is not None:
            on_step(model)
        opt.zero_grad()
        if replay:
            tape.backward()
        else:
            total.backward()
        opt.step()
        schedule.step()
        history.loss.append(loss)
        history.accuracy.append(accuracy)
        history.margins.append(float(np.mean(margin >= 1)))  # hinge relu(1 - y·score) is 0 there
        bar.set_postfix_str(
            tr("loss={loss}, accuracy={accuracy}", loss=f"{loss:.4f}", accuracy=f"{accuracy:.0%}")
        )
    return model, history


def plot_boundary(model, X, y, path: pathlib.Path, h: float = 0.1) -> pathlib.Path:
    """The model's decision regions (score > 0) with the data on top, as micrograd draws them.

    >>> import tempfile
    >>> X, y = moons_data(); model, _ = train_moons(X[:4], y[:4], 1, progress=False)
    >>> plot_boundary(model, X, y, pathlib.Path(tempfile.mkdtemp()) / "b.png", h=0.5).stat().st_size > 0
    True
    """
    import matplotlib.pyplot as plt
    import numpy as np

    xx, yy = np.meshgrid(
        np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h), np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    )
    with no_grad():
        scores = np.array([model(row).data for row in np.c_[xx.ravel(), yy.ravel()]]).reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(6, 5))
    bounds = [min(scores.min(), 0.0) - 1, 0.0, max(scores.max(), 0.0) + 1]
    ax.contourf(xx, yy, scores, levels=bounds, colors=["#fdae61", "#abdda4"], alpha=0.9)
    ax.contour(xx, yy, scores, levels=[0.0], colors="k", linewidths=1)
    colours = {-1: plt.cm.Spectral(0.0), 1: plt.cm.Spectral(1.0)}
    for label in (-1, 1):
        points = X[y == label]
        ax.scatter(points[:, 0], points[:, 1], color=colours[label], s=40, edgecolors="k", linewidths=0.5,
                   label=tr("class {label} (score > 0 predicts 1)", label=label) if label == 1 else tr("class {label}", label=label))  # fmt: skip
    with no_grad():
        accuracy = float(np.mean([(model(row).data > 0) == (t > 0) for row, t in zip(X, y)]))
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set(xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()), xlabel="x₁", ylabel="x₂")
    ax.set_title(
        tr(
            "{model} on two moons\ndecision boundary (score = 0), accuracy {accuracy}",
            model="MLP(2, [16, 16, 1])",
            accuracy=f"{accuracy:.0%}",
        )
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def mlp_scores(weights: list, points):  # -> np.ndarray
    """An MLP's scores for many points at once, with numpy: ``weights`` is one ``(W, b,
    relu?)`` per layer (the demo's MLP: relu hidden layers, a linear output).

    >>> import numpy as np
    >>> mlp_scores([(np.array([[1.0, -1.0]]), np.array([0.5]), False)], np.array([[2.0, 1.0]]))
    array([1.5])
    """
    import numpy as np

    a = points
    for W, b, relu in weights:
        a = a @ W.T + b
        if relu:
            a = np.maximum(a, 0.0)
    return a[:, 0]


def layer_weights(model) -> list:
    """The model's current ``(W, b, relu?)`` per layer, as numpy arrays (for ``mlp_scores``)."""
    import numpy as np

    return [
        (
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
            layer.neurons[0].activation == "relu",
        )
        for layer in model.layers
    ]


def animate_boundary(frames: list, X, y, path: pathlib.Path, h: float = 0.1, history=None) -> pathlib.Path:
    """A GIF of the decision boundary, one frame per training step (``frames`` holds
    ``layer_weights`` of each step), scored on the grid with numpy; with the training
    ``history``, each frame's title gives that step's loss and accuracy.

    >>> import tempfile
    >>> X, y = moons_data(); frames = []
    >>> _ = train_moons(X[:4], y[:4], 2, progress=False, on_step=lambda m: frames.append(layer_weights(m)))
    >>> animate_boundary(frames, X, y, pathlib.Path(tempfile.mkdtemp()) / "t.gif", h=0.5).read_bytes()[:6]
    b'GIF89a'
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.animation import FuncAnimation, PillowWriter

    xx, yy = np.meshgrid(
        np.arange(X[:, 0].min() - 1, X[:, 0].max() + 1, h), np.arange(X[:, 1].min() - 1, X[:, 1].max() + 1, h)
    )
    grid = np.c_[xx.ravel(), yy.ravel()]
    fig, ax = plt.subplots(figsize=(5, 4.2))

    def draw(k: int) -> None:
        ax.clear()
        scores = mlp_scores(frames[k], grid).reshape(xx.shape)
        bounds = [min(scores.min(), 0.0) - 1, 0.0, max(scores.max(), 0.0) + 1]
        ax.contourf(xx, yy, scores, levels=bounds, colors=["#fdae61", "#abdda4"], alpha=0.9)
        if scores.min() < 0 < scores.max():
            ax.contour(xx, yy, scores, levels=[0.0], colors="k", linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=y, s=25, cmap=plt.cm.Spectral, edgecolors="k", linewidths=0.5)
        ax.set(xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()), xticks=[], yticks=[])
        if history is None:
            ax.set_title(tr("step {step}", step=k))
        else:
            loss, accuracy = f"{history.loss[k]:.4f}", f"{history.accuracy[k]:.0%}"
            ax.set_title(
                tr("step {step}: loss {loss}, accuracy {accuracy}", step=k, loss=loss, accuracy=accuracy)
            )

    animation = FuncAnimation(fig, draw, frames=len(frames))
    animation.save(str(path), writer=PillowWriter(fps=10), dpi=72)
    plt.close(fig)
    return path


def plot_history(history: History, path: pathlib.Path) -> pathlib.Path:
    """Loss (log scale) and accuracy against the training step.

    >>> import tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "loss.png"
    >>> plot_history(History([1.0, 0.5], [0.5, 1.0]), path).stat().st_size > 0
    True
    """
    import matplotlib.pyplot as plt

    steps = range(len(history.loss))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, history.loss, color="tab:blue", label=tr("loss"))
    ax.set(yscale="log", xlabel=tr("step"), ylabel=tr("loss (max-margin + 1e-4·L2)"))
    ax.grid(alpha=0.3)
    acc = ax.twinx()
    acc.plot(steps, [100 * a for a in history.accuracy], color="tab:orange", label=tr("accuracy"))
    if history.margins:
        acc.plot(steps, [100 * m for m in history.margins], color="tab:green", linestyle="--",
                 label=tr("margins met (y·score ≥ 1)"))  # fmt: skip
        met = next((k for k, m in enumerate(history.margins) if m == 1.0), None)
        why = (
            tr(
                "from step {step} every margin is met: the max-margin loss is 0, only 1e-4·L2 is left",
                step=met,
            )
            if met is not None
            else tr(
                "the loss flattens as the margins y·score ≥ 1 are met (max-margin loss 0 for those points)"
            )
        )
        ax.text(0.02, 0.03, why, transform=ax.transAxes, fontsize=8, color="0.25")
    acc.set(ylabel=tr("accuracy, margins met (%)"), ylim=(0, 105))
    fig.legend(loc="center right", bbox_to_anchor=(0.85, 0.5))
    ax.set_title(tr("training the moons MLP (SGD, lr 1.0 → 0.1)"))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _moons_part(tour: Tour, steps: int, replay: bool) -> None:
    _heading(
        tr(
            "2. micrograd's demo: {model} on two moons, {steps} steps",
            model="MLP(2, [16, 16, 1])",
            steps=steps,
        )
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        if current() == "ko":  # DejaVu Sans as in English, Hangul from the Korean font
            from ..viz.theme import KOREAN_FONT

            matplotlib.rcParams["font.family"] = KOREAN_FONT.split(",")
        X, y = moons_data()
    except ImportError as err:
        tour.skipped.append(
            tr(
                "the moons MLP: needs the demo extras ({module}): pip install 'microprop[demo]'",
                module=err.name,
            )
        )
        return
    start = time.perf_counter()
    frames: list = []
    model, history = train_moons(
        X, y, steps, replay=replay, on_step=lambda m: frames.append(layer_weights(m))
    )
    seconds = time.perf_counter() - start
    how = tr("graph built once, replayed with numpy") if replay else tr("graph rebuilt every step")
    print(
        tr(
            "step 0 loss {loss} (micrograd: {reference})",
            loss=repr(history.loss[0]),
            reference="0.8958441028683222",
        )
    )
    print(
        tr(
            "step {step} loss {loss}, accuracy {accuracy} ({seconds} s, {how})",
            step=steps - 1,
            loss=f"{history.loss[-1]:.6f}",
            accuracy=f"{history.accuracy[-1]:.0%}",
            seconds=f"{seconds:.2f}",
            how=how,
        )
    )
    tour.written.append(plot_boundary(model, X, y, tour.out / "moons_boundary.png"))
    tour.written.append(plot_history(history, tour.out / "moons_loss.png"))
    tour.written.append(animate_boundary(frames, X, y, tour.out / "moons_training.gif", history=history))


def run(args: argparse.Namespace) -> int:
    """Run the tour into ``args.out``; skipped parts are listed with the reason."""
    tour = Tour(pathlib.Path(args.out))
    try:
        tour.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(
            tr(
                "microprop demo: cannot make the folder --out {out}: {reason}",
                out=args.out,
                reason=err.strerror,
            ),
            file=sys.stderr,
        )
        return 2
    _neuron_part(tour)
    _moons_part(tour, args.steps, replay=not args.scalar)
    _heading(tr("files written"))
    for path in tour.written:
        print("  " + tr("{path}  ({size} bytes)", path=path, size=f"{path.stat().st_size:,}"))
    for reason in tour.skipped:
        print("  " + tr("skipped {reason}", reason=reason))
    return 0
