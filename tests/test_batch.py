"""microprop.batch: one sample's graph replayed over a batch gives the scalar engine's numbers."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from microprop import Value
from microprop.batch import trace_batch
from microprop.losses import hinge, l2_penalty, log_softmax
from microprop.nn import MLP
from microprop.testing import Expression, expressions


def same(x: float, y: float) -> bool:
    """Bit for bit the same float (nan equals nan)."""
    return x == y or (math.isnan(x) and math.isnan(y))


def moons(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """micrograd's moons data, labels in {-1, 1}."""
    sklearn = pytest.importorskip("sklearn.datasets")
    np.random.seed(1337)
    X, y = sklearn.make_moons(n_samples=100, noise=0.1)
    return X[:n], (y * 2 - 1)[:n]


def demo_model() -> MLP:
    """micrograd's demo model: random.seed(1337), then MLP(2, [16, 16, 1])."""
    random.seed(1337)
    return MLP(2, [16, 16, 1])


def scalar_moons(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[float, list[float]]:
    """The demo's loss over the whole batch with the scalar engine: (loss, parameter grads)."""
    scores = [model(list(map(Value, row))) for row in X]
    total = hinge(scores, y) + 1e-4 * l2_penalty(model.parameters())
    model.zero_grad()
    total.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return total.data, grads


def batched_moons(model: MLP, exact: bool):
    """The demo's loss traced for one sample: (tape, score)."""
    x, label = [Value(0.0), Value(0.0)], Value(0.0)
    score = model(x)
    penalty = 1e-4 * l2_penalty(model.parameters())
    return trace_batch(hinge([score], [label]), [x, label], penalty=penalty, watch=[score], exact=exact), score


def test_exact_moons_step_is_the_scalar_engines_bit_for_bit() -> None:
    """exact=True: the demo's loss and all 337 parameter grads equal the whole graph's, bit for bit."""
    X, y = moons()
    model = demo_model()
    want_loss, want = scalar_moons(model, X, y)
    tape, _ = batched_moons(model, exact=True)
    assert tape.summary()["nodes"] < 1_000 and tape.summary()["matrix_products"] == 0
    assert tape.forward(X, y) == want_loss == 0.8958441028683222
    tape.backward()
    assert all(same(p.grad, w) for p, w in zip(model.parameters(), want))


def test_matrix_products_match_the_scalar_engine_to_1e_12() -> None:
    """Default: one matrix product per layer; loss and every grad within 1e-12 relative of the engine's."""
    X, y = moons()
    model = demo_model()
    want_loss, want = scalar_moons(model, X, y)
    tape, _ = batched_moons(model, exact=False)
    assert tape.summary()["matrix_products"] == 3
    assert tape.forward(X, y) == pytest.approx(want_loss, rel=1e-15)
    tape.backward()
    got = np.array([p.grad for p in model.parameters()])
    assert np.all(np.abs(got - want) <= 1e-12 * np.abs(want))


@pytest.mark.parametrize("exact", [True, False])
def test_training_follows_the_scalar_engine(exact: bool) -> None:
    """Ten SGD steps batched and rebuilt: the same losses (bit for bit when exact)."""
    X, y = moons()
    model = demo_model()
    tape, score = batched_moons(model, exact)
    batched, accuracy = [], []
    for k in range(10):
        batched.append(tape.forward(X, y))
        accuracy.append(np.mean((tape.values(score) > 0) == (y > 0)))
        model.zero_grad()
        tape.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    model, rebuilt = demo_model(), []
    for k in range(10):
        loss, grads = scalar_moons(model, X, y)
        rebuilt.append(loss)
        for p, g in zip(model.parameters(), grads):
            p.data -= (1.0 - 0.9 * k / 100) * g
    assert batched == rebuilt if exact else batched == pytest.approx(rebuilt, rel=1e-12)
    assert accuracy[0] == 0.5 and accuracy[-1] > 0.75


def test_any_batch_size_per_call() -> None:
    """One tape takes batches of 1, 7 and 100 samples; each gives the scalar engine's numbers."""
    X, y = moons()
    model = demo_model()
    tape, _ = batched_moons(model, exact=True)
    for lo, hi in ((0, 1), (10, 17), (0, 100), (3, 5)):
        want_loss, want = scalar_moons(model, X[lo:hi], y[lo:hi])
        model.zero_grad()
        assert tape.forward(X[lo:hi], y[lo:hi]) == want_loss
        tape.backward()
        assert all(same(p.grad, w) for p, w in zip(model.parameters(), want)), (lo, hi)
        assert tape.batch_size == hi - lo


def test_softmax_cross_entropy_over_a_batch() -> None:
    """A tanh MLP with softmax cross entropy on one-hot targets, summed: the engine's grads within 1e-12."""
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(9, 4)), rng.integers(0, 3, size=9)
    onehot = np.eye(3)[labels]
    model = MLP(4, [5, 3], activation="tanh", rng=1)

    def sample_loss(x, t):  # -Σ t_j log softmax(z)_j
        return -sum(tj * lj for tj, lj in zip(t, log_softmax(model(x))))

    total = sum(sample_loss(list(map(Value, row)), list(map(Value, t))) for row, t in zip(X, onehot))
    total.backward()
    want = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    x, t = [Value(0.0) for _ in range(4)], [Value(0.0) for _ in range(3)]
    tape = trace_batch(sample_loss(x, t), [x, t], reduction="sum")
    assert tape.summary()["matrix_products"] == 2
    assert tape.forward(X, onehot) == pytest.approx(total.data, rel=1e-13)
    tape.backward()
    got = np.array([p.grad for p in model.parameters()])
    assert np.all(np.abs(got - want) <= 1e-12 * np.abs(want))


@given(expressions(max_leaves=4, max_ops=12), st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_random_graphs_batched_are_the_scalar_engines(e: Expression, xs: list[float]) -> None:
    """Any graph, its first leaf the per-sample input and the rest shared: the summed loss and the
    shared leaves' grads equal the graph built once per sample, bit for bit (exact=True)."""
    x, *shared = [Value(v) for v in e.inputs]
    root = e.fn(x, *shared)
    assume(root is not x and x in root.topo_order())
    tape = trace_batch(root, [x], reduction="sum", exact=True)
    value = tape.forward(xs)
    tape.backward()
    fresh = [Value(v) for v in e.inputs[1:]]
    total = sum(e.fn(Value(v), *fresh) for v in xs)
    total.backward()
    assert same(value, total.data), (value, total.data)
    for got, want in zip(shared, fresh):
        assert same(got.grad, want.grad), (got.grad, want.grad)


def test_penalty_and_reduction_are_added_once() -> None:
    """mean: Σ losses / n + penalty; sum: Σ losses + penalty; the penalty's grad is added once."""
    w, x = Value(2.0), Value(0.0)
    for reduction, loss, grad in (("mean", 4.0 + 4.0, 2.0 + 4.0), ("sum", 12.0 + 4.0, 6.0 + 4.0)):
        w.grad = 0.0
        tape = trace_batch(x * w, [x], penalty=w * w, reduction=reduction)
        assert tape.forward([1.0, 2.0, 3.0]) == loss
        tape.backward()
        assert w.grad == grad


def test_grads_accumulate_across_backward_calls() -> None:
    """backward() adds into p.grad, as Value.backward() does."""
    w, x = Value(2.0), Value(0.0)
    tape = trace_batch(x * w, [x])
    tape.forward([1.0, 3.0])
    tape.backward()
    tape.backward()
    assert w.grad == 4.0


def test_bad_use_gets_clear_errors() -> None:
    """Inputs that are not leaves or not in the graph, a penalty on the inputs, wrong shapes."""
    w, x, other = Value(2.0), Value(0.0), Value(1.0)
    y = x * w
    with pytest.raises(ValueError, match="inputs must be leaves"):
        trace_batch(y, [y])
    with pytest.raises(ValueError, match="not in the graph"):
        trace_batch(y, [other])
    with pytest.raises(ValueError, match="penalty must depend on the parameters only"):
        trace_batch(y, [x], penalty=x * x)
    with pytest.raises(ValueError, match="reduction"):
        trace_batch(y, [x], reduction="max")
    tape = trace_batch(y + 1.0, [x])
    with pytest.raises(RuntimeError, match="forward"):
        tape.backward()
    with pytest.raises(ValueError, match=r"expected \(batch,\)"):
        tape.forward([[1.0, 2.0]])
    with pytest.raises(TypeError, match="takes 1 arrays"):
        tape.forward([1.0], [2.0])
    with pytest.raises(ValueError, match="watched"):
        tape.forward([1.0])
        tape.values(y)
    pair = trace_batch(x * other, [[x, other]])
    with pytest.raises(ValueError, match=r"expected \(batch, 2\)"):
        pair.forward(np.zeros((3, 3)))


def test_exact_grads_add_onto_grads_not_zeroed() -> None:
    """exact=True with grads left from before: each contribution (the penalty's first, then the
    samples') adds onto the old grad one at a time, as backward() does, bit for bit."""
    X, y = moons(20)
    model = demo_model()
    old = [0.1 * (i % 7) - 0.3 for i in range(len(model.parameters()))]
    scores = [model(list(map(Value, row))) for row in X]
    total = hinge(scores, y) + 1e-4 * l2_penalty(model.parameters())
    for p, g in zip(model.parameters(), old):
        p.grad = g
    total.backward()
    want = [p.grad for p in model.parameters()]
    tape, _ = batched_moons(model, exact=True)
    for p, g in zip(model.parameters(), old):
        p.grad = g
    tape.forward(X, y)
    tape.backward()
    assert all(same(p.grad, w) for p, w in zip(model.parameters(), want))


def test_a_weight_used_twice_gets_both_contributions() -> None:
    """Tied weights: one weight in two neurons of a layer, and one matrix in two layers (an RNN
    unrolled twice); the matrix products add each use's grad, as the scalar engine does."""
    rng = np.random.default_rng(3)
    W = [[Value(float(rng.normal())) for _ in range(3)] for _ in range(3)]
    W[2][1] = W[0][0]  # tied inside the layer
    b = [Value(float(rng.normal())) for _ in range(3)]

    def sample_loss(x: list[Value]) -> Value:
        h = x
        for _ in range(2):  # the same W and b twice
            h = [sum((wi * hi for wi, hi in zip(row, h)), bj).tanh() for row, bj in zip(W, b)]
        return sum(hi * hi for hi in h)

    X = rng.normal(size=(6, 3))
    params = list({id(v): v for v in [*(w for row in W for w in row), *b]}.values())
    sum(sample_loss(list(map(Value, row))) for row in X).backward()
    want = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    x = [Value(0.0) for _ in range(3)]
    tape = trace_batch(sample_loss(x), [x], reduction="sum")
    assert tape.summary()["matrix_products"] == 2
    tape.forward(X)
    tape.backward()
    assert [p.grad for p in params] == pytest.approx(want, rel=1e-12)
