"""The op table: the single source of truth for every primitive.

Each row names a primitive, the label drawn in graphs, its forward function, its
local partial derivatives (which may use the output ``out``) and the rule shown to
learners. The engine, the explainer, the graph labels and the tests all read it.

>>> OPS["tanh"].rule
'd/da = 1 - out²'
>>> OPS["mul"].partials(-6.0, 2.0, -3.0)
(-3.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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


def _pow_partials(out: float, a: float, p: float) -> tuple[float]:
    # d/da a**p = p * a**(p-1); 0 when p == 0, so 0**0 has a finite grad (as in PyTorch)
    return (p * pow(a, p - 1.0) if p != 0 else 0.0,)


def _powv_partials(out: float, a: float, b: float) -> tuple[float, float]:
    da = b * pow(a, b - 1.0) if b != 0 else 0.0
    db = 0.0 if a == 0 and b >= 0 else out * log(a)  # PyTorch masks log(0) here
    return (da, db)


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One primitive: forward function, local partials and the rule shown to learners.

    ``forward(*inputs, *params)`` returns the output value; ``partials(out, *inputs,
    *params)`` returns one local derivative per input. ``domain`` gives, per input, an
    interval where finite differences are well behaved (tests and the hypothesis
    strategies read it); ``params_domain`` does the same for constant parameters;
    ``kinks`` are points where the derivative jumps (kept away from in checks).
    ``mask(out, *inputs, *params)``, if given, says per input where PyTorch's backward
    returns exactly 0 whatever grad arrives (relu at out <= 0, ``a ** 0``): there the
    contribution is 0, not 0 × upstream (which is nan for an inf or nan upstream).

    >>> OPS["add"].forward(2.0, 3.0), OPS["add"].partials(5.0, 2.0, 3.0)
    (5.0, (1.0, 1.0))
    """

    name: str
    label: str
    forward: Callable[..., float]
    partials: Callable[..., tuple[float, ...]]
    rule: str
    arity: int = 1
    params: tuple[str, ...] = ()
    domain: tuple[tuple[float, float], ...] = ((-5.0, 5.0),)
    params_domain: tuple[tuple[float, float], ...] = ()
    kinks: tuple[float, ...] = ()
    mask: Callable[..., tuple[bool, ...]] | None = None

    def local_rules(self) -> tuple[str, ...]:
        """The rule split per input: ``("d/da = b", "d/db = a")`` for mul.

        >>> OPS["mul"].local_rules()
        ('d/da = b', 'd/db = a')
        """
        return tuple(part.strip() for part in self.rule.split(","))


# fmt: off
ROWS = (
    # name          label       forward                        local partials (may use out)                                   rule shown to learners
    Op("add",        "+",        lambda a, b: a + b,            lambda out, a, b: (1.0, 1.0),                                  "d/da = 1, d/db = 1", arity=2, domain=((-5, 5), (-5, 5))),
    Op("mul",        "×",        lambda a, b: a * b,            lambda out, a, b: (b, a),                                      "d/da = b, d/db = a", arity=2, domain=((-5, 5), (-5, 5))),
    Op("pow",        "^",        pow,                           _pow_partials,                                                 "d/da = p·a^(p-1)", params=("p",), domain=((0.2, 4),), params_domain=((-3, 3),), mask=lambda out, a, p: (p == 0,)),
    Op("powv",       "^",        pow,                           _powv_partials,                                                "d/da = b·a^(b-1), d/db = out·log(a)", arity=2, domain=((0.2, 4), (-3, 3)), mask=lambda out, a, b: (b == 0, False)),
    Op("exp",        "exp",      exp,                           lambda out, a: (out,),                                         "d/da = out", domain=((-10, 10),)),
    Op("log",        "log",      log,                           lambda out, a: (div(1.0, a),),                                 "d/da = 1/a", domain=((0.05, 50),)),
    Op("tanh",       "tanh",     math.tanh,                     lambda out, a: (1.0 - out * out,),                             "d/da = 1 - out²"),
    Op("sigmoid",    "σ",        sigmoid,                       lambda out, a: (out * (1.0 - out),),                           "d/da = out·(1 - out)", domain=((-10, 10),)),
    Op("softplus",   "softplus", softplus,                      lambda out, a: (sigmoid(a),),                                  "d/da = σ(a)", domain=((-10, 10),)),
    Op("relu",       "ReLU",     lambda a: 0.0 if a < 0 else a, lambda out, a: (0.0 if out <= 0 else 1.0,),                    "d/da = 1 if a > 0 else 0", kinks=(0.0,), mask=lambda out, a: (out <= 0,)),
    Op("leaky_relu", "LeakyReLU", lambda a, s: a if a > 0 else a * s, lambda out, a, s: (1.0 if a > 0 else s,),                "d/da = 1 if a > 0 else slope", params=("slope",), params_domain=((0.0, 0.5),), kinks=(0.0,)),
    Op("elu",        "ELU",      lambda a, al: a if a > 0 else al * math.expm1(a), lambda out, a, al: (al * math.exp(a) if a <= 0 else 1.0,), "d/da = 1 if a > 0 else alpha·exp(a)", params=("alpha",), params_domain=((0.1, 2.0),), kinks=(0.0,)),
    Op("abs",        "|·|",      abs,                           lambda out, a: (1.0 if a > 0 else -1.0 if a < 0 else 0.0,),    "d/da = sign(a)", kinks=(0.0,)),
)
# fmt: on

OPS: dict[str, Op] = {op.name: op for op in ROWS}
