"""gradcheck: central differences in float64 against the engine's grads."""

from __future__ import annotations

import math
import re

import pytest

from microprop import Op, Value, apply
from microprop.gradcheck import GradcheckError, InputCheck, gradcheck, numeric_grad

# sin with a deliberately wrong derivative (sin instead of cos)
WRONG_SIN = Op("wrong_sin", "sin", math.sin, lambda out, a: (math.sin(a),), "d/da = sin(a)")


def neuron(x1: Value, w1: Value, x2: Value, w2: Value, b: Value) -> Value:
    """The micrograd lecture neuron."""
    return (x1 * w1 + x2 * w2 + b).tanh()


def test_lecture_neuron_passes() -> None:
    """The lecture neuron's grads match finite differences, and the report says so."""
    report = gradcheck(neuron, [2.0, -3.0, 0.0, 1.0, 6.8813735870195432])
    assert report.ok
    assert report.failures == ()
    assert report.failing_nodes() == []
    assert report.text().endswith("all gradients match")


def test_wrong_gradient_raises_naming_everything() -> None:
    """A wrong derivative raises GradcheckError naming input, point, analytic, numeric, difference, tol."""
    x = Value(0.5, label="x")
    y = Value(2.0, label="y")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: apply(WRONG_SIN, x) * y, [x, y])
    message = str(info.value)
    analytic = math.sin(0.5) * 2.0
    numeric = math.cos(0.5) * 2.0
    first = message.splitlines()[0]
    assert first.startswith("d/dx disagrees at (x = 0.5, y = 2): ")
    assert f"analytic {analytic:.8g}" in first
    shown = re.search(r"numeric ([-0-9.e]+),", first)
    assert shown and float(shown.group(1)) == pytest.approx(numeric, rel=1e-6)
    assert f"difference {abs(analytic - numeric):.3g} > tolerance" in first
    assert "FAIL" in message and "1 of 2 gradients disagree" in message
    check = info.value.report.failures[0]
    assert check.name == "x" and check.point == 0.5
    assert check.analytic == pytest.approx(analytic)
    assert check.numeric == pytest.approx(numeric, rel=1e-8)
    assert check.tolerance == pytest.approx(1e-5 + 1e-3 * abs(numeric))


def test_report_instead_of_raise_marks_the_failing_nodes() -> None:
    """With raise_on_failure=False the report comes back; failing_nodes are leaves of report.root's graph."""
    report = gradcheck(
        lambda x, y: apply(WRONG_SIN, x) + y, [0.3, 1.0], raise_on_failure=False, names=["u", "v"]
    )
    assert not report.ok
    failing = report.failing_nodes()
    assert [v.label for v in failing] == ["u"]
    assert failing[0] in report.root.topo_order()
    assert [c.name for c in report.checks] == ["u", "v"]


def test_hidden_path_is_caught() -> None:
    """Detaching one use of an input (x * Value(x.data)) gives half the true grad, and fails."""
    report = gradcheck(lambda x: x * Value(x.data), [3.0], raise_on_failure=False)
    assert report.checks[0].analytic == 3.0
    assert report.checks[0].numeric == pytest.approx(6.0)


def test_numeric_grad_is_central_difference() -> None:
    """numeric_grad is (f(x+eps) - f(x-eps)) / 2eps: exact for a quadratic up to rounding."""
    assert numeric_grad(lambda x: x * x * 3, [2.0], 0, eps=1e-3) == pytest.approx(12.0, abs=1e-9)


def test_tolerance_boundary() -> None:
    """An input passes exactly when |analytic - numeric| <= tolerance."""
    assert InputCheck(0, "x", 1.0, 1.0, 1.0 + 1e-6, 1e-5).ok
    assert not InputCheck(0, "x", 1.0, 1.0, 1.1, 1e-5).ok


def test_nan_never_passes() -> None:
    """A nan analytic grad fails (difference inf), while equal infinities agree."""
    assert not InputCheck(0, "x", 1.0, math.nan, 1.0, 1e-5).ok
    assert InputCheck(0, "x", 1.0, math.inf, math.inf, 1e-5).ok


@pytest.mark.parametrize(
    ("analytic", "numeric", "ok"),
    [
        (-1e12, -math.inf, False),
        (math.inf, 1.0, False),
        (math.inf, -math.inf, False),
        (1.0, math.nan, False),
        (-math.inf, -math.inf, True),
        (math.nan, math.nan, True),
    ],
)
def test_non_finite_values_match_only_when_equal(analytic: float, numeric: float, ok: bool) -> None:
    """With inf or nan on either side no tolerance applies (not even an infinite one): same float or fail."""
    assert InputCheck(0, "x", 1.0, analytic, numeric, math.inf).ok is ok


def test_infinite_numeric_grad_fails_with_a_readable_row() -> None:
    """1/x next to its pole: numeric -inf vs analytic -1e12 is not ok, shown as an inconclusive
    row (??) with 'tol exact' and a note."""
    report = gradcheck(lambda x: 1 / x, [1e-6], raise_on_failure=False, names=["x"])
    check = report.checks[0]
    assert (check.analytic, check.numeric) == (pytest.approx(-1e12), -math.inf)
    assert not report.ok and check.tolerance == 0.0
    row = report.text().splitlines()[1]
    assert row.startswith("??") and "numeric -inf" in row and row.endswith("|diff| inf        tol exact")
    assert "note: the numeric grad for x is -inf: fn is infinite within eps" in report.text()
    assert "the two must be the same float" in check.describe()


def test_kink_note() -> None:
    """relu at 0 fails, with a note that the input sits at the op's kink."""
    report = gradcheck(lambda x: x.relu(), [0.0], raise_on_failure=False)
    assert not report.ok
    assert "note: relu's input is 0, at its kink 0" in report.text()


def test_domain_notes() -> None:
    """Outside an op's domain the note names the op and its input; at the edge, the nan numeric grad."""
    outside = gradcheck(lambda x: x.log(), [-1.0], raise_on_failure=False)
    assert "note: log(-1) is nan: the point is outside the op's domain" in outside.text()
    edge = gradcheck(lambda x: x**0.5, [0.0], raise_on_failure=False)
    assert "note: the numeric grad for x0 is nan" in edge.text()


def test_fn_must_return_a_value() -> None:
    """A fn returning a float is a clear TypeError, not an AttributeError deep inside."""
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [1.0])


def test_nan_against_nan_is_inconclusive_and_names_the_overflow() -> None:
    """`microprop check "log(exp(a)+exp(b))" a=1000 b=2` no longer prints ok for nan against nan:
    both rows are inconclusive (??), the note names the exp that overflowed, and the exit status is 1."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "microprop", "check", "log(exp(a)+exp(b))", "a=1000", "b=2"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    rows = result.stdout.splitlines()[1:3]
    assert [row.split()[:2] for row in rows] == [["??", "a"], ["??", "b"]]
    assert "inconclusive: 2 of 2 gradients are inf or nan" in result.stdout
    assert "the first inf or nan: c = exp(a) = exp(1000.0) = inf (exp overflowed)" in result.stdout
    assert "ok " not in result.stdout


def test_an_infinite_input_is_named_as_the_first_inf() -> None:
    """With an input that is itself inf, the note says so."""
    report = gradcheck(lambda x, y: x * y, [math.inf, 2.0], raise_on_failure=False, names=["x", "y"])
    assert report.inconclusive
    assert report.first_non_finite() == "the first inf or nan: the input x = inf"
