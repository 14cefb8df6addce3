"""The op table: every row against finite differences, its kinks, IEEE edges, and its text.

Tests are parametrized over ``ops.ROWS``: a new row gets its finite-difference, edge-sweep
and text checks with no edit here.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import operator
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from microprop import OPS, Op, Value, apply, ops
from microprop.explain import backward_steps, explain, fmt
from microprop.testing import op_cases

inf, nan = math.inf, math.nan
EPS = 1e-6
ROWS = pytest.mark.parametrize("op", ops.ROWS, ids=lambda op: op.name)
KINKED = [op for op in ops.ROWS if op.kinks]

#: rows written as Python operators rather than Value methods
OPERATORS: dict[str, Callable[..., Value]] = {
    "add": operator.add,
    "mul": operator.mul,
    "pow": operator.pow,  # x ** number: the exponent is a parameter
    "powv": operator.pow,  # x ** Value
}


def run(op: Op, inputs: tuple[float, ...], params: tuple[float, ...] = ()) -> tuple[float, list[float]]:
    """The op's value and its grads in each input, through the engine (apply + backward)."""
    leaves = [Value(x) for x in inputs]
    out = apply(op, *leaves, params=params)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def central_difference(op: Op, inputs: tuple[float, ...], params: tuple[float, ...], i: int) -> float:
    """(f(x + eps) - f(x - eps)) / 2eps in input ``i``, from the row's forward function alone."""
    up, down = list(inputs), list(inputs)
    up[i] += EPS
    down[i] -= EPS
    return (op.forward(*up, *params) - op.forward(*down, *params)) / (2 * EPS)


def same_float(x: float, y: float, rel: float = 0.0, zero_sign: bool = True) -> bool:
    """The same IEEE result: both nan, or the same infinity, or the same zero (its sign too unless
    ``zero_sign=False``), or finite and within ``rel`` (0 = bit for bit)."""
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == 0 and y == 0:
        return not zero_sign or math.copysign(1.0, x) == math.copysign(1.0, y)
    if math.isinf(x) or math.isinf(y) or x == 0 or y == 0:
        return x == y
    return math.isclose(x, y, rel_tol=rel, abs_tol=0.0) if rel else x == y


def c_pow(a: float, p: float) -> float:
    """C99 pow: math.pow, with numpy's float64 power where math.pow raises (poles, domain, overflow)."""
    try:
        return math.pow(a, p)
    except (ValueError, OverflowError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(a), np.float64(p)))


@given(st.floats(), st.floats())
@example(-10.0, 1000.5)  # negative base, fractional power, |result| beyond float range
@example(-10.0, 1001.0)
@example(-0.5, -1000.5)
@example(0.0, -1.0)
@example(-0.0, -3.0)
@example(-math.inf, 0.5)
def test_pow_is_c_pow(a: float, p: float) -> None:
    """ops.pow(a, p) is C99 pow for every pair of floats (to the last few bits): nan for a negative
    base to a fractional power, ±inf on overflow, never a complex or an exception."""
    expected = c_pow(a, p)
    got = ops.pow(a, p)
    assert type(got) is float
    assert same_float(got, expected, rel=1e-14), (a, p, got, expected)


# --- every row against finite differences, inside its domain ---------------------------------


@ROWS
@given(data=st.data())
def test_row_matches_central_differences(op: Op, data: st.DataObject) -> None:
    """Each input's grad is within 1e-5 + 1e-3·|numeric| of central differences (float64, eps 1e-6),
    at hypothesis points inside the row's domain and away from its kinks."""
    inputs, params = data.draw(op_cases(op))
    value, grads = run(op, inputs, params)
    assert value == op.forward(*inputs, *params)
    assert len(grads) == op.arity
    for i, analytic in enumerate(grads):
        numeric = central_difference(op, inputs, params, i)
        tolerance = 1e-5 + 1e-3 * abs(numeric)
        assert abs(analytic - numeric) <= tolerance, (
            f"{op.name} d/d input {i} at inputs={inputs} params={params}: analytic {analytic!r}, "
            f"numeric {numeric!r}, difference {abs(analytic - numeric):.3g} > tolerance {tolerance:.3g}"
        )


@ROWS
def test_row_is_a_value_method_or_operator(op: Op) -> None:
    """Every row is reachable without apply(): a Value method (x.tanh()) or an operator (x * y, x ** 2),
    making a node of that very row with the same value."""
    inputs, params = cases_inside(op)
    leaves = [Value(x) for x in inputs]
    if op.name in OPERATORS:
        second = leaves[1] if op.arity == 2 else params[0]
        out = OPERATORS[op.name](leaves[0], second)
    else:
        method = getattr(Value, op.name, None)
        assert callable(method), f"Value has no method {op.name}(): add one for the new row"
        out = method(leaves[0], *params)
    assert out.op is op
    assert out.parents == tuple(leaves)
    assert out.params == params
    assert out.data == apply(op, *inputs, params=params).data


# --- kinks: fixed points with the chosen convention ------------------------------------------

#: d/da at the kink, PyTorch's convention: relu'(0) = 0, abs'(0) = sign(0) = 0, the negative side's
#: slope for leaky_relu and elu (elu'(0) = alpha)
KINK_CONVENTIONS: dict[str, Callable[[tuple[float, ...]], float]] = {
    "relu": lambda params: 0.0,
    "abs": lambda params: 0.0,
    "leaky_relu": lambda params: params[0],
    "elu": lambda params: params[0],
    "step": lambda params: 0.0,
}


def param_points(op: Op) -> list[tuple[float, ...]]:
    """Each end and the middle of every parameter's domain."""
    if not op.params:
        return [()]
    columns = [(lo, (lo + hi) / 2, hi) for lo, hi in op.params_domain]
    return [tuple(float(p) for p in row) for row in zip(*columns)]


@pytest.mark.parametrize("name", sorted(KINK_CONVENTIONS))
@pytest.mark.parametrize("zero", [0.0, -0.0], ids=["+0", "-0"])
def test_kink_convention(name: str, zero: float) -> None:
    """At the kink (0, and -0.0) the grad is PyTorch's: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope,
    elu'(0) = alpha; the value is the op's value at 0."""
    op = OPS[name]
    assert op.kinks == (0.0,)
    for params in param_points(op):
        value, (grad,) = run(op, (zero,), params)
        assert value == 0.0
        assert grad == KINK_CONVENTIONS[name](params), (name, params)


@pytest.mark.parametrize("op", KINKED, ids=lambda op: op.name)
def test_kink_grad_lies_between_the_one_sided_slopes(op: Op) -> None:
    """At every kink of every row, the grad is between the left and right slopes (a subgradient)."""
    h = 1e-7
    for kink in op.kinks:
        for params in param_points(op):
            at = op.forward(kink, *params)
            left = (at - op.forward(kink - h, *params)) / h
            right = (op.forward(kink + h, *params) - at) / h
            _, (grad,) = run(op, (kink,), params)
            lo, hi = min(left, right), max(left, right)
            assert lo - 1e-6 <= grad <= hi + 1e-6, (op.name, kink, params, left, grad, right)


def test_kinks_are_where_the_slope_jumps() -> None:
    """Rows without kinks are smooth at 0 (the slope from both sides agrees); relu's does jump."""
    for op in ops.ROWS:
        if op.arity != 1 or op.kinks:
            continue
        lo, hi = op.domain[0]
        x = float(lo + hi) / 2
        for params in param_points(op):
            grads = [run(op, (x + d,), params)[1][0] for d in (-1e-9, 1e-9)]
            assert grads[0] == pytest.approx(grads[1], rel=1e-6, abs=1e-9), (op.name, x, params)
    relu = [run(OPS["relu"], (d,))[1][0] for d in (-1e-9, 1e-9)]
    assert relu == [0.0, 1.0]


# --- IEEE edges: math/PyTorch semantics, never an exception ----------------------------------

BIG = 10**400  # a Python int beyond float range

#: (row, inputs, params, value, grad per input), the numbers as C99 math and PyTorch give them
EDGES: list[tuple[str, tuple, tuple[float, ...], float, tuple[float, ...]]] = [
    ("add", (inf, -inf), (), nan, (1.0, 1.0)),
    ("add", (1e308, 1e308), (), inf, (1.0, 1.0)),
    ("add", (BIG, -BIG), (), nan, (1.0, 1.0)),
    ("mul", (inf, 0.0), (), nan, (0.0, inf)),
    ("mul", (1e200, 1e200), (), inf, (1e200, 1e200)),
    ("mul", (-0.0, 5.0), (), -0.0, (5.0, 0.0)),
    ("mul", (BIG, 2.0), (), inf, (2.0, inf)),
    ("pow", (-8.0,), (1 / 3,), nan, (nan,)),  # negative base, fractional power: nan, never complex
    ("pow", (-10.0,), (1000.5,), nan, (nan,)),
    ("pow", (-10.0,), (1001.0,), -inf, (inf,)),
    ("pow", (10.0,), (1000.0,), inf, (inf,)),
    ("pow", (-2.0,), (3.0,), -8.0, (12.0,)),
    ("pow", (0.0,), (0.0,), 1.0, (0.0,)),  # 0 ** 0 = 1 with a finite grad, as in PyTorch
    ("pow", (0.0,), (-1.0,), inf, (-inf,)),
    ("pow", (-0.0,), (-1.0,), -inf, (-inf,)),
    ("pow", (0.0,), (0.5,), 0.0, (inf,)),
    ("pow", (nan,), (0.0,), 1.0, (0.0,)),
    ("pow", (BIG,), (2.0,), inf, (inf,)),
    ("powv", (0.0, 0.0), (), 1.0, (0.0, 0.0)),  # 0 ** 0: PyTorch masks log(0) in d/db
    ("powv", (0.0, 2.0), (), 0.0, (0.0, 0.0)),
    ("powv", (0.0, -1.0), (), inf, (-inf, -inf)),
    ("powv", (-8.0, 1 / 3), (), nan, (nan, nan)),
    ("powv", (-2.0, 2.0), (), 4.0, (-4.0, nan)),  # d/db = out·log(-2) = nan, as in PyTorch
    ("powv", (2.0, 0.0), (), 1.0, (0.0, math.log(2.0))),
    ("powv", (1.0, nan), (), 1.0, (nan, 0.0)),
    ("exp", (1000.0,), (), inf, (inf,)),
    ("exp", (-1000.0,), (), 0.0, (0.0,)),
    ("exp", (-inf,), (), 0.0, (0.0,)),
    ("exp", (nan,), (), nan, (nan,)),
    ("exp", (BIG,), (), inf, (inf,)),
    ("log", (0.0,), (), -inf, (inf,)),
    ("log", (-0.0,), (), -inf, (-inf,)),
    ("log", (-1.0,), (), nan, (-1.0,)),
    ("log", (inf,), (), inf, (0.0,)),
    ("log", (5e-324,), (), -744.4400719213812, (inf,)),
    ("log", (BIG,), (), inf, (0.0,)),
    ("tanh", (1000.0,), (), 1.0, (0.0,)),
    ("tanh", (-inf,), (), -1.0, (0.0,)),
    ("tanh", (nan,), (), nan, (nan,)),
    ("sigmoid", (1000.0,), (), 1.0, (0.0,)),
    ("sigmoid", (-1000.0,), (), 0.0, (0.0,)),
    ("sigmoid", (inf,), (), 1.0, (0.0,)),
    ("sigmoid", (-inf,), (), 0.0, (0.0,)),
    ("sigmoid", (nan,), (), nan, (nan,)),
    ("softplus", (1000.0,), (), 1000.0, (1.0,)),
    ("softplus", (-1000.0,), (), 0.0, (0.0,)),
    ("softplus", (inf,), (), inf, (1.0,)),
    ("softplus", (-inf,), (), 0.0, (0.0,)),
    ("softplus", (BIG,), (), inf, (1.0,)),
    ("relu", (inf,), (), inf, (1.0,)),
    ("relu", (-inf,), (), 0.0, (0.0,)),
    ("relu", (nan,), (), nan, (1.0,)),  # PyTorch's threshold_backward passes the grad unless out <= 0
    ("relu", (-0.0,), (), -0.0, (0.0,)),  # PyTorch's clamp_min keeps -0.0
    ("leaky_relu", (-1000.0,), (0.01,), -10.0, (0.01,)),
    ("leaky_relu", (-inf,), (0.01,), -inf, (0.01,)),
    ("leaky_relu", (-inf,), (0.0,), nan, (0.0,)),  # -inf · 0, as in PyTorch
    ("elu", (-1000.0,), (1.0,), -1.0, (0.0,)),
    ("elu", (-inf,), (0.5,), -0.5, (0.0,)),
    ("elu", (inf,), (1.0,), inf, (1.0,)),
    ("elu", (nan,), (1.0,), nan, (1.0,)),  # PyTorch's elu_backward: x <= 0 is false for nan
    ("elu", (-40.0,), (2.0,), -2.0, (2.0 * math.exp(-40.0),)),  # alpha·exp(a), not out + alpha (0 here)
    ("abs", (-inf,), (), inf, (-1.0,)),
    ("abs", (-0.0,), (), 0.0, (0.0,)),
    ("abs", (BIG,), (), inf, (1.0,)),
    ("abs", (-BIG,), (), inf, (-1.0,)),
    ("step", (0.0,), (), 0.0, (0.0,)),  # step(0) = 0, as DL from scratch's x > 0
    ("step", (-0.0,), (), 0.0, (0.0,)),
    ("step", (5e-324,), (), 1.0, (0.0,)),
    ("step", (inf,), (), 1.0, (0.0,)),
    ("step", (nan,), (), 0.0, (0.0,)),  # as torch.heaviside (nan > 0 is false); nothing flows back, ever
    ("threshold", (0.5,), (0.5, -1.0), -1.0, (0.0,)),  # x <= threshold: value, as PyTorch
    ("threshold", (inf,), (0.5, -1.0), inf, (1.0,)),
    ("threshold", (-inf,), (0.5, -1.0), -1.0, (0.0,)),
    ("threshold", (nan,), (0.5, -1.0), nan, (1.0,)),  # PyTorch's threshold_backward: x <= th is false
]


@pytest.mark.parametrize(
    "name, inputs, params, value, grads", EDGES, ids=[f"{e[0]}{e[1]}{e[2] or ''}"[:60] for e in EDGES]
)
def test_ieee_edges(name: str, inputs: tuple, params: tuple, value: float, grads: tuple) -> None:
    """Overflow, poles, nan and huge ints give the IEEE value and grad of C99 math / PyTorch (signed zeros
    and infinities included), never an exception or a complex number."""
    got, got_grads = run(OPS[name], inputs, params)
    assert type(got) is float and all(type(g) is float for g in got_grads)
    assert same_float(got, value, rel=1e-15), (got, value)
    for g, want in zip(got_grads, grads):
        # grads accumulate onto 0.0, so a -0.0 contribution reads 0.0: zero signs of grads are not compared
        assert same_float(g, want, rel=1e-15, zero_sign=False), (got_grads, grads)


def test_every_row_has_an_edge_case() -> None:
    """The edge table covers every row of the op table."""
    assert {e[0] for e in EDGES} == set(OPS)


SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1000.0, -1000.0, 1e308, -1e308, 5e-324, inf, -inf, nan)


def sweep(op: Op) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
    """Every combination of special floats as inputs, at each end and the middle of the params."""
    params = param_points(op)
    if op.name == "pow":  # its domain's ends miss the interesting exponents
        params += [(0.5,), (-0.5,), (1000.5,), (1001.0,), (-1001.0,)]
    return [(xs, ps) for xs in itertools.product(SPECIAL, repeat=op.arity) for ps in params]


@ROWS
def test_special_inputs_never_raise(op: Op) -> None:
    """On every mix of 0, -0, ±1000, ±1e308, the smallest subnormal, ±inf and nan, forward, partials and
    backward return floats: never an exception, never a complex."""
    for inputs, params in sweep(op):
        value, grads = run(op, inputs, params)
        locals_ = op.partials(value, *inputs, *params)
        assert type(value) is float, (inputs, params, value)
        assert len(locals_) == op.arity and all(type(x) is float for x in locals_), (inputs, params)
        assert all(type(g) is float for g in grads)


# --- the same sweep against PyTorch, when it is installed ------------------------------------


def torch_step(a):
    """``torch.heaviside(a, 0)`` with a gradient of exactly 0 (torch defines none for it)."""
    import torch

    class Step(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.heaviside(x, torch.zeros_like(x))

        @staticmethod
        def backward(ctx, grad):
            return torch.zeros_like(grad)

    return Step.apply(a)


def torch_functions() -> dict[str, Callable]:
    """Each row's PyTorch counterpart."""
    import torch
    import torch.nn.functional as F

    return {
        "add": operator.add,
        "mul": operator.mul,
        "pow": operator.pow,
        "powv": torch.pow,
        "exp": torch.exp,
        "log": torch.log,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,
        "relu": torch.relu,
        "leaky_relu": F.leaky_relu,
        "elu": F.elu,
        "abs": torch.abs,
        "step": torch_step,
        "threshold": F.threshold,
    }


def torch_difference_is_known(name: str, inputs: tuple[float, ...], params: tuple[float, ...]) -> bool:
    """Where microprop follows C99/JAX and PyTorch does not."""
    x = inputs[0]
    # PyTorch computes x ** ±0.5 as (r)sqrt: sqrt(-inf) = nan, sqrt(-0.0) = -0.0; C99 pow gives inf and 0
    sqrt = name == "pow" and params[0] in (0.5, -0.5) and (x == -inf or (x == 0 and math.copysign(1, x) < 0))
    return sqrt


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
@ROWS
def test_special_inputs_match_pytorch(op: Op) -> None:
    """On the special-float sweep, value and grads equal PyTorch's float64 results (up to the sign of
    zero), but for the listed differences (C99 pow at -inf and -0.0)."""
    import torch

    functions = torch_functions()
    if op.name not in functions:
        pytest.skip(f"no PyTorch counterpart listed for {op.name}")
    mismatches = []
    for inputs, params in sweep(op):
        if torch_difference_is_known(op.name, inputs, params):
            continue
        value, grads = run(op, inputs, params)
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
        out = functions[op.name](*tensors, *params)
        out.backward()
        want = [t.grad.item() for t in tensors]
        same_grads = all(same_float(g, w, 1e-12, zero_sign=False) for g, w in zip(grads, want))
        if not (same_float(value, out.item(), 1e-12, zero_sign=False) and same_grads):
            mismatches.append((inputs, params, (value, grads), (out.item(), want)))
    assert not mismatches, mismatches[:20]


# --- the row's text: label, rule and what the explainer shows --------------------------------


@ROWS
def test_label_and_rule_are_well_formed(op: Op) -> None:
    """Each row has a label, and one ``d/d<input> = ...`` rule per input, for inputs a (and b)."""
    assert op.name.isidentifier() and op.label.strip()
    rules = op.local_rules()
    assert len(rules) == op.arity, rules
    for symbol, rule in zip("ab", rules):
        head, sep, formula = rule.partition("=")
        assert head.strip() == f"d/d{symbol}" and sep and formula.strip(), rule
    assert len(op.domain) == op.arity and len(op.params_domain) == len(op.params)


@ROWS
def test_explain_shows_the_rows_rule(op: Op) -> None:
    """The explainer's backward step names the row's label and shows its rule with the graph's names
    (a → u, b → v, out → y, parameters → their values)."""
    inputs, params = cases_inside(op)
    leaves = [Value(x, label=name) for x, name in zip(inputs, "uv")]
    y = apply(op, *leaves, params=params)
    y.label = "y"
    (step,) = backward_steps(y)
    assert step.op is op
    assert op.label in step.header()
    symbols = {"a": "u", "b": "v", "out": "y", **{p: fmt(x) for p, x in zip(op.params, params)}}
    for contribution, rule, leaf in zip(step.contributions, op.local_rules(), leaves):
        assert contribution.rule == rule
        formula = re.sub(
            r"[A-Za-z_][A-Za-z0-9_]*", lambda m: symbols.get(m.group(), m.group()), rule.split("=", 1)[1]
        )
        assert contribution.named_rule == f"∂y/∂{leaf.label} = {formula.strip()}"
        assert f"(rule: {contribution.named_rule})" in str(explain(y))


def cases_inside(op: Op) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The middle of each input's and parameter's domain."""
    mid = lambda bounds: (float(bounds[0]) + float(bounds[1])) / 2
    return tuple(map(mid, op.domain)), tuple(map(mid, op.params_domain))


# --- composed operators: - and / are built from the rows, with the same IEEE results ----------------

COMPOSED: list[tuple[str, Callable, tuple[float, ...], float, tuple[float, ...]]] = [
    ("x / y", operator.truediv, (1.0, 0.0), inf, (inf, -inf)),
    ("x / y", operator.truediv, (-1.0, 0.0), -inf, (inf, inf)),
    ("x / y", operator.truediv, (1.0, -0.0), -inf, (-inf, -inf)),
    ("x / y", operator.truediv, (0.0, 0.0), nan, (inf, nan)),
    ("x / y", operator.truediv, (6.0, -3.0), -2.0, (-1 / 3, -2 / 3)),
    ("x / y", operator.truediv, (1.0, inf), 0.0, (0.0, -0.0)),
    ("x - y", operator.sub, (inf, inf), nan, (1.0, -1.0)),
    ("x - y", operator.sub, (-1e308, 1e308), -inf, (1.0, -1.0)),
    ("-x", lambda x: -x, (inf,), -inf, (-1.0,)),
    ("-x", lambda x: -x, (nan,), nan, (-1.0,)),
]


@pytest.mark.parametrize(
    "text, fn, inputs, value, grads", COMPOSED, ids=[f"{c[0]} at {c[2]}" for c in COMPOSED]
)
def test_composed_operators_ieee(text: str, fn: Callable, inputs: tuple, value: float, grads: tuple) -> None:
    """x / 0 is ±inf, 0 / 0 nan, inf - inf nan, with PyTorch's grads (d(x/y)/dy = -x/y²), never an
    exception."""
    leaves = [Value(x) for x in inputs]
    out = fn(*leaves)
    out.backward()
    assert same_float(out.data, value, rel=1e-15), out.data
    for leaf, want in zip(leaves, grads):
        assert same_float(leaf.grad, want, rel=1e-15, zero_sign=False), [v.grad for v in leaves]
