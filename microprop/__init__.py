"""microprop: a scalar autograd engine for learning and teaching backpropagation.

>>> from microprop import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.005364
"""

from .engine import (
    AnomalyError,
    Value,
    apply,
    detect_anomaly,
    is_grad_enabled,
    no_grad,
    zero_grad,
)
from .ops import OPS, Op, register_op, unregister_op

__version__ = "0.1.0"

__all__ = [
    "OPS",
    "AnomalyError",
    "Op",
    "Value",
    "__version__",
    "apply",
    "detect_anomaly",
    "is_grad_enabled",
    "no_grad",
    "register_op",
    "unregister_op",
    "zero_grad",
]
