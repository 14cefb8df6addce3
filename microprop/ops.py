"""The op table: the single source of truth for every primitive.

Each row holds everything about one primitive: its forward function, its local
partial derivatives written once over the primitives ``m`` (so the same expression
runs on floats, numpy arrays and Values), the rule shown to learners, its display
form (label, operator or function, parameters and defaults), domain, kinks and
masks. The engine, the replay's kernels, the expression parser, the CLI's help, the
explainer, the graph labels, the hypothesis strategies and the tests all read it;
``register_op`` adds a row at run time.

>>> OPS["tanh"].rule
'd/da = 1 - out²'
>>> OPS["mul"].partials(-6.0, 2.0, -3.0)
(-3.0, 2.0)
>>> x = 0.5; out = OPS["tanh"].forward(x); OPS["tanh"].partials(out, x) == (1 - out * out,)
True
"""

from __future__ import annotations

import functools
import inspect
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .i18n import N_

inf = math.inf
nan = math.nan


# --- IEEE-style scalar helpers: PyTorch/JAX results, never a Python exception ----------


def exp(x: float) -> float:
    """``e**x``; ``inf`` on overflow instead of ``OverflowError``.

    >>> exp(1000.0)
    inf
    """
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x: float) -> float:
    """Natural log: ``log(0) = -inf``, ``log(x < 0) = nan``.

    >>> log(0.0), log(-1.0)
    (-inf, nan)
    """
    if x > 0:
        return math.log(x)
    return -inf if x == 0 else nan


def div(x: float, y: float) -> float:
    """``x / y`` with IEEE results: ``1/0 = inf``, ``-1/0 = -inf``, ``0/0 = nan``.

    >>> div(1.0, 0.0), div(-1.0, 0.0), div(0.0, 0.0)
    (inf, -inf, nan)
    """
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or math.isnan(x):
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def _is_odd_integer(p: float) -> bool:
    return math.isfinite(p) and p == math.floor(p) and p % 2 == 1


def pow(a: float, p: float) -> float:
    """``a ** p`` as in IEEE/C99 ``pow``: a negative base to a fractional power is
    ``nan`` (never a complex), overflow is ``±inf``, ``0 ** -1 = inf``.

    >>> pow(-8.0, 1/3), pow(0.0, -1.0), pow(10.0, 1000.0), pow(0.0, 0.0)
    (nan, inf, inf, 1.0)
    >>> pow(-10.0, 1000.5), pow(-10.0, 1001.0), pow(-10.0, 1e300)
    (nan, -inf, inf)
    """
    try:
        r = a**p
    except ZeroDivisionError:  # 0 ** negative
        negative = math.copysign(1.0, a) < 0 and _is_odd_integer(p)
        return -inf if negative else inf
    except OverflowError:  # |result| beyond float range, or a complex one (a < 0, fractional p)
        if a < 0 and p != math.floor(p):
            return nan
        return -inf if a < 0 and _is_odd_integer(p) else inf
    if type(r) is complex:
        return nan
    return float(r)


def sigmoid(x: float) -> float:
    """Logistic function, computed piecewise so it never overflows.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = exp(x)  # x < 0 or nan
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """``log(1 + e**x)`` as ``max(x, 0) + log1p(e**-|x|)``: no overflow.

    >>> softplus(0.0) == math.log(2), softplus(1000.0)
    (True, 1000.0)
    """
    return (x if x > 0 else 0.0) + math.log1p(exp(-abs(x)))


# --- the primitives a row's partials are written in -------------------------------------


_NAMESPACES: list[Primitives] = []


class Primitives:
    """What a row's partials are written in: ``+ - *``, constants, the inputs, ``out``,
    and the functions of this namespace.

    Every row of the table is a function here (``m.exp(a)``, ``m.pow(a, p)``,
    ``m.sin(a)`` once ``sin`` is registered), plus ``div``, the comparisons ``gt ge lt
    le eq ne`` (they read numbers, never build a node: a derivative's branches are
    constant where they apply) and ``where(cond, x, y)``.
    ``Floats`` runs them on Python floats (``backward()``), ``microprop.kernels.Arrays``
    on numpy arrays (the replay) and ``microprop.engine.Values`` on Values (grads that
    are graph nodes: ``create_graph``).
    """

    def __init__(self) -> None:
        _NAMESPACES.append(self)

    def row(self, op: Op) -> Callable[..., Any]:
        """The row ``op`` as a function of ``(*inputs, *params)`` in this namespace."""
        raise NotImplementedError

    def __getattr__(self, name: str) -> Callable[..., Any]:
        op = OPS.get(name)
        if op is None:
            raise AttributeError(f"no primitive or op row named {name!r}")
        fn = self.row(op)
        setattr(self, name, fn)  # looked up once
        return fn


class Floats(Primitives):
    """The primitives over Python floats.

    >>> m = FLOATS
    >>> m.where(m.gt(2.0, 0), 1.0, 0.0), m.div(1.0, 0.0), m.exp(0.0)
    (1.0, inf, 1.0)
    """

    div = staticmethod(div)
    gt, ge, lt, le = operator.gt, operator.ge, operator.lt, operator.le
    eq, ne = operator.eq, operator.ne

    @staticmethod
    def where(cond: bool, x: float, y: float) -> float:
        """``x`` where ``cond`` holds, else ``y``."""
        return x if cond else y

    def row(self, op: Op) -> Callable[..., float]:
        return op.forward


FLOATS = Floats()


# --- the table ---------------------------------------------------------------------------

Partials = Callable[..., tuple[Any, ...]]


@dataclass(frozen=True)
class Op:
    """One primitive: everything about it, in one row.

    - ``forward(*inputs, *params)``: the output value, on floats.
    - ``partials(out, *inputs, *params, m=FLOATS)``: one local derivative per input,
      written once over the primitives ``m``: on floats by default (``backward()``),
      ``m=ARRAYS`` on numpy arrays (the replay, ``microprop.kernels``), ``m=VALUES`` on
      Values (grads as graph nodes, ``microprop.engine``). A row whose partials take no
      ``m`` (plain ``math`` calls) still has first derivatives, on floats only.
    - ``rule``: the same derivative as learners read it, one ``d/da = ...`` per input
      (a test evaluates both at sample points).
    - display: ``label`` (drawn in graphs, written in explanations); ``operator`` the
      Python operator (``"*"``) for an infix op, ``""`` for a function ``name(a, p=...)``;
      ``params`` the names of constant parameters and ``defaults`` their default values.
    - ``domain`` per input and ``params_domain`` per parameter: intervals where finite
      differences behave (tests and ``microprop.testing`` draw from them); ``kinks``:
      points of the first input where the derivative jumps.
    - ``array_forward``: the forward over numpy arrays when numpy rounds exactly as
      ``forward`` does; without it the replay runs ``forward`` element by element.
    - ``mask(out, *inputs, *params)``, if given, says per input where PyTorch's backward
      returns exactly 0 whatever grad arrives (relu at out <= 0, ``a ** 0``): there the
      contribution is 0, not 0 × upstream (which is nan for an inf or nan upstream).
      Like the partials it reads numbers (floats or numpy arrays).
    - ``note``: a sentence for learners (a catalogue message, translated when shown) that the explainer (and so the step pictures)
      shows under a backward step of the op where its local derivatives are all 0: why
      no gradient flows back (a step unit cannot learn).

    >>> OPS["add"].forward(2.0, 3.0), OPS["add"].partials(5.0, 2.0, 3.0)
    (5.0, (1.0, 1.0))
    >>> OPS["leaky_relu"].signature()
    'leaky_relu(a, slope=0.01)'
    """

    name: str
    label: str
    forward: Callable[..., float]
    partials: Partials
    rule: str
    arity: int = 1
    params: tuple[str, ...] = ()
    defaults: tuple[float, ...] = ()
    operator: str = ""
    domain: tuple[tuple[float, float], ...] = ((-5.0, 5.0),)
    params_domain: tuple[tuple[float, float], ...] = ()
    kinks: tuple[float, ...] = ()
    array_forward: Callable[..., Any] | None = None
    mask: Callable[..., tuple[Any, ...]] | None = None
    note: str = ""

    @functools.cached_property
    def generic(self) -> bool:
        """Whether the partials are written over primitives (take ``m``): then they run on
        arrays and Values too; a row of plain ``math`` calls has float partials only.

        >>> OPS["tanh"].generic, Op("f", "f", abs, lambda out, a: (1.0,), "d/da = 1").generic
        (True, False)
        """
        return "m" in inspect.signature(self.partials).parameters

    def local_rules(self) -> tuple[str, ...]:
        """The rule split per input: ``("d/da = b", "d/db = a")`` for mul.

        >>> OPS["mul"].local_rules()
        ('d/da = b', 'd/db = a')
        """
        return tuple(part.strip() for part in self.rule.split(","))

    def inputs(self) -> tuple[str, ...]:
        """The inputs' names, as the rule writes them.

        >>> OPS["mul"].inputs(), OPS["pow"].inputs()
        (('a', 'b'), ('a',))
        """
        return ("a", "b")[: self.arity]

    def signature(self) -> str:
        """How the op is written in an expression.

        >>> OPS["mul"].signature(), OPS["pow"].signature(), OPS["tanh"].signature()
        ('a * b', 'a ** p', 'tanh(a)')
        """
        if self.operator:
            return f" {self.operator} ".join((*self.inputs(), *self.params))
        given = [
            f"{n}={d:g}" for n, d in zip(self.params[len(self.params) - len(self.defaults) :], self.defaults)
        ]
        required = list(self.params[: len(self.params) - len(self.defaults)])
        return f"{self.name}({', '.join([*self.inputs(), *required, *given])})"


def _relu(a: float) -> float:
    return 0.0 if a < 0 else a


def _step(a: float) -> float:
    return 1.0 if a > 0 else 0.0  # step(nan) = 0, as torch.heaviside (nan > 0 is false)


def _threshold(a: float, threshold: float, value: float) -> float:
    return value if a <= threshold else a  # nan stays nan, as torch's threshold


_FLAT = N_(
    "step is flat on both sides of its jump, so its derivative is 0 and no gradient flows back: "
    "a step unit cannot be trained by backprop (the sigmoid is its smooth stand-in)"
)
_BELOW = N_("below the threshold the output is the constant value, so no gradient flows back there")


def _leaky_relu(a: float, slope: float) -> float:
    return a if a > 0 else a * slope


def _elu(a: float, alpha: float) -> float:
    return a if a > 0 else alpha * math.expm1(a)


# Partials use ``m`` for every function and comparison, so the same expression runs on
# floats, numpy arrays and Values. ``mask`` marks where a 0 is exact (PyTorch's masking:
# no upstream nan or inf gets through); elsewhere the upstream grad is multiplied.
# fmt: off
ROWS = (
    # name          label        forward        local partials, over primitives m (may use out)                     rule shown to learners
    Op("add",        "+",         operator.add,  lambda out, a, b, m=FLOATS: (1.0, 1.0),                                       "d/da = 1, d/db = 1", arity=2, operator="+", domain=((-5, 5), (-5, 5)), array_forward=np.add),
    Op("mul",        "×",         operator.mul,  lambda out, a, b, m=FLOATS: (b, a),                                           "d/da = b, d/db = a", arity=2, operator="*", domain=((-5, 5), (-5, 5)), array_forward=np.multiply),
    # d/da a**p is exactly 0 when p == 0 (masked), so 0**0 has a finite grad (as in PyTorch)
    Op("pow",        "^",         pow,           lambda out, a, p, m=FLOATS: (m.where(m.ne(p, 0), p * m.pow(a, p - 1.0), 0.0),), "d/da = p·a^(p-1)", params=("p",), operator="**", domain=((0.2, 4),), params_domain=((-3, 3),), mask=lambda out, a, p: (p == 0,)),
    # PyTorch sets d/db to 0 at a == 0 (for b >= 0), where out·log(a) would be 0·(-inf)
    Op("powv",       "^",         pow,           lambda out, a, b, m=FLOATS: (m.where(m.ne(b, 0), b * m.powv(a, b - 1.0), 0.0),
                                                                       m.where(m.eq(a, 0) & m.ge(b, 0), 0.0, out * m.log(a))), "d/da = b·a^(b-1), d/db = out·log(a)", arity=2, operator="**", domain=((0.2, 4), (-3, 3)), mask=lambda out, a, b: (b == 0, False)),
    Op("exp",        "exp",       exp,           lambda out, a, m=FLOATS: (out,),                                              "d/da = out", domain=((-10, 10),)),
    Op("log",        "log",       log,           lambda out, a, m=FLOATS: (m.div(1.0, a),),                                    "d/da = 1/a", domain=((0.05, 50),)),
    Op("tanh",       "tanh",      math.tanh,     lambda out, a, m=FLOATS: (1.0 - out * out,),                                  "d/da = 1 - out²"),
    Op("sigmoid",    "σ",         sigmoid,       lambda out, a, m=FLOATS: (out * (1.0 - out),),                                "d/da = out·(1 - out)", domain=((-10, 10),)),
    Op("softplus",   "softplus",  softplus,      lambda out, a, m=FLOATS: (m.sigmoid(a),),                                     "d/da = σ(a)", domain=((-10, 10),)),
    # relu'(nan) = 1 and relu(-0.0) = -0.0, as in PyTorch; exactly 0 (masked) where out <= 0
    Op("relu",       "ReLU",      _relu,         lambda out, a, m=FLOATS: (m.where(m.le(out, 0), 0.0, 1.0),),                  "d/da = 1 if a > 0 else 0", kinks=(0.0,), array_forward=lambda a: np.where(a < 0, 0.0, a), mask=lambda out, a: (out <= 0,)),
    Op("leaky_relu", "LeakyReLU", _leaky_relu,   lambda out, a, s, m=FLOATS: (m.where(m.gt(a, 0), 1.0, s),),                   "d/da = 1 if a > 0 else slope", params=("slope",), defaults=(0.01,), params_domain=((0.0, 0.5),), kinks=(0.0,), array_forward=lambda a, s: np.where(a > 0, a, a * s)),
    # alpha·exp(a), not out + alpha: exact for very negative a; elu'(nan) = 1, as in PyTorch
    Op("elu",        "ELU",       _elu,          lambda out, a, al, m=FLOATS: (m.where(m.le(a, 0), al * m.exp(a), 1.0),),     "d/da = 1 if a > 0 else alpha·exp(a)", params=("alpha",), defaults=(1.0,), params_domain=((0.1, 2.0),), kinks=(0.0,)),
    Op("abs",        "|·|",       abs,           lambda out, a, m=FLOATS: (m.where(m.gt(a, 0), 1.0, m.where(m.lt(a, 0), -1.0, 0.0)),), "d/da = sign(a)", kinks=(0.0,), array_forward=np.abs),
    # the perceptron's unit (step(0) = 0, as DL from scratch's x > 0); its derivative is exactly 0
    Op("step",       "step",      _step,         lambda out, a, m=FLOATS: (m.where(m.gt(a, 0), 0.0, 0.0),),                    "d/da = 0", kinks=(0.0,), array_forward=lambda a: np.where(a > 0, 1.0, 0.0), mask=lambda out, a: (True,), note=_FLAT),
    # PyTorch's Threshold: a above the threshold, else value; exactly 0 (masked) where a <= threshold
    Op("threshold",  "threshold", _threshold,    lambda out, a, th, v, m=FLOATS: (m.where(m.le(a, th), 0.0, 1.0),),            "d/da = 1 if a > threshold else 0", params=("threshold", "value"), params_domain=((0.5, 0.5), (-1.0, 1.0)), kinks=(0.5,), array_forward=lambda a, th, v: np.where(a <= th, v, a), mask=lambda out, a, th, v: (a <= th,), note=_BELOW),
)
# fmt: on

OPS: dict[str, Op] = {op.name: op for op in ROWS}
BUILTIN = frozenset(OPS)


def register_op(op: Op) -> Op:
    """Add a row to the table at run time; from then on the op works everywhere:
    ``apply`` and a ``Value`` method of its name, the expression parser (a function
    row), gradcheck, the strategies, replay, second derivatives, explain and viz.

    >>> import math
    >>> sin = Op("sin", "sin", math.sin, lambda out, a, m=FLOATS: (m.cos(a),), "d/da = cos(a)")
    >>> cos = Op("cos", "cos", math.cos, lambda out, a, m=FLOATS: (0.0 - m.sin(a),), "d/da = -sin(a)")
    >>> _ = register_op(sin), register_op(cos)
    >>> sin.partials(0.0, 0.0)
    (1.0,)
    >>> unregister_op("sin"), unregister_op("cos")  # doctest: +ELLIPSIS
    (Op(name='sin', ...), Op(name='cos', ...))
    """
    if op.name in OPS and OPS[op.name] is not op:
        raise ValueError(f"an op named {op.name!r} is already in the table")
    if not op.name.isidentifier():
        raise ValueError(f"an op's name must be an identifier, not {op.name!r}")
    if op.operator:
        raise ValueError(f"{op.name}: Python's operators are the built-in rows'; a new op is a function")
    if len(op.domain) != op.arity or len(op.params_domain) not in (0, len(op.params)):
        raise ValueError(f"{op.name}: give one domain interval per input and per parameter")
    OPS[op.name] = op
    for listener in _ON_REGISTER:
        listener(op)
    return op


#: called with each newly registered row (the engine adds its Value method)
_ON_REGISTER: list[Callable[[Op], None]] = []


def functions() -> dict[str, Op]:
    """The rows written as functions in expressions (every row without an operator).

    >>> sorted(functions())[:3]
    ['abs', 'elu', 'exp']
    """
    return {name: op for name, op in OPS.items() if not op.operator}


def unregister_op(name: str) -> Op:
    """Remove a row added by ``register_op`` (built-in rows stay); returns it.

    >>> unregister_op("mul")
    Traceback (most recent call last):
    ...
    ValueError: 'mul' is a built-in row
    """
    if name in BUILTIN:
        raise ValueError(f"{name!r} is a built-in row")
    op = OPS.pop(name)
    for namespace in _NAMESPACES:
        namespace.__dict__.pop(name, None)
    for listener in _ON_UNREGISTER:
        listener(op)
    return op


_ON_UNREGISTER: list[Callable[[Op], None]] = []
