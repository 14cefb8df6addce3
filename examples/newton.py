"""Newton's method with the second derivative from autograd (DeZero, step 33).

f(x) = x⁴ - 2x² has minima at x = ±1. Newton's update x ← x - f'(x) / f''(x) needs
f'', which ``grad(..., create_graph=True)`` gives by differentiating f' again: f' is
an ordinary graph of op-table rows, so its own grad is one more reverse sweep.
From x = 2 it reaches 1.0 in 7 iterations, DeZero's printed numbers digit for digit.

Run: python examples/newton.py
"""

from __future__ import annotations

from microprop import Value
from microprop.autograd import grad

#: DeZero step 33's printout, iterations 0 to 9 (f'(2) = 24 and f''(2) = 44 before them)
DEZERO = [2.0, 1.4545454545454546, 1.1510467893775467, 1.0253259289766978, 1.0009084519430513,
          1.0000012353089454, 1.000000000002289, 1.0, 1.0, 1.0]  # fmt: skip


def f(x: Value) -> Value:
    """The function to minimize."""
    return x**4 - 2 * x**2


def newton(x0: float = 2.0, iters: int = 10) -> list[float]:
    """x at each iteration, from ``x0``."""
    x = Value(x0, label="x")
    path = []
    for _ in range(iters):
        path.append(x.data)
        (gx,) = grad(f(x), x, create_graph=True)  # f'(x), a graph node
        (gx2,) = grad(gx, x)  # f''(x): the derivative of that node
        x = Value(x.data - gx.data / gx2.data, label="x")
    return path


def main() -> None:
    """Print each iteration next to DeZero's."""
    for i, (x, published) in enumerate(zip(newton(), DEZERO)):
        print(f"{i} {x!r:<20}  (DeZero {published!r})")


if __name__ == "__main__":
    main()
