"""One op, one row: rule texts match the code, partials run on floats, arrays and Values,
and a row registered at run time (sin) works everywhere."""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microprop
from microprop import OPS, Op, Value, apply, ops, register_op, unregister_op
from microprop.autograd import grad, jvp
from microprop.cli import main
from microprop.engine import VALUES
from microprop.explain import explain
from microprop.expr import FUNCTIONS, build
from microprop.gradcheck import gradcheck
from microprop.kernels import ARRAYS, kernel_for
from microprop.replay import trace
from microprop.testing import expressions, op_cases
from microprop.viz import to_dot

ROWS = pytest.mark.parametrize("op", ops.ROWS, ids=lambda op: op.name)


def rule_value(rule: str, symbols: dict[str, float]) -> float:
    """One ``d/da = ...`` rule, as learners read it, evaluated at a point.

    The test's own table text (not user input) is turned into Python: ``·`` is ×,
    ``²`` a square, ``^`` a power, ``σ`` the sigmoid."""
    formula = rule.split("=", 1)[1].strip()
    python = formula.replace("·", "*").replace("²", "**2").replace("^", "**").replace("σ", "sigmoid")
    names = {
        "log": math.log,
        "exp": math.exp,
        "sin": math.sin,
        "cos": math.cos,
        "sigmoid": ops.sigmoid,
        "sign": lambda x: (x > 0) - (x < 0),
        "abs": abs,
        **symbols,
    }
    return float(eval(python, {"__builtins__": {}}, names))  # noqa: S307 - the table's own text


@ROWS
@settings(max_examples=40)
@given(data=st.data())
def test_rule_text_matches_the_partials(op: Op, data: st.DataObject) -> None:
    """Each rule's text, evaluated at points of the domain, equals the row's partial code."""
    inputs, params = data.draw(op_cases(op))
    out = op.forward(*inputs, *params)
    symbols = {"out": out, **dict(zip(op.inputs(), inputs)), **dict(zip(op.params, params))}
    for rule, local in zip(op.local_rules(), op.partials(out, *inputs, *params), strict=True):
        assert rule_value(rule, symbols) == pytest.approx(local, rel=1e-12, abs=1e-300), (rule, inputs, params)


@ROWS
def test_a_row_has_one_rule_and_one_partial_per_input(op: Op) -> None:
    """A row writes one rule and one partial per input, and its display form is complete."""
    point = tuple(lo + 0.37 * (hi - lo) for lo, hi in op.domain)
    params = tuple(lo + 0.5 * (hi - lo) for lo, hi in op.params_domain)
    assert len(op.local_rules()) == len(op.partials(op.forward(*point, *params), *point, *params)) == op.arity
    assert len(op.defaults) <= len(op.params) and len(op.params_domain) == len(op.params)
    assert op.operator in ("", "+", "*", "**") and op.label


@ROWS
def test_partials_are_the_same_on_floats_arrays_and_values(op: Op) -> None:
    """The one partials expression gives the same numbers on floats, numpy arrays and Values."""
    point = tuple(lo + 0.37 * (hi - lo) for lo, hi in op.domain)
    params = tuple(lo + 0.5 * (hi - lo) for lo, hi in op.params_domain)
    out = op.forward(*point, *params)
    floats = op.partials(out, *point, *params)
    arrays = op.partials(np.array([out]), *(np.array([x]) for x in (*point, *params)), m=ARRAYS)
    leaves = [Value(x) for x in point]
    node = apply(op, *leaves, params=params)
    values = op.partials(node, *leaves, *params, m=VALUES)
    for f, a, v in zip(floats, arrays, values, strict=True):
        assert float(np.broadcast_to(a, (1,))[0]) == f
        assert (v.data if isinstance(v, Value) else v) == pytest.approx(f, rel=1e-15)


def test_masks_hold_in_grad_and_jvp_as_in_backward() -> None:
    """Where a row masks (relu below 0), grad() in both modes and jvp send exactly 0, as backward()."""
    x = Value(-1.0)
    y = x.relu() ** -2.0  # relu(-1) = 0: an inf grad arrives at the relu
    y.backward()
    assert x.grad == 0.0
    assert grad(y, x)[0].data == 0.0
    assert grad(y, x, create_graph=True)[0].data == 0.0
    assert jvp(lambda x: x.relu(), [-1.0], [math.inf])[1] == 0.0  # an inf tangent, masked


# --- a row added at run time ----------------------------------------------------------

SIN = Op("sin", "sin", math.sin, lambda out, a, m=ops.FLOATS: (m.cos(a),), "d/da = cos(a)", domain=((-3.0, 3.0),))
COS = Op("cos", "cos", math.cos, lambda out, a, m=ops.FLOATS: (0.0 - m.sin(a),), "d/da = -sin(a)", domain=((-3.0, 3.0),))


@pytest.fixture
def sin() -> Iterator[Op]:
    """sin and cos registered for one test (each one's derivative is the other)."""
    register_op(SIN)
    register_op(COS)
    try:
        yield SIN
    finally:
        unregister_op("sin")
        unregister_op("cos")


def test_a_registered_row_works_everywhere(sin: Op) -> None:
    """After register_op(sin): Value method, apply, parser, gradcheck, replay, grad of grad,
    explain, viz and the CLI's help all know it."""
    x = Value(0.5, label="x")
    assert x.sin().data == apply("sin", x).data == math.sin(0.5)  # type: ignore[attr-defined]
    root, leaves = build("sin(x)*x", x=1.0)
    assert root.data == math.sin(1.0) * 1.0 and "sin" in FUNCTIONS
    assert gradcheck(lambda x: x.sin() * x, [0.7]).ok
    # replay, bit for bit
    y = (x.sin() * x).tanh()
    y.backward()
    want = x.grad
    x.grad = 0.0
    tape = trace(y)
    tape.forward()
    tape.backward()
    assert x.grad == want
    # second and third derivatives: sin'' = -sin, sin''' = -cos
    (d1,) = grad(x.sin(), x, create_graph=True)  # type: ignore[attr-defined]
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert (d1.data, d2.data, d3.data) == pytest.approx((math.cos(0.5), -math.sin(0.5), -math.cos(0.5)))
    # explain shows the row's rule; viz labels the node from the row
    assert "= cos(x)" in explain(x.sin())  # type: ignore[attr-defined]
    assert "label=sin " in to_dot(x.sin())  # type: ignore[attr-defined]
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text):
        assert main(["step", "--help"]) == 0
    assert "sin" in help_text.getvalue().replace("\n", " ")


def test_a_registered_row_is_in_the_strategies(sin: Op) -> None:
    """expressions() draws registered rows, and their graphs pass gradcheck."""

    @settings(max_examples=30, deadline=None)
    @given(expressions(ops=OPS, max_ops=6))
    def check(e: microprop.testing.Expression) -> None:  # type: ignore[name-defined]
        assert gradcheck(e.fn, e.inputs).ok

    check()
    seen = []

    @settings(max_examples=60, deadline=None)
    @given(expressions(ops=[SIN, OPS["mul"]], max_ops=4))
    def collect(e: microprop.testing.Expression) -> None:  # type: ignore[name-defined]
        seen.append("sin" in e.ops)

    collect()
    assert any(seen)


def test_register_op_refuses_a_second_row_of_a_name() -> None:
    """A name already in the table cannot be taken by another row; built-ins stay."""
    with pytest.raises(ValueError, match="already"):
        register_op(Op("tanh", "tanh", math.tanh, lambda out, a, m=ops.FLOATS: (1.0,), "d/da = 1"))
    with pytest.raises(ValueError, match="built-in"):
        unregister_op("tanh")
    with pytest.raises(ValueError, match="operators"):
        register_op(Op("mod", "%", math.fmod, lambda out, a, b, m=ops.FLOATS: (1.0, 0.0), "d/da = 1, d/db = 0", arity=2, operator="%", domain=((1, 2), (1, 2))))


def test_unregistering_removes_the_method_and_the_function(sin: Op) -> None:
    """unregister_op takes the Value method and the parser's function away again."""
    unregister_op("cos")
    assert not hasattr(Value, "cos") and "cos" not in FUNCTIONS
    register_op(COS)
