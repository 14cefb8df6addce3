"""Engine regressions: graph shape, accumulation, deep chains, numbers from outside, anomalies."""

from __future__ import annotations

import math

from microprop import Value


def test_huge_python_ints_become_infinities() -> None:
    """An int beyond float range converts to ±inf (IEEE rounding), never OverflowError."""
    assert Value(10**400).data == math.inf
    assert Value(-(10**400)).data == -math.inf
    x = Value(2.0)
    assert (x * 10**400).data == math.inf
    assert (x - 10**400).data == -math.inf
    assert (x ** (10**400)).data == math.inf
    assert (x ** -(10**400)).data == 0.0
