"""Engine regressions: graph shape, accumulation, deep chains, numbers from outside, anomalies."""

from __future__ import annotations

import gc
import math
import operator
import sys

import numpy as np
import pytest

from microprop import (
    AnomalyError,
    Value,
    apply,
    detect_anomaly,
    is_grad_enabled,
    no_grad,
    zero_grad,
)


def test_huge_python_ints_become_infinities() -> None:
    """An int beyond float range converts to ±inf (IEEE rounding), never OverflowError."""
    assert Value(10**400).data == math.inf
    assert Value(-(10**400)).data == -math.inf
    x = Value(2.0)
    assert (x * 10**400).data == math.inf
    assert (x - 10**400).data == -math.inf
    assert (x ** (10**400)).data == math.inf
    assert (x ** -(10**400)).data == 0.0


def test_division_by_zero_numbers_is_ieee() -> None:
    """x / 0 is ±inf and 0 / 0 is nan for int, float, -0.0 and numpy zeros, never an exception."""
    for zero in (0, 0.0, np.int64(0), np.float64(0), np.float32(0)):
        assert (Value(2.0) / zero).data == math.inf
        assert (Value(-2.0) / zero).data == -math.inf
        assert math.isnan((Value(0.0) / zero).data)
    assert (Value(2.0) / -0.0).data == -math.inf
    x = Value(3.0)
    (x / 0).backward()
    assert x.grad == math.inf  # d(x/0)/dx = 1/0, as in PyTorch


def test_division_by_numpy_ints() -> None:
    """x / np.int64(4) is x * 0.25 (numpy refuses int ** -1; the engine must not pass that on)."""
    for four in (4, np.int64(4), np.int32(4), np.uint8(4)):
        y = Value(3.0) / four
        assert y.data == 0.75 and type(y.data) is float


def test_apply_checks_inputs_and_params() -> None:
    """apply() names the op and the expected count when given the wrong number of inputs or params."""
    assert apply("pow", 3.0, params=[2]).data == 9.0
    assert apply("leaky_relu", -2.0, params=(0.5,)).data == -1.0
    with pytest.raises(TypeError, match=r"pow takes 1 parameter\(s\) \(p\), got 0"):
        apply("pow", 3.0)
    with pytest.raises(TypeError, match=r"pow takes 1 parameter\(s\) \(p\), got 2"):
        apply("pow", 3.0, params=(1, 2))
    with pytest.raises(TypeError, match=r"mul takes 0 parameter\(s\), got 1"):
        apply("mul", 1.0, 2.0, params=(1,))
    with pytest.raises(TypeError, match=r"tanh takes 1 input\(s\), got 2"):
        apply("tanh", 1.0, 2.0)
    with pytest.raises(TypeError, match="not str"):
        apply("pow", 3.0, params=["2"])


def test_subtracting_numpy_ints_does_not_wrap() -> None:
    """x - np.uint8(5) is x - 5 (numpy's own negation would wrap to 251), and int8's -128 stays exact."""
    x = Value(10.0)
    with np.errstate(all="raise"):
        assert (x - np.uint8(5)).data == 5.0
        assert (x - np.uint64(5)).data == 5.0
        assert (x - np.int8(-128)).data == 138.0


# --- graph shape and accumulation --------------------------------------------------------------


def test_a_plus_a_keeps_both_edges() -> None:
    """b = a + a; c = b + b gives dc/da = 4: a repeated operand is two edges (a set of parents loses one)."""
    a = Value(3.0, label="a")
    b = a + a
    c = b + b
    assert b.parents == (a, a) and c.parents == (b, b)
    c.backward()
    assert (c.data, b.grad, a.grad) == (12.0, 2.0, 4.0)


def test_x_times_x() -> None:
    """d(x·x)/dx = 2x, both slots of the mul counted."""
    x = Value(-3.0)
    y = x * x
    y.backward()
    assert (y.data, x.grad) == (9.0, -6.0)


def test_million_op_chain() -> None:
    """backward() through a 1,000,000-op chain works at the default recursion limit (no recursion)."""
    assert sys.getrecursionlimit() <= 10_000  # not raised for this test (a recursive walk needs ~1e6)
    x = Value(0.5, label="x")
    c = Value(1e-6, label="c")
    gc.disable()  # the million young nodes would only make the cycle collector rescan them, often
    try:
        y = x
        for _ in range(1_000_000):
            y = y + c
        y.backward()
    finally:
        gc.enable()
    assert y.data == pytest.approx(1.5, rel=1e-9)
    assert x.grad == 1.0
    assert c.grad == 1_000_000.0  # one edge per op: the chain is a million ops long


def test_backward_twice_accumulates_leaves_and_resets_the_rest() -> None:
    """A second backward() doubles leaf grads (they accumulate) but not intermediate ones (reset first)."""
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    h = x * w
    y = h.tanh() + h
    y.backward()
    first = (x.grad, w.grad, h.grad, y.grad)
    y.backward()
    assert (x.grad, w.grad) == (2 * first[0], 2 * first[1])
    assert (h.grad, y.grad) == first[2:]


def test_zero_grad() -> None:
    """zero_grad() sets the given values' grads to 0.0 (a float), so the next backward starts fresh."""
    x = Value(2.0)
    y = x * x
    y.backward()
    zero_grad([x])
    assert x.grad == 0.0 and type(x.grad) is float
    y.backward()
    assert x.grad == 4.0


def test_no_grad_builds_no_graph() -> None:
    """Inside no_grad() ops compute values but record no op or parents; recording resumes after,
    also when the block raised."""
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 3 + x.tanh()) ** 2
        z = x**x
    assert y.is_leaf() and y.parents == () and y.params == ()
    assert z.is_leaf() and z.data == 4.0
    assert y.data == pytest.approx((6 + math.tanh(2.0)) ** 2)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert is_grad_enabled()
    assert (x * 3).parents[0] is x


# --- detect_anomaly ------------------------------------------------------------------------------


def test_anomaly_in_forward_names_the_first_op_and_its_inputs() -> None:
    """detect_anomaly() stops at the first op whose value is nan, naming the op and its inputs."""
    x = Value(4.0, label="x")
    shifted = x - 10.0
    shifted.label = "s"
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        shifted.log().tanh()
    assert str(info.value) == "log produced nan in forward from inputs s=-6.0"
    assert math.isnan(shifted.log().data)  # outside the block: nan flows on, as in PyTorch


def test_anomaly_in_backward_names_the_node_and_its_input() -> None:
    """A nan grad from finite values (0 ** 0.5 has local inf, times a 0 grad) names the op, the node,
    the input that received it, its local derivative and all inputs."""
    x = Value(0.0, label="x")
    y = x**0.5
    y.label = "y"
    z = y * 0.0
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        z.backward()
    message = str(info.value)
    assert message.startswith("pow node y (data=0.0, grad=0.0) produced a nan grad for input 0 (x=0.0")
    assert "local derivative inf" in message and message.endswith("inputs x=0.0")
    z.backward()  # outside the block: no check
    assert math.isnan(x.grad)


def test_anomaly_is_off_by_default_and_restored() -> None:
    """Without detect_anomaly() nan values pass silently; the block restores the previous state."""
    assert math.isnan(Value(-1.0).log().data)
    with pytest.raises(AnomalyError), detect_anomaly():
        Value(-1.0).log()
    assert math.isnan(Value(-1.0).log().data)


# --- numbers from outside --------------------------------------------------------------------------

OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


@pytest.mark.parametrize("bad", ["2", None, [1.0], 1j], ids=["str", "None", "list", "complex"])
def test_non_real_operands_raise_type_error_naming_the_type(bad: object) -> None:
    """Value(bad) and every operator with bad on either side raise TypeError naming bad's type."""
    kind = type(bad).__name__
    with pytest.raises(TypeError, match=f"not {kind}"):
        Value(bad)  # type: ignore[arg-type]
    x = Value(2.0)
    for op in OPERATORS.values():
        for args in ((x, bad), (bad, x)):
            with pytest.raises(TypeError, match=f"real number, not {kind}"):
                op(*args)


NUMPY_SCALARS = [np.float64(2.5), np.int64(3), np.float32(0.5), np.uint8(3), np.float16(0.5), np.array(2.0)]


@pytest.mark.parametrize(
    "number", NUMPY_SCALARS, ids=["float64", "int64", "float32", "uint8", "float16", "0-d array"]
)
@pytest.mark.parametrize("symbol", OPERATORS)
def test_numpy_scalars_on_both_sides(symbol: str, number: object) -> None:
    """Every operator takes numpy scalars (and 0-d arrays) on either side and gives a Value holding a
    Python float, equal to the float computation; numpy defers to Value instead of making an array or
    a numpy scalar."""
    op = OPERATORS[symbol]
    x = Value(1.5)
    for result, expected in (
        (op(x, number), op(1.5, float(number))),
        (op(number, x), op(float(number), 1.5)),
    ):
        assert type(result) is Value
        assert type(result.data) is float
        assert result.data == pytest.approx(expected, rel=1e-15)
    assert type(np.float64(2) * x) is Value


def test_reflected_operators() -> None:
    """2 - x, 1 / x and 2 ** x have the right values and grads (other - self, other / self, other ** self)."""
    for make, value, grad in (
        (lambda x: 2 - x, -1.0, -1.0),
        (lambda x: 1 / x, 1 / 3, -1 / 9),
        (lambda x: 2**x, 8.0, 8 * math.log(2)),
    ):
        x = Value(3.0)
        y = make(x)
        y.backward()
        assert y.data == pytest.approx(value, rel=1e-15)
        assert x.grad == pytest.approx(grad, rel=1e-15)


# --- structure: repr, parents, topological order, memory ------------------------------------------


def test_repr_shows_data_grad_and_label() -> None:
    """repr shows data, grad and (when set) the label."""
    x = Value(3.0, label="x")
    (x * x).backward()
    assert repr(x) == "Value(data=3.0, grad=6.0, label='x')"
    assert repr(Value(-0.5)) == "Value(data=-0.5, grad=0.0)"


def test_parents_are_an_ordered_tuple() -> None:
    """parents is a tuple in operand order: (b, a) for b * a, () for a leaf, (x,) for a unary op."""
    a, b = Value(1.0), Value(2.0)
    assert (b * a).parents == (b, a)
    assert (a * b).parents == (a, b)
    assert a.parents == ()
    assert a.tanh().parents == (a,)
    assert (a**2).parents == (a,)
    assert (2 - a).parents[1].data == 2.0


def build_graph() -> Value:
    """A small graph with shared nodes and every kind of edge."""
    x, w, b = Value(1.0, label="x"), Value(-2.0, label="w"), Value(0.5, label="b")
    h = (x * w + b).tanh()
    return (h * h + h.exp() + x.relu()) / (w**2 + 1)


def describe(order: list[Value]) -> list[str]:
    """Each node as its op name (or leaf label or value) and its parents' positions in the order."""
    index = {v: i for i, v in enumerate(order)}
    return [f"{v.op.name if v.op else v.label or v.data}{[index[p] for p in v.parents]}" for v in order]


def test_topo_order_is_deterministic_and_parents_first() -> None:
    """topo_order lists every node once, each after its parents, the same way every time and for every
    build of the same graph (no dependence on id or hashing)."""
    root = build_graph()
    order = root.topo_order()
    assert order[-1] is root
    assert len(set(order)) == len(order)
    position = {v: i for i, v in enumerate(order)}
    assert all(position[p] < position[v] for v in order for p in v.parents)
    assert describe(order) == describe(root.topo_order()) == describe(build_graph().topo_order())
    assert [v.label for v in order if v.is_leaf() and v.label] == ["x", "w", "b"]


def test_graphs_leave_no_cyclic_garbage() -> None:
    """Nodes hold no closures or back references: a built, backpropagated and dropped graph frees
    without the cycle collector (gc.collect() finds nothing)."""
    gc.collect()
    gc.disable()
    try:
        root = build_graph()
        for _ in range(100):
            root = root * build_graph() + root.tanh()
        root.backward()
        del root
        assert gc.collect() == 0
    finally:
        gc.enable()


# --- issue 11: parameters, grad mode per thread, anomaly blame, threads, PyTorch's masks ---


def test_huge_int_parameters_and_seeds_become_infinities() -> None:
    """An int beyond float range as a slope, alpha or backward seed rounds to ±inf, never OverflowError."""
    assert Value(-1.0).leaky_relu(10**400).data == -math.inf
    assert Value(-1.0).elu(10**400).data == -math.inf
    x = Value(2.0)
    (x * x).backward(10**400)
    assert x.grad == math.inf


@pytest.mark.parametrize("bad", ["0.1", Value(0.1), None, 1j])
def test_parameters_must_be_real_numbers(bad: object) -> None:
    """A slope, alpha, exponent or seed that is not a real number (a str, a Value) is a TypeError naming it."""
    x = Value(-1.0)
    with pytest.raises(TypeError, match="leaky_relu's slope must be a real number"):
        x.leaky_relu(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="elu's alpha must be a real number"):
        x.elu(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backward's grad must be a real number"):
        (x * x).backward(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="leaky_relu's parameter must be a real number"):
        apply("leaky_relu", x, params=[bad])  # type: ignore[list-item]


def test_grad_mode_is_per_thread() -> None:
    """no_grad() in one thread leaves another thread recording, as in PyTorch."""
    import threading

    inside, done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def other() -> None:
        inside.wait(5)
        y = Value(2.0) * 3
        seen["leaf"], seen["enabled"] = y.is_leaf(), is_grad_enabled()
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with no_grad():
        inside.set()
        done.wait(5)
        assert (Value(2.0) * 3).is_leaf()
    thread.join()
    assert seen == {"leaf": False, "enabled": True}
    assert is_grad_enabled() and not (Value(2.0) * 3).is_leaf()


def test_anomaly_blames_the_node_whose_contribution_is_nan() -> None:
    """A nan left in a leaf's grad from an earlier pass is not blamed on the op that adds to it."""
    x = Value(1.0, label="x")
    x.grad = math.nan
    with detect_anomaly():
        (x * 2.0).backward()  # sends 2.0: no anomaly
    assert math.isnan(x.grad)
    y = x * 0.0
    y.grad = 0.0
    z = (Value(0.0, label="z") ** 0.5) * y  # local inf × 0: this pow is the culprit
    with detect_anomaly(), pytest.raises(AnomalyError, match="pow node"):
        z.backward()


def test_anomaly_names_a_grad_that_added_up_to_nan() -> None:
    """Contributions inf and -inf that add up to nan are reported at the node that holds the nan grad."""
    x = Value(1.0, label="x")
    h = x * 1.0
    h.label = "h"
    y = h * math.inf + h * -math.inf  # h.grad = inf + -inf
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"mul node h .*added up to nan"):
        y.backward()


def test_detect_anomaly_is_process_wide() -> None:
    """detect_anomaly() in one thread checks the ops of another (documented, as in PyTorch)."""
    import threading

    errors: list[BaseException] = []

    def other() -> None:
        try:
            Value(-1.0).log()
        except AnomalyError as err:
            errors.append(err)

    with detect_anomaly():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(errors) == 1


def test_backward_from_two_threads_on_one_graph_is_exact() -> None:
    """Two threads calling backward() on one graph give each leaf the grad of two passes, never a mix."""
    import threading

    leaves = [Value(0.01 * i) for i in range(300)]
    root = sum((v * v).tanh() * 2.0 for v in leaves)
    root.backward()
    once = [v.grad for v in leaves]
    zero_grad(leaves)
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        for _ in range(5):
            root.backward()

    threads = [threading.Thread(target=run) for _ in range(2)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert all(math.isclose(v.grad, 10 * g, rel_tol=1e-12) for v, g in zip(leaves, once))


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda x: x.relu() ** -2, id="relu(x)**-2"),  # the example
        pytest.param(lambda x: (x**0.0) * math.inf, id="x**0 * inf"),
        pytest.param(lambda x: (x ** Value(0.0)) * math.inf, id="x**b, b=0"),
    ],
)
def test_masked_grads_are_exactly_zero_whatever_arrives(build) -> None:
    """Where PyTorch's backward returns exactly 0 (relu at x <= 0, a ** 0), an inf or nan upstream grad
    sends 0, not 0 × inf = nan."""
    x = Value(-1.0)
    build(x).backward()
    assert x.grad == 0.0


def test_relu_and_elu_follow_pytorch_at_nan_and_minus_zero() -> None:
    """relu'(nan) = 1 and elu'(nan) = 1 (PyTorch passes the grad), relu(-0.0) = -0.0, elu' = alpha·exp(a)."""
    for build in (lambda x: x.relu(), lambda x: x.elu()):
        x = Value(math.nan)
        build(x).backward()
        assert x.grad == 1.0
    assert math.copysign(1.0, Value(-0.0).relu().data) == -1.0
    x = Value(-40.0)
    x.elu(2.0).backward()
    assert x.grad == 2.0 * math.exp(-40.0)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda x: abs(x) * math.inf, id="abs at 0"),
        pytest.param(lambda x: x.leaky_relu(0.0) * math.inf, id="leaky_relu slope 0"),
        pytest.param(lambda x: (x * 0.0) * math.inf, id="mul by 0"),
        pytest.param(lambda x: (x**2.0) * math.inf, id="x**2 at 0"),
    ],
)
def test_zero_local_derivatives_elsewhere_still_multiply(build) -> None:
    """abs(0), the leaky_relu kink, mul by 0 and a**2 at 0 multiply 0 by the upstream grad, as PyTorch does."""
    x = Value(0.0)
    build(x).backward()
    assert math.isnan(x.grad)
