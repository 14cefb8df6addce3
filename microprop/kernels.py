"""The op table over numpy arrays, for ``microprop.replay``: the rows' own results, bit for bit.

No derivative is written here: a row's partials are expressions over primitives
(``microprop.ops.Primitives``), and ``Arrays`` runs them on numpy arrays. Arithmetic
(``*``, ``+``, comparisons, ``where``) runs as numpy operations, which round exactly as
Python's floats do. Functions of the table (``exp``, ``tanh``, ``pow``, ...) run the
row's own scalar forward element by element: numpy's vectorized ``exp`` and ``tanh``
differ from the C library's in the last bit, and through ``1 - out²`` one bit becomes a
visible difference in a gradient. A row's forward runs as numpy only when the row gives
an ``array_forward``.

>>> kernel_for(OPS["mul"]).partials(np.array([6.0]), np.array([2.0]), np.array([3.0]))
(array([3.]), array([2.]))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .ops import OPS, Op, Primitives

Array = np.ndarray


def each(f: Callable[..., float]) -> Callable[..., Array]:
    """``f`` applied element by element to arrays of any shape (numbers broadcast).

    >>> import math
    >>> each(math.copysign)(np.array([[1.0, 2.0]]), -1.0)
    array([[-1., -2.]])
    """

    def run(*arrays: Array | float) -> Array:
        columns = np.broadcast_arrays(*arrays)
        elements = (c.ravel().tolist() for c in columns)
        return np.fromiter(map(f, *elements), dtype=float, count=columns[0].size).reshape(columns[0].shape)

    return run


class Arrays(Primitives):
    """The primitives over numpy arrays (the replay runs each row's partials with them).

    >>> m = ARRAYS
    >>> m.where(m.gt(np.array([2.0, -1.0]), 0), 1.0, 0.0), m.exp(np.array([0.0]))
    (array([1., 0.]), array([1.]))
    """

    gt, ge, lt, le = np.greater, np.greater_equal, np.less, np.less_equal
    eq, ne = np.equal, np.not_equal
    where = staticmethod(np.where)

    @staticmethod
    def div(x: Array | float, y: Array | float) -> Array:
        return np.divide(x, y)

    def row(self, op: Op) -> Callable[..., Array]:
        return kernel_for(op).forward


ARRAYS = Arrays()


@dataclass(frozen=True)
class Kernel:
    """One row over arrays: ``forward(*inputs, *params)`` and ``partials(out, *inputs, *params)``
    (one array, or a number that broadcasts, per input).

    >>> kernel_for(OPS["tanh"]).partials(np.array([0.5]), np.array([0.55]))
    (array([0.75]),)
    """

    forward: Callable[..., Array]
    partials: Callable[..., tuple[Any, ...]]


_KERNELS: dict[str, tuple[Op, Kernel]] = {}


def kernel_for(op: Op) -> Kernel:
    """The row over arrays: its ``array_forward`` (else its forward element by element)
    and its partials run on ``Arrays``. A row that is not in the table, or whose partials
    take no ``m`` (plain ``math`` calls), runs its forward and partials element by element.

    >>> kernel_for(OPS["exp"]).forward(np.array([0.0, 1e3]))
    array([ 1., inf])
    """
    if OPS.get(op.name) is not op or not op.generic:
        return python_kernel(op)
    cached = _KERNELS.get(op.name)
    if cached is not None and cached[0] is op:
        return cached[1]
    forward = op.array_forward or each(op.forward)
    kernel = Kernel(forward, functools.partial(op.partials, m=ARRAYS))
    _KERNELS[op.name] = (op, kernel)
    return kernel


def python_kernel(op: Op) -> Kernel:
    """A kernel that runs the row's forward and float partials element by element.

    >>> python_kernel(OPS["tanh"]).forward(np.array([0.0, 1e3]))
    array([0., 1.])
    """

    def partials(out: Array, *args: Array) -> tuple[Array, ...]:
        columns = np.broadcast_arrays(out, *args)
        rows = map(op.partials, *(c.ravel().tolist() for c in columns))
        return tuple(np.array(column, dtype=float).reshape(columns[0].shape) for column in zip(*rows))

    return Kernel(each(op.forward), partials)
