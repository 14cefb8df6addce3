"""Loss functions and penalties, composed from the op table (so backward needs nothing new).

Each takes predictions and targets as one number/Value or as equal-length sequences,
and returns the mean over them as a Value (``reduction="sum"`` for the sum). The
mean is ``sum(terms) * (1.0 / n)``, micrograd's composition, so its demo loss comes
out bit for bit. Numerics follow PyTorch: ``bce`` clamps its logs at -100,
``bce_with_logits`` and the softmax family never overflow, even for logits of 1000.

>>> from microprop import Value
>>> loss = mse([Value(2.0), Value(0.5)], [1.0, 0.5])
>>> loss.backward()
>>> loss.data
0.5
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from .engine import Value
from .i18n import tr

Scalar = Value | float
Scalars = Scalar | Sequence[Scalar]

LOG_CLAMP = -100.0  # PyTorch's BCELoss floor for log(p)
EPSILON = 1e-7  # Keras's backend.epsilon(): its losses clip probabilities and divisors with it


def _as_list(x: Scalars) -> list[Scalar]:
    if isinstance(x, (Value, int, float)) or getattr(x, "shape", None) == ():
        return [x]  # type: ignore[list-item]
    return list(x)


def _pairs(preds: Scalars, targets: Scalars) -> list[tuple[Scalar, Scalar]]:
    p, t = _as_list(preds), _as_list(targets)
    if len(p) != len(t):
        raise ValueError(tr("{preds} predictions but {targets} targets", preds=len(p), targets=len(t)))
    if not p:
        raise ValueError(tr("no predictions"))
    return list(zip(p, t))


def _value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _clip(x: Scalar, low: float, high: float = float("inf")) -> Value:
    """``x`` clipped to [low, high], as ``tf.clip_by_value`` and ``torch.clamp``: outside,
    a constant (derivative 0); inside or on the bounds, ``x`` itself; nan stays nan."""
    v = _value(x)
    if v.data < low:
        return Value(low)
    if v.data > high:
        return Value(high)
    return v


def _rows(preds: object, targets: object) -> list[tuple[list[Scalar], list[Scalar]]]:
    """One vector (a sample) or a list of them, paired with targets of the same shape."""
    p, t = _as_list(preds), _as_list(targets)  # type: ignore[arg-type]
    if p and not isinstance(p[0], (Value, int, float)) and getattr(p[0], "shape", None) != ():
        pairs = _pairs(p, t)
        rows = [(_as_list(a), _as_list(b)) for a, b in pairs]
    else:
        rows = [(p, t)]
    for a, b in rows:
        if len(a) != len(b):
            raise ValueError(
                tr("a sample of {preds} predictions but {targets} targets", preds=len(a), targets=len(b))
            )
        if not a:
            raise ValueError(tr("no predictions"))
    return rows


def _reduce(terms: list[Value], reduction: str) -> Value:
    if reduction == "sum":
        return sum(terms)  # type: ignore[return-value]
    if reduction == "mean":
        return sum(terms) * (1.0 / len(terms))  # type: ignore[return-value]
    raise ValueError(
        tr(
            "reduction must be one of {choices}, not {reduction}",
            choices="'mean', 'sum'",
            reduction=repr(reduction),
        )
    )


def mse(preds: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Mean squared error ``mean((p - t)²)``.

    >>> mse(Value(3.0), 1.0).data
    4.0
    """
    return _reduce([(_value(p) - t) ** 2 for p, t in _pairs(preds, targets)], reduction)


def mae(preds: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Mean absolute error ``mean(|p - t|)``; its derivative at p = t is 0.

    >>> mae([Value(3.0), Value(0.0)], [1.0, 1.0]).data
    1.5
    """
    return _reduce([(_value(p) - t).abs() for p, t in _pairs(preds, targets)], reduction)


def rmse(preds: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Root mean squared error ``sqrt(mse)`` (``reduction="sum"``: the root of the summed
    squares). Its derivative at a perfect fit is nan (0 × inf), as ``torch.sqrt(mse)``'s.

    >>> rmse([Value(3.0), Value(-1.0)], [0.0, 3.0]).data   # sqrt((9 + 16) / 2)
    3.5355339059327378
    """
    return mse(preds, targets, reduction) ** 0.5


def mape(preds: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Mean absolute percentage error ``100·|t - p| / max(|t|, 1e-7)`` (Keras
    ``MeanAbsolutePercentageError``): a target of 0 divides by 1e-7, not by 0.

    >>> mape([Value(110.0), Value(45.0)], [100.0, 50.0]).data   # (10% + 10%) / 2
    10.0
    """
    terms = []
    for p, t in _pairs(preds, targets):
        terms.append(100.0 * (_value(t) - p).abs() / _clip(_value(t).abs(), EPSILON))
    return _reduce(terms, reduction)


def msle(preds: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Mean squared logarithmic error ``(log(1 + p) - log(1 + t))²`` (Keras
    ``MeanSquaredLogarithmicError``, which clips p and t below at 1e-7 first).

    >>> round(msle(Value(3.0), 1.0).data, 6)   # (log 4 - log 2)² = (log 2)²
    0.480453
    """
    terms = []
    for p, t in _pairs(preds, targets):
        terms.append(((_clip(p, EPSILON) + 1).log() - (_clip(t, EPSILON) + 1).log()) ** 2)
    return _reduce(terms, reduction)


def poisson(preds: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Poisson loss ``p - t·log(p + 1e-7)`` for predicted rates p and counts t (Keras
    ``Poisson``; PyTorch's ``poisson_nll_loss(log_input=False)`` adds 1e-8 instead).

    >>> round(poisson(Value(2.0), 3.0).data, 6)   # 2 - 3·log 2
    -0.079442
    """
    terms = [_value(p) - t * (_value(p) + EPSILON).log() for p, t in _pairs(preds, targets)]
    return _reduce(terms, reduction)


def kl_divergence(probs: object, targets: object, reduction: str = "mean") -> Value:
    """Kullback-Leibler divergence ``Σ t·log(t/p)`` of each sample's predicted
    distribution p from its target t, both clipped to [1e-7, 1] (Keras
    ``KLDivergence``); one sample (a list) or a batch (a list of lists).

    >>> round(kl_divergence([Value(0.5), Value(0.5)], [0.9, 0.1]).data, 6)
    0.368064
    """
    terms = []
    for p_row, t_row in _rows(probs, targets):
        terms.append(
            sum(
                _clip(t, EPSILON, 1.0) * (_clip(t, EPSILON, 1.0) / _clip(p, EPSILON, 1.0)).log()
                for p, t in zip(p_row, t_row)
            )
        )
    return _reduce(terms, reduction)  # type: ignore[arg-type]


def cosine_similarity(preds: object, targets: object, reduction: str = "mean") -> Value:
    """``-(p·t)/(|p||t|)`` per sample (Keras ``CosineSimilarity``: minimising it
    turns p toward t; -1 when aligned). Each norm is at least ``sqrt(1e-12)``, as
    Keras's ``l2_normalize``; one sample (a list) or a batch (a list of lists).

    >>> cosine_similarity([Value(3.0), Value(4.0)], [6.0, 8.0]).data
    -1.0
    """
    terms = []
    for p_row, t_row in _rows(preds, targets):
        p = [_value(x) for x in p_row]
        t = [_value(x) for x in t_row]
        p_norm = _clip(sum(x * x for x in p), 1e-12) ** 0.5
        t_norm = _clip(sum(x * x for x in t), 1e-12) ** 0.5
        terms.append(-sum(a * b for a, b in zip(p, t)) / (p_norm * t_norm))
    return _reduce(terms, reduction)


def categorical_cross_entropy(probs: object, one_hot: object, reduction: str = "mean") -> Value:
    """``-Σ t·log p`` with each probability clipped to [1e-7, 1 - 1e-7] (Keras
    ``CategoricalCrossentropy`` on probabilities); one sample or a batch. (Keras's code
    also rescales p to sum 1 first: the same loss for softmax outputs, and through the
    softmax the same logit gradients.)

    >>> round(categorical_cross_entropy([Value(0.7), Value(0.2), Value(0.1)], [0, 1, 0]).data, 6)
    1.609438
    """
    terms = []
    for p_row, t_row in _rows(probs, one_hot):
        terms.append(-sum(t * _clip(p, EPSILON, 1 - EPSILON).log() for p, t in zip(p_row, t_row) if t != 0))
    return _reduce(terms, reduction)  # type: ignore[arg-type]


def sparse_categorical_cross_entropy(
    probs: object, targets: int | Sequence[int], reduction: str = "mean"
) -> Value:
    """``-log p[k]`` for class indices k, p clipped as in ``categorical_cross_entropy``
    (Keras ``SparseCategoricalCrossentropy``); one sample (with an int) or a batch.

    >>> round(sparse_categorical_cross_entropy([[Value(0.7), Value(0.3)]], [0]).data, 6)
    0.356675
    """
    if isinstance(targets, int) or getattr(targets, "shape", None) == ():
        batch, labels = [probs], [int(targets)]  # type: ignore[arg-type]
    else:
        batch, labels = list(probs), [int(k) for k in targets]  # type: ignore[call-overload]
    if len(batch) != len(labels):
        raise ValueError(
            tr("{samples} samples but {targets} targets", samples=len(batch), targets=len(labels))
        )
    terms = []
    for sample, k in zip(batch, labels):
        row = _as_list(sample)  # type: ignore[arg-type]
        if not 0 <= k < len(row):
            raise IndexError(tr("target {k} out of range for {classes} classes", k=k, classes=len(row)))
        terms.append(-_clip(row[k], EPSILON, 1 - EPSILON).log())
    return _reduce(terms, reduction)


def clamped_log(p: Scalar, floor: float = LOG_CLAMP) -> Value:
    """``max(log p, floor)``: below the floor the result is the constant ``floor``,
    with derivative 0 (as ``torch.clamp``); nan stays nan.

    >>> clamped_log(0.0).data, round(clamped_log(0.5).data, 6)
    (-100.0, -0.693147)
    """
    out = _value(p).log()
    return Value(floor) if out.data < floor else out


def bce(probs: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Binary cross-entropy on probabilities: ``-(t·log p + (1-t)·log(1-p))``.

    Each log is clamped at -100, as PyTorch's ``BCELoss`` does, so a confident wrong
    answer costs 100, not inf. (There the derivative is 0; PyTorch's fused kernel
    instead caps it near 1e12. ``bce_with_logits`` avoids the question.)

    >>> round(bce(Value(0.8), 1.0).data, 6), bce(0.0, 1.0).data
    (0.223144, 100.0)
    """
    terms = []
    for p, t in _pairs(probs, targets):
        p = _value(p)
        terms.append(-(t * clamped_log(p) + (1 - t) * clamped_log(1 - p)))
    return _reduce(terms, reduction)


binary_cross_entropy = bce  # the Keras name


def bce_with_logits(logits: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Binary cross-entropy on logits z, ``t·softplus(-z) + (1-t)·softplus(z)``:
    the same as ``bce(sigmoid(z), t)`` but stable for any z; the derivative is
    ``sigmoid(z) - t``.

    >>> bce_with_logits(Value(1000.0), 0.0).data, bce_with_logits(Value(-1000.0), 0.0).data
    (1000.0, 0.0)
    """
    terms = []
    for z, t in _pairs(logits, targets):
        z = _value(z)
        if t == 1:
            terms.append((-z).softplus())
        elif t == 0:
            terms.append(z.softplus())
        else:
            terms.append(t * (-z).softplus() + (1 - t) * z.softplus())
    return _reduce(terms, reduction)


def _shifted(logits: Sequence[Scalar]) -> list[Value]:
    """``logits - max(logits)``: the max is a constant, which changes no gradient."""
    values = [_value(z) for z in logits]
    if not values:
        raise ValueError(tr("softmax of no logits"))
    top = max(v.data for v in values)
    if top in (float("inf"), float("-inf")):
        return values  # nothing to shift by; inf - inf would be nan
    return [v - top for v in values]


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """``exp(z_i) / Σ exp(z_j)``, computed on ``z - max(z)`` so it never overflows.

    >>> [round(p.data, 6) for p in softmax([Value(1000.0), Value(0.0)])]
    [1.0, 0.0]
    """
    exps = [v.exp() for v in _shifted(logits)]
    total = sum(exps)
    return [e / total for e in exps]


def softmin(logits: Sequence[Scalar]) -> list[Value]:
    """``softmax(-z)``, as ``torch.nn.functional.softmin``: the smallest z gets the most.

    >>> [round(p.data, 6) for p in softmin([Value(1.0), Value(2.0)])]
    [0.731059, 0.268941]
    """
    return softmax([-_value(z) for z in logits])


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """``z_i - log Σ exp(z_j)`` (log-sum-exp with the max subtracted).

    >>> [p.data for p in log_softmax([Value(1000.0), Value(0.0)])]
    [0.0, -1000.0]
    """
    shifted = _shifted(logits)
    lse = cast(Value, sum(v.exp() for v in shifted)).log()  # a sum of Values is a Value
    return [v - lse for v in shifted]


def cross_entropy(
    logits: Sequence[Scalar] | Sequence[Sequence[Scalar]],
    targets: int | Sequence[int],
    reduction: str = "mean",
) -> Value:
    """``-log_softmax(z)[target]`` for class-index targets, as ``torch.nn.functional.cross_entropy``.

    ``logits`` is one sample's scores (with an int target) or a list of them (with a
    list of targets).

    >>> round(cross_entropy([Value(2.0), Value(1.0), Value(0.1)], 0).data, 6)
    0.41703
    >>> cross_entropy([[Value(1000.0), Value(0.0)]], [1]).data
    1000.0
    """
    if isinstance(targets, int) or getattr(targets, "shape", None) == ():
        batch, labels = [logits], [int(targets)]  # type: ignore[arg-type]
    else:
        batch, labels = list(logits), [int(t) for t in targets]  # type: ignore[arg-type]
    if len(batch) != len(labels):
        raise ValueError(
            tr("{samples} samples but {targets} targets", samples=len(batch), targets=len(labels))
        )
    terms = []
    for row, k in zip(batch, labels):
        if not 0 <= k < len(row):
            raise IndexError(tr("target {k} out of range for {classes} classes", k=k, classes=len(row)))
        terms.append(-log_softmax(row)[k])  # type: ignore[arg-type]
    return _reduce(terms, reduction)


def hinge(scores: Scalars, targets: Scalars, reduction: str = "mean") -> Value:
    """Max-margin loss ``relu(1 - y·s)`` for labels y in {-1, +1}; micrograd's demo
    loss, built the same way (``(1 + -y*s).relu()``).

    >>> hinge([Value(2.0), Value(0.5)], [1, -1]).data
    0.75
    """
    terms = [(1 + -y * _value(s)).relu() for s, y in _pairs(scores, targets)]
    return _reduce(terms, reduction)


max_margin = hinge


def l1_penalty(params: Iterable[Value]) -> Value:
    """``Σ |p|``: the L1 (lasso) penalty; add ``alpha * l1_penalty(...)`` to a loss.

    >>> l1_penalty([Value(-2.0), Value(3.0)]).data
    5.0
    """
    return sum(p.abs() for p in params)  # type: ignore[return-value]


def l2_penalty(params: Iterable[Value]) -> Value:
    """``Σ p²``: the L2 penalty (weight decay), as micrograd's ``sum(p*p ...)``.

    >>> l2_penalty([Value(-2.0), Value(3.0)]).data
    13.0
    """
    return sum(p * p for p in params)  # type: ignore[return-value]
