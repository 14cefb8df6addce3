"""microprop.replay: a traced graph replayed with numpy gives the scalar engine's numbers."""

from __future__ import annotations

import inspect
import math
import random
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from microprop import OPS, Op, Value, apply, zero_grad
from microprop.explain import explain
from microprop.kernels import ARRAYS, Arrays, kernel_for, python_kernel
from microprop.nn import MLP
from microprop.replay import trace
from microprop.testing import Expression, expressions, op_cases
from microprop.viz import to_dot

ROWS = list(OPS.values())
inf, nan = math.inf, math.nan
#: IEEE edge values every kernel is tried on (710 overflows exp)
SPECIALS = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 710.0, -710.0, 1e300, -1e300, inf, -inf, nan)


def same(x: float, y: float) -> bool:
    """Bit for bit the same float (nan equals nan; 0.0 equals -0.0)."""
    return x == y or (math.isnan(x) and math.isnan(y))


def scalar_case(
    op: Op, inputs: tuple[float, ...], params: tuple[float, ...]
) -> tuple[float, tuple[float, ...]]:
    """The row's own forward value and partials at one point."""
    out = op.forward(*inputs, *params)
    return out, tuple(op.partials(out, *inputs, *params))


def kernel_case(
    op: Op, inputs: tuple[float, ...], params: tuple[float, ...]
) -> tuple[float, tuple[float, ...]]:
    """The numpy kernel's forward value and partials at the same point."""
    kernel = kernel_for(op)
    arrays = [np.array([x]) for x in (*inputs, *params)]
    with np.errstate(all="ignore"):
        out = kernel.forward(*arrays)
        local = kernel.partials(out, *arrays)
    return float(out[0]), tuple(float(np.broadcast_to(d, (1,))[0]) for d in local)


def test_kernels_hold_no_derivative() -> None:
    """kernels.py writes no partials: every row's array partials are its own expression run on Arrays."""
    for op in ROWS:
        partials = kernel_for(op).partials
        assert partials.func is op.partials and partials.keywords == {"m": ARRAYS}  # type: ignore[attr-defined]
    assert "lambda" not in inspect.getsource(Arrays)


@pytest.mark.parametrize("op", [op for op in ROWS if op.name != "add"], ids=lambda op: op.name)
@given(data=st.data())
def test_kernel_matches_its_row_inside_the_domain(op: Op, data: st.DataObject) -> None:
    """The kernel's value and partials are the row's, bit for bit, on points of its domain."""
    inputs, params = data.draw(op_cases(op))
    want, got = scalar_case(op, inputs, params), kernel_case(op, inputs, params)
    assert same(got[0], want[0]), (inputs, params, got, want)
    assert all(same(g, w) for g, w in zip(got[1], want[1])), (inputs, params, got, want)


@pytest.mark.parametrize("op", [op for op in ROWS if op.name != "add"], ids=lambda op: op.name)
def test_kernel_matches_its_row_at_ieee_edges(op: Op) -> None:
    """At 0, -0, ±1, huge, ±inf and nan the kernel gives the row's inf/nan results, with no warning."""
    params = tuple(1.0 if name != "slope" else 0.1 for name in op.params)
    points = [(x,) for x in SPECIALS] if op.arity == 1 else [(x, y) for x in SPECIALS for y in SPECIALS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for inputs in points:
            want, got = scalar_case(op, inputs, params), kernel_case(op, inputs, params)
            assert same(got[0], want[0]), (inputs, got, want)
            assert all(same(g, w) for g, w in zip(got[1], want[1])), (inputs, got, want)


def test_a_row_without_kernel_runs_its_own_functions() -> None:
    """A user's row (sin, from the README) replays through its Python functions."""
    sin = Op("sin", "sin", math.sin, lambda out, a: (math.cos(a),), "d/da = cos(a)")
    x = Value(0.5)
    tape = trace(apply(sin, x * 2.0))
    x.data = 0.25
    assert tape.forward() == math.sin(0.5)
    tape.backward()
    assert x.grad == pytest.approx(2 * math.cos(0.5), rel=1e-15)
    assert python_kernel(sin).forward(np.array([0.0]))[0] == 0.0


@given(expressions(max_leaves=4, max_ops=12), st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_random_graphs_replay_to_the_scalar_engine(e: Expression, moved: list[float]) -> None:
    """After the leaves move, replayed value and leaf grads are a fresh scalar pass's, bit for bit."""
    leaves = [Value(x) for x in e.inputs]
    tape = trace(e.fn(*leaves))
    for leaf, x in zip(leaves, moved):
        leaf.data = x
    value = tape.forward()
    tape.backward()
    fresh = [Value(x) for x in moved[: len(leaves)]]
    root = e.fn(*fresh)
    root.backward()
    assert same(value, root.data), (value, root.data)
    for got, want in zip(leaves, fresh):
        assert same(got.grad, want.grad), (got.grad, want.grad)


def moons_graph(model_seed: int = 1337):
    """micrograd's demo loss on 100 moons points: the model, the root and the scores."""
    sklearn = pytest.importorskip("sklearn.datasets")
    np.random.seed(1337)
    random.seed(model_seed)
    X, y = sklearn.make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    return model, total, scores


def test_moons_step_matches_the_scalar_engine() -> None:
    """One replayed step of micrograd's demo: the loss and every grad bit for bit."""
    model, total, scores = moons_graph()
    loss = total.data
    tape = trace(total, watch=scores)
    assert tape.summary()["nodes"] > 65_000 and tape.summary()["groups"] < 40
    total.backward()
    want = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert tape.forward() == loss
    tape.backward()
    assert all(same(p.grad, w) for p, w in zip(model.parameters(), want))


def test_moons_training_follows_the_scalar_engine() -> None:
    """Ten SGD steps, replayed and rebuilt: the same losses, bit for bit."""
    model, total, scores = moons_graph()
    tape = trace(total, watch=scores)
    replayed = []
    for k in range(10):
        replayed.append(tape.forward())
        model.zero_grad()
        tape.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    model, total, scores = moons_graph()
    rebuilt = []
    for k in range(10):
        if k:
            _, total, scores = rebuild(model)
        rebuilt.append(total.data)
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    assert replayed[0] == rebuilt[0] == 0.8958441028683222
    assert replayed == rebuilt


def rebuild(model: MLP):
    """The moons loss graph built again on the model's current parameters."""
    sklearn = pytest.importorskip("sklearn.datasets")
    np.random.seed(1337)
    X, y = sklearn.make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    return model, sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters()), scores


def test_watched_nodes_follow_forward() -> None:
    """forward() keeps the root and the watched scores current; other nodes wait for sync()."""
    model, total, scores = moons_graph()
    tape = trace(total, watch=scores)
    for p in model.parameters():
        p.data *= 0.5
    tape.forward()
    _, fresh_total, fresh_scores = rebuild(model)
    assert total.data == fresh_total.data
    assert [s.data for s in scores] == [s.data for s in fresh_scores]


def test_long_sums_are_fused_and_added_left_to_right() -> None:
    """sum() over 1,000 terms is one fused sum of the same floats in the same order: bit for bit."""
    rng = random.Random(0)
    xs = [Value(rng.uniform(-1e6, 1e6)) for _ in range(1000)]
    root = sum(x * x for x in xs)
    tape = trace(root)
    assert tape.summary()["fused_additions"] == 999 and tape.summary()["levels"] == 2
    for x in xs:
        x.data = rng.uniform(-1e6, 1e6)
    got = tape.forward()
    assert got == sum(x.data * x.data for x in xs)


@pytest.mark.parametrize("build", [lambda a: a + a, lambda a: a * a, lambda a: (a + a) + (a + a)])
def test_repeated_operands_count_twice(build) -> None:
    """a + a, a * a and (a + a) + (a + a): each use of a node adds its contribution."""
    a = Value(3.0)
    tape = trace(build(a))
    tape.backward()
    want = a.grad
    a.grad = 0.0
    build(a).backward()
    assert want == a.grad


def test_backward_twice_accumulates_into_leaves() -> None:
    """A second backward() adds the same grads again, as Value.backward does."""
    x, w = Value(2.0), Value(-3.0)
    tape = trace((x * w).tanh())
    tape.backward()
    once = (x.grad, w.grad)
    tape.backward()
    assert (x.grad, w.grad) == (2 * once[0], 2 * once[1])


def test_a_leaf_alone() -> None:
    """Tracing a leaf gives a tape with nothing to compute: forward returns it, backward seeds it."""
    x = Value(4.0)
    tape = trace(x)
    x.data = 5.0
    assert tape.forward() == 5.0
    tape.backward(2.0)
    assert x.grad == 2.0


def test_a_long_chain_traces_without_recursion() -> None:
    """A 20,000-op chain traces and replays (one level per op)."""
    x = Value(0.1)
    y = x
    for _ in range(10_000):
        y = (y * 1.0001 + 0.0001).tanh()
    tape = trace(y)
    want = y.data
    assert tape.forward() == pytest.approx(want, rel=1e-12)


def test_watch_must_be_in_the_graph() -> None:
    """Watching a value the root does not depend on is an error that says so."""
    x = Value(1.0)
    with pytest.raises(ValueError, match="not in the graph"):
        trace(x * 2.0, watch=[Value(3.0)])


def test_synced_graph_draws_and_explains_like_a_rebuilt_one() -> None:
    """After replayed training steps and sync(), the DOT and the step-through text are those of the
    same graph built afresh with the scalar engine on the same parameters."""
    random.seed(3)
    model = MLP(2, [3, 1])
    x = [Value(0.5, label="x1"), Value(-1.5, label="x2")]

    def build() -> Value:
        out = (model(x) - 1.0) ** 2
        out.label = "loss"
        return out

    root = build()
    tape = trace(root)
    for _ in range(3):
        tape.forward()
        model.zero_grad()
        tape.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    tape.forward()
    fresh = build()
    leaves = [v for r in (root, fresh) for v in r.topo_order() if v.is_leaf()]
    zero_grad(leaves)
    tape.backward()
    tape.sync()
    replayed_grads = [v.grad for v in root.topo_order()]
    assert to_dot(root) == to_dot(fresh)
    assert to_dot(root, view="backward") == to_dot(fresh, view="backward")
    zero_grad(leaves)
    fresh.backward()
    assert [v.grad for v in fresh.topo_order()] == replayed_grads
    zero_grad(leaves)
    text = explain(root)
    zero_grad(leaves)
    assert text == explain(fresh)


def identical(x: float, y: float) -> bool:
    """The same float bit for bit, the sign of zero included (nan equals nan)."""
    return (x == y and math.copysign(1.0, x) == math.copysign(1.0, y)) or (math.isnan(x) and math.isnan(y))


def test_sync_writes_plus_zero_where_the_engine_has_it() -> None:
    """The issue's graph: after sync() the log node's grad is +0.0, as Value.backward() leaves it."""
    x = Value(0.5)
    a = x.log()
    y = a.relu() * -1.0 + x
    tape = trace(y)
    tape.forward()
    tape.backward()
    tape.sync()
    assert identical(a.grad, 0.0), a.grad


@given(
    expressions(max_leaves=4, max_ops=12),
    st.lists(st.sampled_from(SPECIALS + (0.3, -0.7)), min_size=4, max_size=4),
)
def test_sync_gives_every_node_the_scalar_engines_numbers(e: Expression, moved: list[float]) -> None:
    """After forward, backward and sync, every node's data and grad are a fresh scalar pass's, bit for
    bit with the sign of zero, also at IEEE edge values."""
    leaves = [Value(x) for x in e.inputs]
    root = e.fn(*leaves)
    tape = trace(root)
    for leaf, x in zip(leaves, moved):
        leaf.data = x
    tape.forward()
    tape.backward()
    tape.sync()
    fresh = e.fn(*(Value(x) for x in moved[: len(leaves)]))
    fresh.backward()
    for got, want in zip(root.topo_order(), fresh.topo_order()):
        assert identical(got.data, want.data), (got, want)
        assert identical(got.grad, want.grad), (got, want)


def test_sync_prints_no_warnings_on_inf_and_nan() -> None:
    """sync() on a graph with inf and nan is as quiet as forward() and backward()."""
    import warnings

    x = Value(1000.0)
    h = x.exp()
    y = h * math.inf + h * -math.inf  # h.grad = inf + -inf
    tape = trace(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tape.forward()
        tape.backward()
        tape.sync()
    assert math.isnan(y.data) and math.isnan(h.grad) and math.isnan(x.grad)


def test_masked_grads_replay_as_exact_zeros() -> None:
    """relu(x) ** -2 at x = -1: the replay sends 0 through relu's mask, as the engine does."""
    x = Value(-1.0)
    tape = trace(x.relu() ** -2)
    tape.backward()
    assert x.grad == 0.0


def test_tape_passes_from_two_threads_run_one_at_a_time() -> None:
    """A thread's Tape.backward() never reads the buffers of another thread's pass that started later."""
    import threading

    started, go = threading.Event(), threading.Event()

    def slow_partials(out: float, a: float) -> tuple[float]:
        if not started.is_set():  # the first pass waits here, mid-way, for the second
            started.set()
            go.wait(0.5)
        return (1.0,)

    slow = Op("slow", "slow", lambda a: a, slow_partials, "d/da = 1")
    x = Value(1.5)
    tape = trace(apply(slow, x) + x * 5.0)  # backward: the sum, slow (pauses), then the mul
    first = threading.Thread(target=tape.backward, args=(1.0,))
    second = threading.Thread(target=tape.backward, args=(2.0,))
    first.start()
    started.wait(5)
    second.start()
    second.join(0.3)
    go.set()
    first.join()
    second.join()
    assert x.grad == 3.0 * (1.0 + 5.0)  # seeds 1 + 2, times d/dx
