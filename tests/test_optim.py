"""microprop.optim: update rules checked by hand for a few steps, and against torch.optim."""

from __future__ import annotations

import math

import pytest

from microprop import Value
from microprop.optim import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    LambdaLR,
    NAdam,
    RMSprop,
    StepLR,
    clip_grad_norm,
)


def run(opt_class, grads: list[float], x0: float = 1.0, **kwargs) -> list[float]:
    """Apply the given grads one step at a time; the parameter after each step."""
    x = Value(x0)
    opt = opt_class([x], **kwargs)
    trace = []
    for g in grads:
        opt.zero_grad()
        x.grad = g
        opt.step()
        trace.append(x.data)
    return trace


def test_sgd_plain() -> None:
    """x ← x - lr·g."""
    assert run(SGD, [1.0, 2.0], lr=0.1) == pytest.approx([0.9, 0.7], rel=1e-15)


def test_sgd_momentum() -> None:
    """Buffers 1, 1.9, 2.71 for unit grads with momentum 0.9 (the first step takes g as is)."""
    assert run(SGD, [1.0] * 3, lr=0.1, momentum=0.9) == pytest.approx([0.9, 0.71, 0.439], rel=1e-14)


def test_sgd_dampening() -> None:
    """Dampening scales new grads after the first step: buffers 1, 0.9 + 0.5."""
    assert run(SGD, [1.0] * 2, lr=0.1, momentum=0.9, dampening=0.5) == pytest.approx([0.9, 0.76], rel=1e-14)


def test_sgd_nesterov() -> None:
    """Nesterov steps with g + momentum·buffer: 1.9, then 1 + 0.9·1.9."""
    assert run(SGD, [1.0] * 2, lr=0.1, momentum=0.9, nesterov=True) == pytest.approx([0.81, 0.539], rel=1e-14)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([Value(0.0)], lr=0.1, nesterov=True)


def test_sgd_weight_decay() -> None:
    """With zero grads, weight decay alone shrinks x by (1 - lr·wd) per step."""
    assert run(SGD, [0.0] * 2, lr=0.1, weight_decay=0.1) == pytest.approx([0.99, 0.9801], rel=1e-15)


def test_adagrad() -> None:
    """Sums of squared grads 4, 5: steps 0.1·2/2 and 0.1·1/√5."""
    eps = 1e-10
    x1 = 1 - 0.1 * 2 / (2 + eps)
    assert run(Adagrad, [2.0, 1.0], lr=0.1) == pytest.approx([x1, x1 - 0.1 / (math.sqrt(5) + eps)], rel=1e-15)
    decayed = run(Adagrad, [2.0, 1.0], lr=0.1, lr_decay=1.0)  # lr / (1 + 1·1) on step 2
    assert decayed == pytest.approx([x1, x1 - 0.05 / (math.sqrt(5) + eps)], rel=1e-15)


def test_rmsprop() -> None:
    """Running squares 0.04 and 0.99·0.04 + 0.01·4; plain, centered and with momentum."""
    eps = 1e-8
    v1, v2 = 0.04, 0.99 * 0.04 + 0.01 * 4
    x1 = 1 - 0.02 / (math.sqrt(v1) + eps)
    plain = run(RMSprop, [2.0, 2.0], lr=0.01)
    assert plain == pytest.approx([x1, x1 - 0.02 / (math.sqrt(v2) + eps)], rel=1e-14)
    m1, m2 = 0.02, 0.99 * 0.02 + 0.01 * 2
    centered = run(RMSprop, [2.0, 2.0], lr=0.01, centered=True)
    c1 = 1 - 0.02 / (math.sqrt(v1 - m1 * m1) + eps)
    assert centered == pytest.approx([c1, c1 - 0.02 / (math.sqrt(v2 - m2 * m2) + eps)], rel=1e-14)
    b1 = 2 / (math.sqrt(v1) + eps)
    b2 = 0.9 * b1 + 2 / (math.sqrt(v2) + eps)
    momentum = run(RMSprop, [2.0, 2.0], lr=0.01, momentum=0.9)
    assert momentum == pytest.approx([1 - 0.01 * b1, 1 - 0.01 * b1 - 0.01 * b2], rel=1e-14)


def test_adam() -> None:
    """Adam's first step moves by lr; the second by lr/(1-β1²)·m/(√v/√(1-β2²) + eps)."""
    m2, v2 = 0.9 * 0.5 + 0.1 * -1.0, 0.999 * 0.025 + 0.001 * 1.0
    x1 = 1 - 0.1 / 0.1 * 0.5 / (math.sqrt(0.025) / math.sqrt(0.001) + 1e-8)
    x2 = x1 - 0.1 / (1 - 0.81) * m2 / (math.sqrt(v2) / math.sqrt(1 - 0.999**2) + 1e-8)
    assert run(Adam, [5.0, -1.0], lr=0.1) == pytest.approx([x1, x2], rel=1e-14)


def test_adam_l2_vs_adamw() -> None:
    """Adam adds weight decay to the grad; AdamW shrinks x first, apart from the grad."""
    assert run(AdamW, [5.0], lr=0.1, weight_decay=0.5) == pytest.approx([0.95 - 0.1], rel=1e-8)
    assert run(AdamW, [0.0], lr=0.1, weight_decay=0.5) == [0.95]
    assert run(Adam, [0.0], lr=0.1, weight_decay=0.5) == pytest.approx([0.9], rel=1e-7)  # g = 0.5


def test_state_lives_in_the_optimizer() -> None:
    """Two optimizers over the same Value keep separate state; Values gain no attributes."""
    x = Value(1.0)
    a, b = SGD([x], lr=0.1, momentum=0.9), SGD([x], lr=0.1, momentum=0.9)
    x.grad = 1.0
    a.step()
    assert a.buffers == [1.0] and b.buffers == [None]
    assert not hasattr(x, "__dict__")


def test_step_builds_no_graph() -> None:
    """After step(), parameters are still leaves with float data."""
    x = Value(2.0)
    opt = Adam([x], lr=0.1)
    (x * x).backward()
    opt.step()
    assert x.is_leaf() and type(x.data) is float


def test_optimizers_descend() -> None:
    """Every optimizer brings (x - 3)² from 10 close to 0."""
    for opt_class, kwargs in [
        (SGD, {"lr": 0.1}),
        (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        (Adagrad, {"lr": 1.0}),
        (RMSprop, {"lr": 0.05}),
        (Adam, {"lr": 0.2}),
        (AdamW, {"lr": 0.2, "weight_decay": 0.0}),
    ]:
        x = Value(0.0)
        opt = opt_class([x], **kwargs)
        for _ in range(300):
            opt.zero_grad()
            loss = (x - 3.0) ** 2
            loss.backward()
            opt.step()
        assert loss.data < 1e-3, (opt_class.__name__, kwargs, loss.data)


def test_clip_grad_norm() -> None:
    """Grads (3, 4) clipped to norm 1 become (0.6, 0.8) (up to torch's 1e-6); small ones stay."""
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 3.0, 4.0
    assert clip_grad_norm([a, b], 1.0) == 5.0
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8), rel=1e-6)
    assert math.hypot(a.grad, b.grad) <= 1.0
    assert clip_grad_norm([a, b], 10.0) == pytest.approx(1.0, rel=1e-6)
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8), rel=1e-6)


def test_schedules() -> None:
    """LambdaLR sets base_lr·fn(epoch); StepLR halves every 2 epochs."""
    opt = SGD([Value(0.0)], lr=1.0)
    schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    lrs = [opt.lr] + [schedule.step() for _ in range(3)]
    assert lrs == [1.0 - 0.9 * k / 100 for k in range(4)]
    opt = SGD([Value(0.0)], lr=0.4)
    step = StepLR(opt, step_size=2, gamma=0.5)
    assert [opt.lr] + [step.step() for _ in range(4)] == [0.4, 0.4, 0.2, 0.2, 0.1]


def test_nadam_by_hand() -> None:
    """NAdam's first two steps from its formulas: μ_t = 0.9·(1 - 0.5·0.96^(0.004·t)), look-ahead μ_{t+1}."""
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    mu = [b1 * (1 - 0.5 * 0.96 ** (0.004 * t)) for t in (1, 2, 3)]
    x, m, v, expected = 1.0, 0.0, 0.0, []
    for t, g in ((1, 2.0), (2, -1.0)):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        denom = math.sqrt(v / (1 - b2**t)) + eps
        prod, prod_next = math.prod(mu[:t]), math.prod(mu[: t + 1])
        x -= lr * (1 - mu[t - 1]) / (1 - prod) * g / denom + lr * mu[t] / (1 - prod_next) * m / denom
        expected.append(x)
    assert run(NAdam, [2.0, -1.0], lr=lr) == pytest.approx(expected, rel=1e-14)


def test_adadelta_by_hand() -> None:
    """Adadelta's steps from its formulas; the unit-free step needs no learning rate but 1.0."""
    rho, eps = 0.9, 1e-6
    x, v, u, expected = 1.0, 0.0, 0.0, []
    for g in (2.0, -1.0, 0.5):
        v = rho * v + (1 - rho) * g * g
        delta = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        x -= delta
        expected.append(x)
    assert run(Adadelta, [2.0, -1.0, 0.5]) == pytest.approx(expected, rel=1e-15)


# --- optional: the same runs in torch.optim (float64) ---------------------------------------

TORCH_CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.1}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.99), "momentum_decay": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.7, "eps": 1e-4, "weight_decay": 0.1}),
]


def quadratic(x, y):
    """A small bowl with a cross term: grads differ in size and sign between the two."""
    return (x - 1.0) ** 2 + 3.0 * (y + 2.0) ** 2 + x * y


@pytest.mark.parametrize("name, kwargs", TORCH_CASES)
def test_matches_torch_optim(name: str, kwargs: dict, request: pytest.FixtureRequest) -> None:
    """Ten steps give the same parameters as torch.optim in float64 (to 1e-12)."""
    torch = pytest.importorskip("torch")
    from microprop import optim

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its μ product in the default dtype
    request.addfinalizer(lambda: torch.set_default_dtype(previous))
    start = (0.5, -0.5)
    params = [Value(v) for v in start]
    opt = getattr(optim, name)(params, **kwargs)
    tparams = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    topt = getattr(torch.optim, name)(tparams, **kwargs)
    for _ in range(10):
        opt.zero_grad()
        quadratic(*params).backward()
        opt.step()
        topt.zero_grad()
        quadratic(*tparams).backward()
        topt.step()
        assert [p.data for p in params] == pytest.approx([t.item() for t in tparams], rel=1e-12, abs=1e-14)


def test_clip_matches_torch() -> None:
    """clip_grad_norm scales grads exactly as torch.nn.utils.clip_grad_norm_."""
    torch = pytest.importorskip("torch")
    grads = [3.0, -4.0, 12.0]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    tparams = [torch.zeros((), dtype=torch.float64) for _ in grads]
    for t, g in zip(tparams, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    norm = clip_grad_norm(params, 2.0)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, 2.0)
    assert norm == pytest.approx(tnorm.item(), rel=1e-15)
    assert [p.grad for p in params] == pytest.approx([t.grad.item() for t in tparams], rel=1e-15)
