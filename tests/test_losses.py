"""microprop.losses: hand-computed values, gradients by gradcheck, and huge logits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microprop import Value
from microprop.gradcheck import gradcheck
from microprop.losses import (
    EPSILON,
    bce,
    bce_with_logits,
    binary_cross_entropy,
    categorical_cross_entropy,
    clamped_log,
    cosine_similarity,
    cross_entropy,
    hinge,
    kl_divergence,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mae,
    mape,
    mse,
    msle,
    poisson,
    rmse,
    softmax,
    softmin,
    sparse_categorical_cross_entropy,
)


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_mse_and_mae_values() -> None:
    """mse and mae are the mean (or sum) of squared and absolute errors."""
    preds, targets = [Value(1.5), Value(-2.0), Value(0.0)], [1.0, 1.0, -0.5]
    assert mse(preds, targets).data == pytest.approx((0.25 + 9.0 + 0.25) / 3, rel=1e-15)
    assert mse(preds, targets, reduction="sum").data == pytest.approx(9.5, rel=1e-15)
    assert mae(preds, targets).data == pytest.approx((0.5 + 3.0 + 0.5) / 3, rel=1e-15)
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        mse(preds[:2], [1.0])
    with pytest.raises(ValueError, match="reduction"):
        mse(preds, targets, reduction="max")


def test_mse_mae_grads() -> None:
    """mse'(p) = 2(p - t)/n and mae'(p) = sign(p - t)/n, and both pass gradcheck."""
    p = [Value(1.5), Value(-2.0)]
    loss = mse(p, [1.0, 1.0])
    loss.backward()
    assert [v.grad for v in p] == pytest.approx([0.5, -3.0], rel=1e-15)
    gradcheck(lambda a, b: mse([a, b], [1.0, -1.0]), [0.3, 2.0])
    gradcheck(lambda a, b: mae([a, b], [1.0, -1.0]), [0.3, 2.0])


def test_bce_values_and_clamp() -> None:
    """bce is -(t log p + (1-t) log(1-p)); logs clamp at -100 so p = 0 or 1 costs 100."""
    assert bce(Value(0.8), 1.0).data == pytest.approx(-math.log(0.8), rel=1e-15)
    assert bce(Value(0.8), 0.0).data == pytest.approx(-math.log(0.2), rel=1e-14)
    assert bce([Value(0.9), Value(0.2)], [1.0, 0.0]).data == pytest.approx(
        (-math.log(0.9) - math.log(0.8)) / 2, rel=1e-14
    )
    assert bce(Value(0.7), 0.25).data == pytest.approx(
        -(0.25 * math.log(0.7) + 0.75 * math.log(0.3)), rel=1e-14
    )
    assert bce(Value(0.0), 1.0).data == 100.0
    assert bce(Value(1.0), 0.0).data == 100.0
    assert bce(Value(0.0), 0.0).data == 0.0
    assert bce(Value(1e-50), 1.0).data == 100.0  # log(1e-50) = -115 < -100
    assert clamped_log(Value(math.nan)).data != clamped_log(Value(math.nan)).data


def test_bce_grads() -> None:
    """bce'(p) = (p - t) / (p(1 - p)) away from the clamp; 0 beyond it."""
    p = Value(0.8)
    bce(p, 0.25).backward()
    assert p.grad == pytest.approx((0.8 - 0.25) / (0.8 * 0.2), rel=1e-12)
    gradcheck(lambda a, b: bce([a, b], [1.0, 0.3]), [0.3, 0.6])
    q = Value(0.0)
    bce(q, 1.0).backward()
    assert q.grad == 0.0


@pytest.mark.parametrize("z", [-5.0, -0.3, 0.0, 0.7, 4.0])
@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
def test_bce_with_logits_matches_bce(z: float, t: float) -> None:
    """bce_with_logits(z, t) = bce(sigmoid(z), t), with derivative sigmoid(z) - t."""
    zv = Value(z)
    loss = bce_with_logits(zv, t)
    loss.backward()
    s = sigmoid(z)
    assert loss.data == pytest.approx(-(t * math.log(s) + (1 - t) * math.log(1 - s)), rel=1e-12, abs=1e-15)
    assert zv.grad == pytest.approx(s - t, rel=1e-12, abs=1e-15)
    gradcheck(lambda a: bce_with_logits(a, t), [z])


def test_bce_with_logits_huge() -> None:
    """Huge logits give finite, exact losses and grads: no overflow, no nan."""
    cases = [(1000.0, 0.0, 1000.0, 1.0), (-1000.0, 0.0, 0.0, 0.0), (1000.0, 1.0, 0.0, 0.0),
             (-1000.0, 1.0, 1000.0, -1.0), (40.0, 1.0, math.exp(-40.0), -math.exp(-40.0))]  # fmt: skip
    for z, t, loss, grad in cases:
        zv = Value(z)
        out = bce_with_logits(zv, t)
        out.backward()
        assert out.data == pytest.approx(loss, rel=1e-12)
        assert zv.grad == pytest.approx(grad, rel=1e-12)


def test_softmax_values_and_grads() -> None:
    """softmax sums to 1, matches exp/Σexp, and passes gradcheck on each output."""
    z = [1.0, 2.0, 3.0]
    probs = softmax([Value(x) for x in z])
    e = [math.exp(x) for x in z]
    assert [p.data for p in probs] == pytest.approx([x / sum(e) for x in e], rel=1e-15)
    assert sum(p.data for p in probs) == pytest.approx(1.0, rel=1e-15)
    for k in range(3):
        gradcheck(lambda a, b, c, k=k: softmax([a, b, c])[k], z)
        gradcheck(lambda a, b, c, k=k: log_softmax([a, b, c])[k], z)


def test_softmax_huge_logits() -> None:
    """Logits of ±1000 give exact probabilities and log-probabilities, no overflow."""
    assert [p.data for p in softmax([Value(1000.0), Value(999.0)])] == pytest.approx(
        [1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))], rel=1e-15
    )
    assert [p.data for p in softmax([Value(-1000.0), Value(1000.0)])] == [0.0, 1.0]
    logp = log_softmax([Value(1000.0), Value(0.0), Value(-1000.0)])
    assert [p.data for p in logp] == [0.0, -1000.0, -2000.0]
    z = [Value(1000.0), Value(0.0)]
    log_softmax(z)[1].backward()
    assert [v.grad for v in z] == [-1.0, 1.0]


def test_cross_entropy_values_and_grads() -> None:
    """cross_entropy = -log softmax[target]; its grads are softmax - onehot, averaged."""
    z = [Value(2.0), Value(1.0), Value(0.1)]
    loss = cross_entropy(z, 0)
    lse = math.log(sum(math.exp(x) for x in (2.0, 1.0, 0.1)))
    assert loss.data == pytest.approx(lse - 2.0, rel=1e-14)
    loss.backward()
    probs = [math.exp(x - lse) for x in (2.0, 1.0, 0.1)]
    assert [v.grad for v in z] == pytest.approx([probs[0] - 1, probs[1], probs[2]], rel=1e-12)
    gradcheck(lambda a, b, c, d: cross_entropy([[a, b], [c, d]], [1, 0]), [0.5, -1.0, 2.0, 0.3])
    batch = cross_entropy([[Value(0.0), Value(0.0)], [Value(1000.0), Value(0.0)]], np.array([1, 1]))
    assert batch.data == pytest.approx((math.log(2) + 1000.0) / 2, rel=1e-15)
    with pytest.raises(IndexError):
        cross_entropy([Value(1.0), Value(2.0)], 2)


def test_cross_entropy_huge_logits_grads() -> None:
    """Logits [1000, 0] with target 1: loss 1000, grads [1, -1], nothing overflows."""
    z = [Value(1000.0), Value(0.0)]
    loss = cross_entropy(z, 1)
    loss.backward()
    assert loss.data == 1000.0
    assert [v.grad for v in z] == [1.0, -1.0]


def test_hinge_values_and_grads() -> None:
    """hinge = mean relu(1 - y·s); grad -y/n where the margin is violated, else 0."""
    s = [Value(2.0), Value(0.5), Value(-0.25)]
    loss = hinge(s, [1, -1, -1])
    assert loss.data == pytest.approx((0.0 + 1.5 + 0.75) / 3, rel=1e-15)
    loss.backward()
    assert [v.grad for v in s] == pytest.approx([0.0, 1 / 3, 1 / 3], rel=1e-15)
    gradcheck(lambda a, b: hinge([a, b], [1, -1]), [0.3, -0.2])


def test_penalties() -> None:
    """l1 = Σ|p| with grad sign(p); l2 = Σp² with grad 2p."""
    ps = [Value(-2.0), Value(0.5)]
    l1 = l1_penalty(ps)
    l1.backward()
    assert l1.data == 2.5 and [p.grad for p in ps] == [-1.0, 1.0]
    for p in ps:
        p.grad = 0.0
    l2 = l2_penalty(ps)
    l2.backward()
    assert l2.data == 4.25 and [p.grad for p in ps] == [-4.0, 1.0]


def test_numpy_targets() -> None:
    """numpy arrays and scalars work as targets and predictions."""
    assert mse(np.array([1.0, 2.0]), np.array([1.0, 0.0])).data == 2.0
    assert hinge([Value(0.5)], np.array([-1])).data == 1.5
    assert bce_with_logits(Value(0.0), np.float64(1.0)).data == pytest.approx(math.log(2), rel=1e-15)


# --- the Keras names: values from Keras's formulas, written again in numpy -------------------

P = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05]])  # two samples' predicted distributions
T = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # their one-hot targets


def keras_reference(name: str, p: np.ndarray, t: np.ndarray) -> float:
    """Keras's documented formula for the loss, averaged over samples, in numpy."""
    eps = 1e-7
    if name == "mape":
        return float(np.mean(100 * np.abs(t - p) / np.maximum(np.abs(t), eps)))
    if name == "msle":
        return float(np.mean((np.log1p(np.maximum(p, eps)) - np.log1p(np.maximum(t, eps))) ** 2))
    if name == "poisson":
        return float(np.mean(p - t * np.log(p + eps)))
    if name == "kl_divergence":
        pc, tc = np.clip(p, eps, 1), np.clip(t, eps, 1)
        return float(np.mean(np.sum(tc * np.log(tc / pc), axis=-1)))
    if name == "cosine_similarity":

        def unit(x: np.ndarray) -> np.ndarray:
            return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))

        return float(np.mean(-np.sum(unit(p) * unit(t), axis=-1)))
    if name == "categorical_cross_entropy":
        return float(np.mean(-np.sum(t * np.log(np.clip(p, eps, 1 - eps)), axis=-1)))
    raise KeyError(name)


def values(rows: np.ndarray) -> list:
    """The array as Values: a list, or a list of lists."""
    return [values(r) for r in rows] if rows.ndim > 1 else [Value(float(x)) for x in rows]


KERAS = {"mape": mape, "msle": msle, "poisson": poisson, "kl_divergence": kl_divergence,
         "cosine_similarity": cosine_similarity, "categorical_cross_entropy": categorical_cross_entropy}  # fmt: skip
ELEMENTWISE = [
    (np.array([2.5, 0.3, 4.0, 1e-9]), np.array([3.0, 0.0, 4.5, 2.0])),
    (np.array([0.5, 10.0]), np.array([-2.0, 7.0])),
]


@pytest.mark.parametrize("name", ["mape", "msle", "poisson"])
@pytest.mark.parametrize("case", range(len(ELEMENTWISE)))
def test_elementwise_keras_losses(name: str, case: int) -> None:
    """mape, msle and poisson give Keras's value (mean, and sum = n × mean) and pass gradcheck."""
    p, t = ELEMENTWISE[case]
    fn = KERAS[name]
    expected = keras_reference(name, p, t)
    assert fn(values(p), list(t)).data == pytest.approx(expected, rel=1e-12)
    assert fn(values(p), list(t), reduction="sum").data == pytest.approx(len(p) * expected, rel=1e-12)
    gradcheck(lambda a, b: fn([a, b], [1.0, 2.5]), [0.7, 1.9])  # away from kinks and clips


@pytest.mark.parametrize("name", ["kl_divergence", "cosine_similarity", "categorical_cross_entropy"])
def test_distribution_keras_losses(name: str) -> None:
    """The per-sample losses sum over classes and average over samples, as Keras; one sample works too."""
    fn = KERAS[name]
    assert fn(values(P), T.tolist()).data == pytest.approx(keras_reference(name, P, T), rel=1e-12)
    assert fn(values(P[0]), T[0].tolist()).data == pytest.approx(
        keras_reference(name, P[:1], T[:1]), rel=1e-12
    )
    soft = np.array([[0.2, 0.5, 0.3]])  # a soft target: every term counts
    assert fn(values(P[:1]), soft.tolist(), reduction="sum").data == pytest.approx(
        keras_reference(name, P[:1], soft), rel=1e-12
    )
    gradcheck(lambda a, b, c: fn([a, b, c], soft[0].tolist()), [0.6, 0.3, 0.1])


def test_sparse_matches_categorical() -> None:
    """sparse_categorical_cross_entropy with indices equals the one-hot form, and clips p = 0 to 1e-7."""
    sparse = sparse_categorical_cross_entropy(values(P), [0, 2])
    assert sparse.data == pytest.approx(keras_reference("categorical_cross_entropy", P, T), rel=1e-15)
    assert sparse_categorical_cross_entropy([Value(0.0), Value(1.0)], 0).data == pytest.approx(
        -math.log(EPSILON)
    )
    with pytest.raises(IndexError, match="out of range"):
        sparse_categorical_cross_entropy([Value(0.5), Value(0.5)], 2)
    with pytest.raises(ValueError, match="2 samples but 1 targets"):
        sparse_categorical_cross_entropy(values(P), [0])


def test_clipped_probabilities_have_no_gradient() -> None:
    """Where Keras clips (p below 1e-7), the loss is constant in p: grad 0, never inf."""
    p = Value(0.0)
    categorical_cross_entropy([p, Value(1.0)], [1.0, 0.0]).backward()
    assert p.grad == 0.0
    q = Value(1e-9)
    kl_divergence([q, Value(1.0)], [0.5, 0.5]).backward()
    assert q.grad == 0.0


def test_rmse_softmin_and_alias() -> None:
    """rmse = sqrt(mse) with grad (p - t)/(n·rmse); softmin = softmax(-z); binary_cross_entropy is bce."""
    p = [Value(3.0), Value(-1.0)]
    loss = rmse(p, [0.0, 3.0])
    loss.backward()
    assert loss.data == pytest.approx(math.sqrt(12.5), rel=1e-15)
    assert [v.grad for v in p] == pytest.approx([3 / (2 * loss.data), -4 / (2 * loss.data)], rel=1e-14)
    assert rmse(p, [0.0, 3.0], reduction="sum").data == 5.0
    gradcheck(lambda a, b: rmse([a, b], [1.0, -1.0]), [0.3, 2.0])
    z = [1.0, 2.0, -0.5]
    assert [q.data for q in softmin(values(np.array(z)))] == pytest.approx(
        [q.data for q in softmax(values(-np.array(z)))], rel=1e-15
    )
    assert [q.data for q in softmin([Value(-1000.0), Value(1000.0)])] == [1.0, 0.0]
    for k in range(3):
        gradcheck(lambda a, b, c, k=k: softmin([a, b, c])[k], z)
    assert binary_cross_entropy is bce


def test_mape_zero_target_and_cosine_zero_vector() -> None:
    """A zero target divides by 1e-7 (not by 0); a zero vector's cosine is 0, not nan."""
    assert mape(Value(1e-7), 0.0).data == pytest.approx(100.0, rel=1e-12)
    assert cosine_similarity([Value(0.0), Value(0.0)], [1.0, 0.0]).data == 0.0


# --- optional: the same numbers from torch.nn.functional (float64) -----------------------------


def torch_value_and_grad(torch, fn, xs: list[float]) -> tuple[float, list[float]]:
    """fn's value and gradient at xs, computed by torch in float64."""
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out = fn(t)
    out.backward()
    return out.item(), t.grad.tolist()


def ours_value_and_grad(fn, xs: list[float]) -> tuple[float, list[float]]:
    """fn's value and gradient at xs, computed by microprop."""
    values = [Value(x) for x in xs]
    out = fn(values)
    out.backward()
    return out.data, [v.grad for v in values]


@pytest.mark.parametrize("xs", [[0.3, 0.9, 1e-3], [1e-50, 1.0 - 1e-12, 0.5]])
def test_bce_matches_torch(xs: list[float]) -> None:
    """bce gives torch's BCELoss value (clamp included) and, away from the clamp, its grads."""
    torch = pytest.importorskip("torch")
    targets = [1.0, 0.0, 0.25]
    value, grads = ours_value_and_grad(lambda v: bce(v, targets), xs)
    t_value, t_grads = torch_value_and_grad(
        torch,
        lambda t: torch.nn.functional.binary_cross_entropy(t, torch.tensor(targets, dtype=torch.float64)),
        xs,
    )
    assert value == pytest.approx(t_value, rel=1e-12)
    for x, g, tg in zip(xs, grads, t_grads):
        if math.log(x) > -100 and math.log1p(-x) > -100 and x * (1 - x) > 1e-12:
            assert g == pytest.approx(tg, rel=1e-9)


@pytest.mark.parametrize("xs", [[0.5, -2.0, 3.0], [1000.0, -1000.0, 40.0]])
def test_bce_with_logits_and_cross_entropy_match_torch(xs: list[float]) -> None:
    """bce_with_logits and cross_entropy agree with torch in value and grads, huge logits included."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    targets = [1.0, 0.0, 0.3]
    value, grads = ours_value_and_grad(lambda v: bce_with_logits(v, targets), xs)
    t_value, t_grads = torch_value_and_grad(
        torch, lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(targets, dtype=torch.float64)), xs
    )
    assert value == pytest.approx(t_value, rel=1e-12)
    assert grads == pytest.approx(t_grads, rel=1e-9, abs=1e-300)
    value, grads = ours_value_and_grad(lambda v: cross_entropy(v, 2), xs)
    t_value, t_grads = torch_value_and_grad(torch, lambda t: F.cross_entropy(t[None], torch.tensor([2])), xs)
    assert value == pytest.approx(t_value, rel=1e-12)
    assert grads == pytest.approx(t_grads, rel=1e-9, abs=1e-300)


def test_syllabus_losses_match_torch() -> None:
    """rmse, softmin, kl_divergence, cosine_similarity and the categorical losses agree with
    torch's equivalents (float64) in value and grads, where the two define the same function."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = [0.2, 0.5, 0.3]
    tt = torch.tensor(t, dtype=torch.float64)
    xs = [0.6, 0.3, 0.1]
    checks = [
        (lambda v: rmse(v, t), lambda x: F.mse_loss(x, tt).sqrt()),
        (lambda v: softmin(v)[0], lambda x: F.softmin(x, dim=0)[0]),
        (lambda v: kl_divergence(v, t), lambda x: F.kl_div(x.log()[None], tt[None], reduction="batchmean")),
        (lambda v: cosine_similarity(v, t), lambda x: -F.cosine_similarity(x, tt, dim=0)),
        (lambda v: categorical_cross_entropy(v, t), lambda x: -(tt * x.log()).sum()),
        (
            lambda v: sparse_categorical_cross_entropy(v, 1),
            lambda x: F.nll_loss(x.log()[None], torch.tensor([1])),
        ),
    ]
    for ours, theirs in checks:
        value, grads = ours_value_and_grad(ours, xs)
        t_value, t_grads = torch_value_and_grad(torch, theirs, xs)
        assert value == pytest.approx(t_value, rel=1e-12)
        assert grads == pytest.approx(t_grads, rel=1e-9, abs=1e-15)
