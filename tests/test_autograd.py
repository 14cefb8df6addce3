"""microprop.autograd: second and third derivatives, Hessians and forward mode, shown
against finite differences of the first derivative, closed forms, reverse mode and PyTorch."""

from __future__ import annotations

import importlib.util
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_ops import torch_functions  # each row's PyTorch counterpart (tests/ is on sys.path)

from microprop import Op, Value, apply, ops
from microprop.autograd import grad, hessian, hvp, jvp
from microprop.explain import explain
from microprop.testing import Expression, expressions, op_cases
from microprop.viz import to_dot

H = 1e-5  # the step of the central differences of the first derivative
ROWS = pytest.mark.parametrize("op", ops.ROWS, ids=lambda op: op.name)
HAS_TORCH = importlib.util.find_spec("torch") is not None


def first_derivatives(fn, point: list[float]) -> list[float]:
    """d fn / d x_i at ``point``, by reverse mode (floats)."""
    xs = [Value(x) for x in point]
    return [g.data for g in grad(fn(*xs), xs)]


def hessian_by_differences(fn, point: list[float]) -> list[list[float]]:
    """Column j: central differences, in x_j, of the first derivatives."""
    columns = []
    for j in range(len(point)):
        up, down = list(point), list(point)
        up[j] += H
        down[j] -= H
        g_up, g_down = first_derivatives(fn, up), first_derivatives(fn, down)
        columns.append([(u - d) / (2 * H) for u, d in zip(g_up, g_down)])
    return [list(row) for row in zip(*columns)]


def assert_close(got: list[list[float]], want: list[list[float]], rel: float, abs_: float) -> None:
    for i, (row_got, row_want) in enumerate(zip(got, want)):
        for j, (g, w) in enumerate(zip(row_got, row_want)):
            assert g == pytest.approx(w, rel=rel, abs=abs_), (i, j, got, want)


def has_zero_exponent(e: Expression) -> bool:
    """Whether some ``a ** b`` of the graph has b == 0 exactly at the expression's point.

    There d/da is PyTorch's masked constant 0, whose derivative in b is 0, not the limit
    a^-1 that differences see: ``(x + 1) ** x`` at 0 has f'' = 1 in microprop and PyTorch,
    2 by differences.
    """
    root = e.fn(*(Value(x) for x in e.inputs))
    return any(
        (v.op.name == "pow" and v.params[0] == 0) or (v.op.name == "powv" and v.parents[1].data == 0)
        for v in root.topo_order()
        if v.op is not None
    )


@ROWS
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_second_derivatives_of_every_row_match_differences_of_the_first(op: Op, data: st.DataObject) -> None:
    """Each row's Hessian (grad of grad through the row's own partials) matches central
    differences of its first derivatives, inside its domain and away from its kinks."""
    inputs, params = data.draw(op_cases(op))
    # a ** 0: d/da is the constant 0 there (as PyTorch's where(b == 0, 0, ...)), so its
    # derivative in b is 0 at that one point, not the limit a^-1 that differences see
    assume(not (op.name in ("pow", "powv") and 0.0 in (*params, *inputs[1:])))

    def fn(*xs: Value) -> Value:
        return apply(op, *xs, params=params)

    assert_close(hessian(fn, list(inputs)), hessian_by_differences(fn, list(inputs)), rel=1e-5, abs_=1e-6)


@settings(max_examples=60, deadline=None)
@given(expressions(max_leaves=3, max_ops=8))
def test_second_derivatives_of_random_graphs_match_differences_of_the_first(e: Expression) -> None:
    """On random graphs over the whole table, the Hessian matches differences of the gradient."""
    assume(not has_zero_exponent(e))
    want = hessian_by_differences(e.fn, list(e.inputs))
    scale = max([1.0, *(abs(x) for row in want for x in row)])
    assert_close(hessian(e.fn, list(e.inputs)), want, rel=1e-5, abs_=1e-6 * scale)


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.5, 1.7])
def test_third_derivative_of_tanh_is_the_closed_form(x: float) -> None:
    """d³/dx³ tanh(x) = -2(1 - t²)(1 - 3t²) with t = tanh(x), by grad of grad of grad."""
    v = Value(x)
    (d1,) = grad(v.tanh(), v, create_graph=True)
    (d2,) = grad(d1, v, create_graph=True)
    (d3,) = grad(d2, v)
    t = math.tanh(x)
    assert d1.data == pytest.approx(1 - t * t, rel=1e-14)
    assert d2.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-14, abs=1e-300)
    assert d3.data == pytest.approx(-2 * (1 - t * t) * (1 - 3 * t * t), rel=1e-13)


def test_grad_without_create_graph_is_backward_bit_for_bit() -> None:
    """grad() in float mode gives backward()'s numbers exactly, and writes no .grad."""
    x, w = Value(0.7), Value(-1.3)
    y = ((x * w).tanh() + x.exp() * w) ** 2.0
    gx, gw = grad(y, [x, w])
    assert x.grad == w.grad == 0.0
    y.backward()
    assert (gx.data, gw.data) == (x.grad, w.grad)


def test_create_graph_grads_are_ordinary_nodes(tmp_path) -> None:
    """A create_graph grad is a graph node of table rows: it backprops, draws, explains and steps."""
    from microprop.viz import save_stepper

    x = Value(0.5, label="x")
    (dy,) = grad(x.tanh(), x, create_graph=True)
    assert not dy.is_leaf() and all(v.op is None or v.op.name in ops.OPS for v in dy.topo_order())
    dy.backward()
    assert x.grad == pytest.approx(-2 * math.tanh(0.5) * (1 - math.tanh(0.5) ** 2))
    assert "tanh" in to_dot(dy) and "backward" in explain(dy)
    assert "tanh" in save_stepper(dy, tmp_path / "dy.html").read_text(encoding="utf-8")


def test_grad_outputs_weight_several_outputs() -> None:
    """grad(outputs, inputs, grad_outputs) is the weighted sum of the outputs' grads."""
    x = Value(2.0)
    (g,) = grad([x * x, x.exp()], x, grad_outputs=[3.0, -1.0])
    assert g.data == pytest.approx(3 * 4.0 - math.exp(2.0))
    assert grad(x * 2.0, [x, Value(1.0)])[1].data == 0.0  # an unused input: 0


def test_hessian_is_symmetric_and_hvp_is_its_product() -> None:
    """hessian() of a smooth function is symmetric; hvp(v) equals hessian @ v."""

    def f(a: Value, b: Value, c: Value) -> Value:
        return (a * b).tanh() * c.exp() + (a**3.0) * b + c.log()

    point, v = [0.3, -0.8, 1.4], [1.0, -2.0, 0.5]
    h = hessian(f, point)
    for i in range(3):
        for j in range(3):
            assert h[i][j] == pytest.approx(h[j][i], rel=1e-12)
    hv = hvp(f, point, v)
    for i in range(3):
        assert hv[i] == pytest.approx(sum(h[i][j] * v[j] for j in range(3)), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(expressions(max_leaves=4, max_ops=10), st.data())
def test_jvp_matches_reverse_mode_on_random_graphs(e: Expression, data: st.DataObject) -> None:
    """jvp along a random direction equals the gradient (reverse mode) dotted with it."""
    direction = [data.draw(st.floats(-2, 2)) for _ in e.inputs]
    value, tangent = jvp(e.fn, list(e.inputs), direction)
    gradient = first_derivatives(e.fn, list(e.inputs))
    assert value == e.fn(*e.inputs).data
    want = sum(g * d for g, d in zip(gradient, direction))
    assert tangent == pytest.approx(want, rel=1e-9, abs=1e-9 * (1 + sum(abs(g * d) for g, d in zip(gradient, direction))))


# --- against PyTorch's create_graph ------------------------------------------------------


def torch_hessian(e: Expression) -> list[list[float]]:
    """The same graph in PyTorch float64: torch.autograd.grad(create_graph=True), twice."""
    import torch

    functions = torch_functions()
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in e.inputs]
    nodes: list = []
    for step in e.steps:
        if step.kind == "input":
            nodes.append(xs[step.index])
        elif step.kind == "const":
            nodes.append(torch.tensor(step.value, dtype=torch.float64))
        else:
            nodes.append(functions[step.op.name](*(nodes[i] for i in step.args), *step.params))
    first = torch.autograd.grad(nodes[-1], xs, create_graph=True, allow_unused=True, materialize_grads=True)
    rows = []
    for g in first:
        if not g.requires_grad:
            rows.append([0.0] * len(xs))
            continue
        second = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True, materialize_grads=True)
        rows.append([s.item() for s in second])
    return rows


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
@ROWS
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_second_derivatives_of_every_row_match_pytorch(op: Op, data: st.DataObject) -> None:
    """Each row's Hessian equals torch.autograd.grad(create_graph=True) twice, float64, to 1e-9."""
    from microprop.testing import Step

    inputs, params = data.draw(op_cases(op))
    steps = (*(Step("input", index=i) for i in range(op.arity)), Step("op", op, tuple(range(op.arity)), params))
    e = Expression(tuple(f"x{i}" for i in range(op.arity)), inputs, steps)
    assert_close(hessian(e.fn, list(inputs)), torch_hessian(e), rel=1e-9, abs_=1e-12)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
@settings(max_examples=60, deadline=None)
@given(expressions(max_leaves=3, max_ops=8))
def test_second_derivatives_of_random_graphs_match_pytorch(e: Expression) -> None:
    """On random graphs the Hessian equals PyTorch's grad of grad (float64) to 1e-9 relative."""
    want = torch_hessian(e)
    scale = max([1.0, *(abs(x) for row in want for x in row)])
    assert_close(hessian(e.fn, list(e.inputs)), want, rel=1e-9, abs_=1e-12 * scale)


@settings(max_examples=40, deadline=None)
@given(expressions(max_leaves=3, max_ops=8))
def test_explained_forward_sweep_ends_with_the_reverse_grad(e: Expression) -> None:
    """explain(tangents={x0: 1}) shows a forward sweep whose last tangent is backward()'s x0.grad."""
    from microprop.explain import tangent_steps

    xs = [Value(x, label=n) for x, n in zip(e.inputs, e.names)]
    root = e.fn(*xs)
    sweep = tangent_steps(root, {xs[0]: 1.0})
    root.backward()
    assert sweep[-1].tangent == pytest.approx(xs[0].grad, rel=1e-9, abs=1e-12)
    text = explain(root, tangents={xs[0]: 1.0}, max_nodes=10_000)
    assert text.index("forward mode") < text.index("backward")
    assert f"{xs[0].label}.t = 1.0" in text


def test_explained_forward_sweep_in_korean() -> None:
    """The forward-mode section is translated like the rest of explain()."""
    x = Value(0.5, label="x")
    y = (x * x).tanh()
    assert "순방향 모드" in explain(y, lang="ko", tangents={x: 1.0})


def test_second_derivative_through_a_masked_exponent_is_pytorchs() -> None:
    """(x + 1) ** x at x = 0: f'' = 1, as torch.autograd.grad twice gives (d/da's masked 0
    has no derivative in b), not the limit 2 that differences of f' see."""
    assert hessian(lambda x: (x + 1.0) ** x, [0.0]) == [[1.0]]
