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
import threading
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
_STEP, _THRESHOLD = OPS["step"], OPS["threshold"]


class _GradMode(threading.local):
    """Each thread's grad mode (as in PyTorch): ``no_grad()`` in one thread leaves the others recording."""

    enabled = True


_grad_mode = _GradMode()
# threads inside no_grad() right now: while none is, ops skip the thread-local look-up
_grad_off_count = 0
_grad_off_lock = threading.Lock()
_anomaly = False  # process-wide, as PyTorch's detect_anomaly
# one backward pass (or topo_order walk) at a time: walks mark nodes, and passes reset and
# accumulate grads of shared nodes; two at once over one graph would corrupt both
_walk_lock = threading.RLock()


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` when a value or grad first becomes nan.

    >>> try:
    ...     with detect_anomaly():
    ...         Value(-1.0, label="x").log()
    ... except AnomalyError as err:
    ...     print(err)
    log produced nan in forward from inputs x=-1.0
    """


def _as_float(x: Any, what: str = "Value data") -> float:
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
    raise TypeError(f"{what} must be a real number, not {type(x).__name__}: {x!r}"[:200])


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
        two threads, over one graph: a process-wide lock runs them one at a time.)

        >>> a = Value(1.0, label="a"); b = a * Value(2.0, label="two"); c = b + a
        >>> [v.op.name if v.op else v.label for v in c.topo_order()]
        ['a', 'two', 'mul', 'add']
        """
        with _walk_lock:
            return self._topo_order()

    def _topo_order(self) -> list[Value]:
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
        intermediate nodes are reset first, so a second pass never double counts. Each
        node sends ``local × grad`` to each input, except where the op's row masks the
        input (relu at out <= 0, ``a ** 0``): there it sends exactly 0, as PyTorch does,
        even for an inf or nan grad. Passes from several threads run one at a time.
        ``on_step(node, locals)``, if given, is called after each node has sent its
        grad to its parents, with the local derivatives it used (the explainer's view).

        >>> x = Value(2.0); y = x * x; y.backward(); y.backward(); x.grad
        8.0
        """
        seed = grad if type(grad) is float else _as_float(grad, "backward's grad")
        with _walk_lock:  # two passes at once over shared nodes would mix their grads
            order = self._topo_order()
            for node in order:
                if node.op is not None:
                    node.grad = 0.0
            self.grad += seed
            for node in reversed(order):
                op = node.op
                if op is None:
                    continue
                g = node.grad
                a, b = node._a, node._b
                # an op node always has its input a (only a leaf's is None): no check in this loop
                if b is None:
                    locals_ = op.partials(node.data, a.data, *node.params)  # type: ignore[union-attr]
                    # the chain rule: d root/d a += d node/d a × d root/d node
                    sent = locals_[0] * g
                    if sent != sent:  # noqa: PLR0124  nan (cheaper than isnan): masked to 0 as PyTorch, or an anomaly
                        sent = _nan_sent(node, 0, locals_[0])
                    a.grad += sent  # type: ignore[union-attr]
                else:
                    locals_ = op.partials(node.data, a.data, b.data)  # type: ignore[union-attr]
                    sent = locals_[0] * g  # the same, for each of the two inputs
                    if sent != sent:  # noqa: PLR0124
                        sent = _nan_sent(node, 0, locals_[0])
                    a.grad += sent  # type: ignore[union-attr]
                    sent = locals_[1] * g
                    if sent != sent:  # noqa: PLR0124
                        sent = _nan_sent(node, 1, locals_[1])
                    b.grad += sent
                if on_step is not None:
                    on_step(node, locals_)

    # --- building nodes ------------------------------------------------------------------

    def _unary(self, op: Op, params: tuple[float, ...] = ()) -> Value:
        out = _new(Value)
        out.data = op.forward(self.data, *params)
        out.grad = 0.0
        out.label = out.scope = ""
        out._seen = None
        if not _grad_off_count or _grad_mode.enabled:
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
        if not _grad_off_count or _grad_mode.enabled:
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
        return self._unary(_POW, (_as_float(other, "an exponent"),))

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
        return self._unary(_LEAKY_RELU, (_as_float(slope, "leaky_relu's slope"),))

    def elu(self, alpha: float = 1.0) -> Value:
        """``self`` if positive else ``alpha·(e**self - 1)``.

        >>> Value(0.0).elu().data
        0.0
        """
        return self._unary(_ELU, (_as_float(alpha, "elu's alpha"),))

    def abs(self) -> Value:
        """``|self|``; abs'(0) = 0 as in PyTorch.

        >>> Value(-2.0).abs().data
        2.0
        """
        return self._unary(_ABS)

    __abs__ = abs

    def step(self) -> Value:
        """The Heaviside step, the perceptron's unit: 1 if positive else 0. Its derivative
        is 0 everywhere (exactly: no grad flows back), so it cannot be trained by backprop.

        >>> x = Value(0.5); y = x.step(); y.backward(); y.data, x.grad
        (1.0, 0.0)
        """
        return self._unary(_STEP)

    def threshold(self, threshold: float, value: float) -> Value:
        """``self`` if above ``threshold`` else ``value``, as PyTorch's ``Threshold``;
        the derivative is 1 above the threshold, 0 (no grad flows back) below it.

        >>> Value(0.2).threshold(0.5, -1.0).data, Value(0.7).threshold(0.5, -1.0).data
        (-1.0, 0.7)
        """
        return self._unary(
            _THRESHOLD, (_as_float(threshold, "threshold's threshold"), _as_float(value, "threshold's value"))
        )

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
    floats = tuple(_as_float(p, f"{row.name}'s parameter") for p in params)
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
for _row in OPS.values():  # a built-in row with no hand-written method gets one too
    _add_method(_row)


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

    Grad mode belongs to the thread (as in PyTorch): other threads keep recording.

    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.is_leaf()
    True
    """
    global _grad_off_count
    mode = _grad_mode
    previous, mode.enabled = mode.enabled, False
    with _grad_off_lock:
        _grad_off_count += 1
    try:
        yield
    finally:
        mode.enabled = previous
        with _grad_off_lock:
            _grad_off_count -= 1


def is_grad_enabled() -> bool:
    """Whether ops in this thread record the graph (False inside ``no_grad()``).

    >>> is_grad_enabled()
    True
    """
    return _grad_mode.enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first op whose value becomes nan in forward, or
    that sends a nan grad to an input in backward.

    The switch is process-wide, as in PyTorch: while one thread is inside, ops and
    backward passes of every thread are checked.

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


def contribution(node: Value, slot: int, local: float) -> float:
    """What ``backward()`` adds into ``node.parents[slot].grad``: ``local × node.grad``,
    or exactly 0 where the op's row masks that input (``Op.mask``).

    >>> y = Value(-1.0).relu(); y.grad = math.inf
    >>> contribution(y, 0, 0.0)  # masked: PyTorch's backward returns 0 here
    0.0
    >>> z = abs(Value(0.0)); z.grad = math.inf
    >>> contribution(z, 0, 0.0)  # not masked: 0 × inf
    nan
    """
    sent = local * node.grad
    return sent if sent == sent else _nan_sent(node, slot, local, anomaly=False)  # noqa: PLR0124


def _nan_sent(node: Value, slot: int, local: float, anomaly: bool = True) -> float:
    """The contribution of a node whose ``local × grad`` is nan: 0 where its row masks
    the input; else nan (an ``AnomalyError`` inside ``detect_anomaly()``)."""
    op = node.op
    assert op is not None
    parents = node.parents
    if op.mask is not None and op.mask(node.data, *(p.data for p in parents), *node.params)[slot]:
        return 0.0  # PyTorch's where(mask, 0, ...): nothing flows back, whatever arrives
    if anomaly and _anomaly:
        name = node.label or "?"
        why = (
            "; its own grad is nan: what it received added up to nan (inf + -inf)"
            if node.grad != node.grad
            else ""
        )
        raise AnomalyError(
            f"{op.name} node {name} (data={node.data!r}, grad={node.grad!r}) produced a nan grad for "
            f"input {slot} ({_describe([parents[slot]])}, local derivative {local!r}); inputs "
            f"{_describe(parents)}{why}"
        )
    return local * node.grad
