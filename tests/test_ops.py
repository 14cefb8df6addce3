"""The op table: every row against finite differences, its kinks, IEEE edges, and its text."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from microprop import ops


def same_float(x: float, y: float, rel: float = 0.0) -> bool:
    """The same IEEE result: both nan, or the same infinity or signed zero, or finite and within
    ``rel`` (0 = bit for bit)."""
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y) or x == 0 or y == 0:
        return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)
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
