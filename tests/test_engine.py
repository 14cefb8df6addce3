"""Engine regressions: graph shape, accumulation, deep chains, numbers from outside, anomalies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microprop import Value, apply


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
