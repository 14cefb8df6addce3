"""The op table over numpy arrays, for ``microprop.replay``: the rows' own results, bit for bit.

Arithmetic (``mul``, ``relu``, ...) runs as numpy operations, which round exactly as
Python's floats do. Transcendental functions (``exp``, ``log``, ``tanh``, ``pow``, ...)
run the row's own scalar function element by element: numpy's vectorized ``exp`` and
``tanh`` differ from the C library's in the last bit, and through ``1 - out²`` one bit
becomes a visible difference in a gradient. A row with no kernel here (a user's own)
runs its forward and partials element by element. ``add`` has none: the replay plans
every addition as a fused sum.

>>> KERNELS["mul"].partials(np.array([6.0]), np.array([2.0]), np.array([3.0]))
(array([3.]), array([2.]))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import ops
from .ops import OPS, Op

Array = np.ndarray


@dataclass(frozen=True)
class Kernel:
    """One row over arrays: ``forward(*inputs, *params)`` and ``partials(out, *inputs, *params)``
    (one array, or a number that broadcasts, per input).

    >>> KERNELS["tanh"].partials(np.array([0.5]), np.array([0.55]))
    (array([0.75]),)
    """

    forward: Callable[..., Array]
    partials: Callable[..., tuple[Array | float, ...]]


def each(f: Callable[..., float]) -> Callable[..., Array]:
    """``f`` applied element by element to equal-length arrays.

    >>> each(math.copysign)(np.array([1.0, 2.0]), np.array([-1.0, 1.0]))
    array([-1.,  2.])
    """

    def run(*arrays: Array) -> Array:
        return np.fromiter(map(f, *(a.tolist() for a in arrays)), dtype=float, count=len(arrays[0]))

    return run


_pow, _log, _sigmoid, _exp = each(ops.pow), each(ops.log), each(ops.sigmoid), each(ops.exp)


def _pow_partial(a: Array, p: Array) -> Array:
    return np.where(p != 0, p * _pow(a, p - 1.0), 0.0)  # as ops._pow_partials: 0 when p == 0


def _powv_partials(out: Array, a: Array, b: Array) -> tuple[Array, Array]:
    return _pow_partial(a, b), np.where((a == 0) & (b >= 0), 0.0, out * _log(a))


# fmt: off
KERNELS: dict[str, Kernel] = {
    # name        forward                                  partials (may use out)
    "mul":        Kernel(np.multiply,                      lambda out, a, b: (b, a)),
    "pow":        Kernel(_pow,                             lambda out, a, p: (_pow_partial(a, p),)),
    "powv":       Kernel(_pow,                             _powv_partials),
    "exp":        Kernel(each(ops.exp),                    lambda out, a: (out,)),
    "log":        Kernel(_log,                             lambda out, a: (1.0 / a,)),
    "tanh":       Kernel(each(math.tanh),                  lambda out, a: (1.0 - out * out,)),
    "sigmoid":    Kernel(_sigmoid,                         lambda out, a: (out * (1.0 - out),)),
    "softplus":   Kernel(each(ops.softplus),               lambda out, a: (_sigmoid(a),)),
    "relu":       Kernel(lambda a: np.where(a < 0, 0.0, a), lambda out, a: (np.where(out <= 0, 0.0, 1.0),)),
    "leaky_relu": Kernel(lambda a, s: np.where(a > 0, a, a * s), lambda out, a, s: (np.where(a > 0, 1.0, s),)),
    "elu":        Kernel(each(OPS["elu"].forward),         lambda out, a, al: (np.where(a <= 0, al * _exp(a), 1.0),)),
    "abs":        Kernel(np.abs,                           lambda out, a: (np.where(a > 0, 1.0, np.where(a < 0, -1.0, 0.0)),)),
}
# fmt: on


def python_kernel(op: Op) -> Kernel:
    """A kernel that runs the row's own forward and partials element by element.

    >>> python_kernel(OPS["tanh"]).forward(np.array([0.0, 1e3]))
    array([0., 1.])
    """

    def partials(out: Array, *args: Array) -> tuple[Array, ...]:
        rows = map(op.partials, out.tolist(), *(a.tolist() for a in args))
        return tuple(np.array(column, dtype=float) for column in zip(*rows))

    return Kernel(each(op.forward), partials)


def kernel_for(op: Op) -> Kernel:
    """The kernel of a table row, else the row's functions element by element.

    >>> kernel_for(OPS["exp"]) is KERNELS["exp"]
    True
    """
    kernel = KERNELS.get(op.name)
    return kernel if kernel is not None and OPS.get(op.name) is op else python_kernel(op)
