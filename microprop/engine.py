"""The scalar autograd engine: ``Value`` records ops into a graph, ``backward()``
walks it in reverse topological order and applies the chain rule.

>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = a * b + a
>>> c.backward()
>>> c.data, a.grad, b.grad
(-4.0, -2.0, 2.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .ops import _ON_REGISTER, _ON_UNREGISTER, FLOATS, OPS, Op, Primitives
from .ops import pow as pow_

Number = int | float
StepHook = Callable[["Value", tuple[float, ...]], None]
_ADD, _MUL, _POW, _POWV = OPS["add"], OPS["mul"], OPS["pow"], OPS["powv"]
_EXP, _LOG, _TANH, _RELU, _SIGMOID = OPS["exp"], OPS["log"], OPS["tanh"], OPS["relu"], OPS["sigmoid"]
_SOFTPLUS, _LEAKY_RELU, _ELU, _ABS = OPS["softplus"], OPS["leaky_relu"], OPS["elu"], OPS["abs"]

_grad_enabled = True
_anomaly = False


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` when a value or grad first becomes nan.

    >>> try:
    ...     with detect_anomaly():
    ...         Value(-1.0, label="x").log()
    ... except AnomalyError as err:
    ...     print(err)
    log produced nan in forward from inputs x=-1.0
    """


def _as_float(x: Any) -> float:
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        try:
            return float(x)  # int, bool, numpy scalars, Fraction ...
        except OverflowError:  # an int beyond float range rounds to ±inf, as in IEEE
            return -math.inf if x < 0 else math.inf
    shape = getattr(x, "shape", None)
    if shape == () and getattr(x, "dtype", None) is not None and x.dtype.kind in "biuf":
        return float(x)  # 0-d numpy array
    raise TypeError(f"Value data must be a real number, not {type(x).__name__}: {x!r}"[:200])


class Value:
    """A scalar in the computational graph.

    ``data`` and ``grad`` are floats; ``op`` is the op-table row that made it (``None``
    for a leaf); ``parents`` the ordered inputs (``a + a`` keeps both slots);
    ``params`` the op's constant parameters (pow's exponent); ``label`` a name for
    printing and drawing; ``scope`` where it was built (set by ``microprop.nn``).

    >>> x = Value(3.0, label="x")
    >>> y = x * x
    >>> y.backward()
    >>> x
    Value(data=3.0, grad=6.0, label='x')
    """

    # parents live in two slots, not a tuple: a tuple per node would cost 56 bytes;
    # _seen marks the nodes a topo_order() walk has reached (cheaper than a set of them)
    __slots__ = ("_a", "_b", "_seen", "data", "grad", "label", "op", "params", "scope")
    __array_ufunc__ = None  # numpy defers to our reflected operators

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.op: Op | None = None
        self._a: Value | None = None
        self._b: Value | None = None
        self.params: tuple[float, ...] = ()
        self.label = label
        self.scope: str = ""
        self._seen: object = None

    # --- graph structure ---------------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this value, in order.

        >>> a = Value(1.0); (a + a).parents == (a, a)
        True
        """
        a, b = self._a, self._b
        if a is None:
            return ()
        return (a,) if b is None else (a, b)

    def is_leaf(self) -> bool:
        """True for inputs and parameters (values no op made).

        >>> Value(1.0).is_leaf(), (Value(1.0) * 2).is_leaf()
        (True, False)
        """
        return self.op is None

    def topo_order(self) -> list[Value]:
        """Every node this value depends on, inputs first, itself last.

        Iterative depth-first post-order, so a 1,000,000-op chain needs no recursion;
        parents are visited in order, so the result is deterministic. (Each walk marks
        the nodes it reaches with a fresh token: two walks must not run at once, from
        two threads, over one graph.)

        >>> a = Value(1.0, label="a"); b = a * Value(2.0, label="two"); c = b + a
        >>> [v.op.name if v.op else v.label for v in c.topo_order()]
        ['a', 'two', 'mul', 'add']
        """
        walk = object()  # this walk's mark
        order: list[Value] = []
        stack: list[Value | None] = [self]
        append, pop, emit = stack.append, stack.pop, order.append
        while stack:
            node = pop()
            if node is None:  # marker: the node below has all its parents emitted
                emit(pop())  # type: ignore[arg-type]
                continue
            if node._seen is walk:
                continue
            node._seen = walk
            append(node)
            append(None)
            b = node._b
            if b is not None and b._seen is not walk:
                append(b)
            a = node._a
            if a is not None and a._seen is not walk:
                append(a)
        return order

    # --- backward ------------------------------------------------------------------------

    def backward(self, grad: float = 1.0, on_step: StepHook | None = None) -> None:
        """Fill ``grad`` of every node this value depends on (d self / d node).

        Leaf grads accumulate across calls (call ``zero_grad`` between steps); grads of
        intermediate nodes are reset first, so a second pass never double counts.
        ``on_step(node, locals)``, if given, is called after each node has sent its
        grad to its parents, with the local derivatives it used (the explainer's view).

        >>> x = Value(2.0); y = x * x; y.backward(); y.backward(); x.grad
        8.0
        """
        order = self.topo_order()
        for node in order:
            if node.op is not None:
                node.grad = 0.0
        self.grad += grad
        anomaly = _anomaly
        for node in reversed(order):
            op = node.op
            if op is None:
                continue
            g = node.grad
            a, b = node._a, node._b
            # an op node always has its input a (only a leaf's is None): no check in this loop
            if b is None:
                locals_ = op.partials(node.data, a.data, *node.params)  # type: ignore[union-attr]
                a.grad += locals_[0] * g  # type: ignore[union-attr]  # the chain rule: d root/d a += d node/d a × d root/d node
            else:
                locals_ = op.partials(node.data, a.data, b.data)  # type: ignore[union-attr]
                a.grad += locals_[0] * g  # type: ignore[union-attr]  # the same, for each of the two inputs
                b.grad += locals_[1] * g
            if anomaly:
                _check_grads(node, locals_)
            if on_step is not None:
                on_step(node, locals_)

    # --- building nodes ------------------------------------------------------------------

    def _unary(self, op: Op, params: tuple[float, ...] = ()) -> Value:
        out = _new(Value)
        out.data = op.forward(self.data, *params)
        out.grad = 0.0
        out.label = out.scope = ""
        out._seen = None
        if _grad_enabled:
            out.op, out._a, out.params = op, self, params
        else:
            out.op = out._a = None
            out.params = ()
        out._b = None
        if _anomaly:
            _check_value(out, op, (self,))
        return out

    def _binary(self, op: Op, other: Value) -> Value:
        out = _new(Value)
        out.data = op.forward(self.data, other.data)
        out.grad = 0.0
        out.params = ()
        out.label = out.scope = ""
        out._seen = None
        if _grad_enabled:
            out.op = op
            out._a = self
            out._b = other
        else:
            out.op = out._a = out._b = None
        if _anomaly:
            _check_value(out, op, (self, other))
        return out

    # --- operators (micrograd's compositions, so numbers match it bit for bit) -----------

    def __add__(self, other: Value | Number) -> Value:
        return self._binary(_ADD, other if type(other) is Value else Value(other))  # type: ignore[arg-type]

    def __mul__(self, other: Value | Number) -> Value:
        return self._binary(_MUL, other if type(other) is Value else Value(other))  # type: ignore[arg-type]

    def __pow__(self, other: Value | Number) -> Value:
        if type(other) is Value:
            return self._binary(_POWV, other)
        return self._unary(_POW, (_as_float(other),))

    def __rpow__(self, other: Number) -> Value:  # other ** self
        return Value(other)._binary(_POWV, self)

    def __neg__(self) -> Value:  # -self
        return self * -1.0

    def __radd__(self, other: Number) -> Value:  # other + self
        return self + other

    def __rmul__(self, other: Number) -> Value:  # other * self
        return self * other

    def __sub__(self, other: Value | Number) -> Value:  # self - other
        # negate a number as a float: -np.uint8(5) wraps to 251 and -np.int8(-128) stays -128
        return self + (-other if type(other) is Value else -_as_float(other))

    def __rsub__(self, other: Number) -> Value:  # other - self
        return other + (-self)

    def __truediv__(self, other: Value | Number) -> Value:  # self / other
        if type(other) is Value:
            return self * other**-1
        # a number's reciprocal as a float, as micrograd's other**-1 gives for int and float,
        # but 1/0 = inf and numpy ints (which refuse **-1) work too
        return self * pow_(_as_float(other), -1.0)

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        return other * self**-1

    # --- unary ops, one method per table row -------------------------------------------

    def exp(self) -> Value:
        """``e**self``.

        >>> round(Value(1.0).exp().data, 4)
        2.7183
        """
        return self._unary(_EXP)

    def log(self) -> Value:
        """Natural log; ``log(0) = -inf``.

        >>> Value(0.0).log().data
        -inf
        """
        return self._unary(_LOG)

    def tanh(self) -> Value:
        """Hyperbolic tangent.

        >>> Value(0.0).tanh().data
        0.0
        """
        return self._unary(_TANH)

    def relu(self) -> Value:
        """``max(self, 0)``; relu'(0) = 0 as in PyTorch.

        >>> Value(-2.0).relu().data
        0.0
        """
        return self._unary(_RELU)

    def sigmoid(self) -> Value:
        """Logistic function.

        >>> Value(0.0).sigmoid().data
        0.5
        """
        return self._unary(_SIGMOID)

    def softplus(self) -> Value:
        """``log(1 + e**self)``, overflow-free.

        >>> Value(1000.0).softplus().data
        1000.0
        """
        return self._unary(_SOFTPLUS)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """``self`` if positive else ``slope·self``.

        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        return self._unary(_LEAKY_RELU, (float(slope),))

    def elu(self, alpha: float = 1.0) -> Value:
        """``self`` if positive else ``alpha·(e**self - 1)``.

        >>> Value(0.0).elu().data
        0.0
        """
        return self._unary(_ELU, (float(alpha),))

    def abs(self) -> Value:
        """``|self|``; abs'(0) = 0 as in PyTorch.

        >>> Value(-2.0).abs().data
        2.0
        """
        return self._unary(_ABS)

    __abs__ = abs

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


_new = object.__new__

# --- graph-wide helpers ------------------------------------------------------------------


def apply(op: Op | str, *inputs: Value | Number, params: Iterable[float] = ()) -> Value:
    """Apply any op-table row by name, e.g. for ops read from text; parameters left
    out take the row's defaults.

    >>> apply("mul", 2.0, Value(-3.0)).data
    -6.0
    >>> apply("leaky_relu", -1.0).data
    -0.01
    >>> apply("pow", 3.0, params=[2]).data
    9.0
    """
    row = OPS[op] if isinstance(op, str) else op
    values = [x if isinstance(x, Value) else Value(x) for x in inputs]
    if len(values) != row.arity:
        raise TypeError(f"{row.name} takes {row.arity} input(s), got {len(values)}")
    floats = tuple(_as_float(p) for p in params)
    missing = len(row.params) - len(floats)
    if 0 < missing <= len(row.defaults):  # the trailing parameters' defaults
        floats += row.defaults[len(row.defaults) - missing :]
    if len(floats) != len(row.params):
        names = f" ({', '.join(row.params)})" if row.params else ""
        raise TypeError(f"{row.name} takes {len(row.params)} parameter(s){names}, got {len(floats)}")
    if row.arity == 2:
        return values[0]._binary(row, values[1])
    return values[0]._unary(row, floats)


def _number(x: Value | float) -> float:
    return x.data if type(x) is Value else x  # type: ignore[return-value]


class Values(Primitives):
    """The primitives over Values: a row's partials become graph nodes, built from the
    table, so a grad can be differentiated again (``microprop.autograd.grad(...,
    create_graph=True)``). Comparisons read the numbers and build nothing.

    >>> a = Value(0.5)
    >>> (d,) = OPS["tanh"].partials(a.tanh(), a, m=VALUES)
    >>> round(d.data, 6), d.op.name
    (0.786448, 'add')
    """

    @staticmethod
    def div(x: Value | float, y: Value | float) -> Value | float:
        if type(x) is Value or type(y) is Value:
            return x / y  # micrograd's x * y**-1
        return FLOATS.div(x, y)  # type: ignore[arg-type]

    @staticmethod
    def gt(x: Value | float, y: Value | float) -> bool:
        return _number(x) > _number(y)

    @staticmethod
    def ge(x: Value | float, y: Value | float) -> bool:
        return _number(x) >= _number(y)

    @staticmethod
    def lt(x: Value | float, y: Value | float) -> bool:
        return _number(x) < _number(y)

    @staticmethod
    def le(x: Value | float, y: Value | float) -> bool:
        return _number(x) <= _number(y)

    @staticmethod
    def eq(x: Value | float, y: Value | float) -> bool:
        return _number(x) == _number(y)

    @staticmethod
    def ne(x: Value | float, y: Value | float) -> bool:
        return _number(x) != _number(y)

    where = staticmethod(FLOATS.where)
    mask = staticmethod(FLOATS.mask)

    def row(self, op: Op) -> Callable[..., Value]:
        def run(*args: Any) -> Value:
            return apply(op, *args[: op.arity], params=args[op.arity :])

        return run


VALUES = Values()


def _add_method(op: Op) -> None:
    """A registered row becomes a ``Value`` method: ``x.sin()``, ``x.f(other, p)``."""
    if op.operator or hasattr(Value, op.name):
        return

    def method(self: Value, *args: Any) -> Value:
        return apply(op, self, *args[: op.arity - 1], params=args[op.arity - 1 :])

    method.__name__ = op.name
    method.__doc__ = f"The registered op row {op.name!r}: {op.signature()}; {op.rule}."
    method._row = op  # type: ignore[attr-defined]
    setattr(Value, op.name, method)


def _remove_method(op: Op) -> None:
    if getattr(getattr(Value, op.name, None), "_row", None) is op:
        delattr(Value, op.name)


_ON_REGISTER.append(_add_method)
_ON_UNREGISTER.append(_remove_method)


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` of every given value to 0.

    >>> x = Value(1.0); x.grad = 5.0; zero_grad([x]); x.grad
    0.0
    """
    for v in values:
        v.grad = 0.0


@contextmanager
def no_grad() -> Iterator[None]:
    """Ops inside build no graph: for optimizer updates and evaluation.

    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.is_leaf()
    True
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """Whether ops record the graph (False inside ``no_grad()``).

    >>> is_grad_enabled()
    True
    """
    return _grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first op whose value or grad becomes nan.

    >>> with detect_anomaly():
    ...     Value(-1.0, label="x").log()
    Traceback (most recent call last):
    ...
    microprop.engine.AnomalyError: log produced nan in forward from inputs x=-1.0
    """
    global _anomaly
    previous, _anomaly = _anomaly, True
    try:
        yield
    finally:
        _anomaly = previous


def _describe(values: Iterable[Value]) -> str:
    return ", ".join(f"{v.label or '?'}={v.data!r}" for v in values)


def _check_value(out: Value, op: Op, inputs: tuple[Value, ...]) -> None:
    if math.isnan(out.data) and not any(math.isnan(v.data) for v in inputs):
        raise AnomalyError(f"{op.name} produced nan in forward from inputs {_describe(inputs)}")


def _check_grads(node: Value, locals_: tuple[float, ...]) -> None:
    if math.isnan(node.grad):
        return  # reported where it first appeared
    for i, parent in enumerate(node.parents):
        if math.isnan(parent.grad):
            name = node.label or "?"
            op = node.op.name if node.op else "?"
            raise AnomalyError(
                f"{op} node {name} (data={node.data!r}, grad={node.grad!r}) produced "
                f"a nan grad for input {i} ({_describe([parent])}, local derivative "
                f"{locals_[i]!r}); inputs {_describe(node.parents)}"
            )
