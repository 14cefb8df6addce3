"""Optimizers with ``torch.optim``'s update rules, on lists of Values.

Each optimizer keeps its state (momentum buffers, running averages, the step count)
in itself, one entry per parameter, never on the Values. ``step()`` reads each
``p.grad`` and writes ``p.data`` under ``no_grad()``; ``zero_grad()`` clears grads.
The formulas and their order follow PyTorch's documentation, so a float64 run
matches ``torch.optim`` to rounding.

>>> from microprop import Value
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.1)
>>> for _ in range(2):
...     opt.zero_grad(); loss = w * w; loss.backward(); opt.step()
>>> round(w.data, 10)   # 3 · 0.8 · 0.8
1.92
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from .engine import Value, no_grad
from .i18n import tr


class Optimizer:
    """Base class: holds the parameters, the learning rate and per-parameter state.

    >>> opt = Optimizer([Value(1.0)], lr=0.5)
    >>> opt.lr, len(opt.params)
    (0.5, 1)
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(tr("optimizer got an empty parameter list"))
        if lr < 0:
            raise ValueError(tr("invalid learning rate {lr}", lr=lr))
        self.lr = float(lr)
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.

        >>> p = Value(1.0); p.grad = 2.0; SGD([p], lr=0.1).zero_grad(); p.grad
        0.0
        """
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its grad (under ``no_grad()``).

        >>> x = Value(1.0); x.grad = 2.0; SGD([x], lr=0.25).step(); x.data
        0.5
        """
        self.steps += 1
        with no_grad():
            for i, p in enumerate(self.params):
                p.data = self._update(i, p.data, p.grad)

    def _update(self, i: int, x: float, g: float) -> float:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``::

        g ← g + weight_decay·x
        b ← g (first step), then momentum·b + (1 - dampening)·g
        g ← g + momentum·b (Nesterov) or b
        x ← x - lr·g

    >>> x = Value(1.0); opt = SGD([x], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     x.grad = 1.0; opt.step()
    >>> round(x.data, 10)   # 1 - 0.1·1 - 0.1·1.9
    0.71
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(tr("Nesterov momentum needs momentum > 0 and dampening = 0"))
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buffers: list[float | None] = [None] * len(self.params)

    def _update(self, i: int, x: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * x
        if self.momentum:
            b = self.buffers[i]
            b = g if b is None else self.momentum * b + (1 - self.dampening) * g
            self.buffers[i] = b
            g = g + self.momentum * b if self.nesterov else b
        return x - self.lr * g


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``: ``s ← s + g²``, ``x ← x - lr·g/(√s + eps)``
    (with ``lr / (1 + (t-1)·lr_decay)``).

    >>> x = Value(1.0); opt = Adagrad([x], lr=0.1); x.grad = 2.0; opt.step()
    >>> round(x.data, 10)   # 1 - 0.1·2/2
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, lr)
        self.lr_decay, self.weight_decay, self.eps = lr_decay, weight_decay, eps
        self.sums = [float(initial_accumulator_value)] * len(self.params)

    def _update(self, i: int, x: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * x
        clr = self.lr / (1 + (self.steps - 1) * self.lr_decay)
        self.sums[i] += g * g
        return x - clr * g / (math.sqrt(self.sums[i]) + self.eps)


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``: ``v ← α·v + (1-α)·g²``,
    ``x ← x - lr·g/(√v + eps)`` (``centered`` subtracts the mean grad squared;
    ``momentum`` keeps a buffer of the scaled steps).

    >>> x = Value(1.0); opt = RMSprop([x], lr=0.01, alpha=0.99); x.grad = 2.0; opt.step()
    >>> round(x.data, 6)   # 1 - 0.01·2/√(0.01·4)
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered
        n = len(self.params)
        self.square_avg, self.grad_avg, self.buffers = [0.0] * n, [0.0] * n, [0.0] * n

    def _update(self, i: int, x: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * x
        v = self.square_avg[i] = self.alpha * self.square_avg[i] + (1 - self.alpha) * (g * g)
        if self.centered:
            m = self.grad_avg[i] = self.alpha * self.grad_avg[i] + (1 - self.alpha) * g
            avg = math.sqrt(v - m * m) + self.eps
        else:
            avg = math.sqrt(v) + self.eps
        if self.momentum:
            b = self.buffers[i] = self.momentum * self.buffers[i] + g / avg
            return x - self.lr * b
        return x - self.lr * g / avg


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``::

        m ← β1·m + (1-β1)·g        v ← β2·v + (1-β2)·g²
        x ← x - lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)

    ``weight_decay`` adds ``weight_decay·x`` to g (L2, as Adam's own); ``AdamW``
    decouples it.

    >>> x = Value(1.0); opt = Adam([x], lr=0.1); x.grad = 5.0; opt.step()
    >>> round(x.data, 6)   # the first step moves by lr, whatever the grad's size
    0.9
    """

    decoupled = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps, self.weight_decay = eps, weight_decay
        n = len(self.params)
        self.m, self.v = [0.0] * n, [0.0] * n

    def _decay(self, x: float, g: float) -> tuple[float, float]:
        """Weight decay, into g (L2) or straight on x (decoupled); NAdam shares it."""
        if self.weight_decay:
            if self.decoupled:
                x = x * (1 - self.lr * self.weight_decay)
            else:
                g = g + self.weight_decay * x
        return x, g

    def _update(self, i: int, x: float, g: float) -> float:
        x, g = self._decay(x, g)
        b1, b2, t = self.beta1, self.beta2, self.steps
        m = self.m[i] = b1 * self.m[i] + (1 - b1) * g
        v = self.v[i] = b2 * self.v[i] + (1 - b2) * (g * g)
        step_size = self.lr / (1 - b1**t)
        denom = math.sqrt(v) / math.sqrt(1 - b2**t) + self.eps
        return x - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``: first
    ``x ← x·(1 - lr·weight_decay)``, then Adam's step without decay in the grad.

    >>> x = Value(1.0); opt = AdamW([x], lr=0.1, weight_decay=0.5); x.grad = 0.0; opt.step()
    >>> x.data   # only the decay acts: 1 · (1 - 0.05)
    0.95
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class NAdam(Adam):
    """Adam with Nesterov momentum (Dozat 2016), as ``torch.optim.NAdam``: the momentum
    coefficient warms up, ``μ_t = β1·(1 - 0.5·0.96^(t·momentum_decay))``, and each step
    mixes the current grad with the look-ahead momentum::

        m ← β1·m + (1-β1)·g        v ← β2·v + (1-β2)·g²        d = √(v/(1-β2^t)) + eps
        x ← x - lr·(1-μ_t)/(1-Π_{i≤t} μ_i) · g/d - lr·μ_{t+1}/(1-Π_{i≤t+1} μ_i) · m/d

    ``decoupled_weight_decay=True`` decays x as AdamW does (PyTorch's NAdamW).

    >>> x = Value(1.0); opt = NAdam([x], lr=0.1); x.grad = 5.0; opt.step()
    >>> round(x.data, 6)   # a little more than lr: the grad's share plus the look-ahead's
    0.894355
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
        self.momentum_decay = momentum_decay
        self.decoupled = decoupled_weight_decay
        self.mu_product = [1.0] * len(self.params)

    def _update(self, i: int, x: float, g: float) -> float:
        x, g = self._decay(x, g)
        b1, b2, t = self.beta1, self.beta2, self.steps
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.momentum_decay))
        product = self.mu_product[i] = self.mu_product[i] * mu
        m = self.m[i] = self.m[i] + (1 - b1) * (g - self.m[i])  # torch's lerp
        v = self.v[i] = b2 * self.v[i] + (1 - b2) * (g * g)
        denom = math.sqrt(v / (1 - b2**t)) + self.eps
        x = x + (-self.lr * (1.0 - mu) / (1.0 - product)) * (g / denom)
        return x + (-self.lr * mu_next / (1.0 - product * mu_next)) * (m / denom)


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), as ``torch.optim.Adadelta``: the step is scaled by the
    ratio of two running RMS, of past steps and of past grads, so ``lr = 1.0`` works::

        v ← ρ·v + (1-ρ)·g²        Δ = √(u + eps)/√(v + eps) · g        u ← ρ·u + (1-ρ)·Δ²
        x ← x - lr·Δ

    >>> x = Value(1.0); opt = Adadelta([x]); x.grad = 2.0; opt.step()
    >>> round(x.data, 6)   # 1 - √1e-6/√(0.4 + 1e-6)·2
    0.996838
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.rho, self.eps, self.weight_decay = rho, eps, weight_decay
        n = len(self.params)
        self.square_avg, self.acc_delta = [0.0] * n, [0.0] * n

    def _update(self, i: int, x: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * x
        rho = self.rho
        v = self.square_avg[i] = rho * self.square_avg[i] + (1 - rho) * (g * g)
        delta = math.sqrt(self.acc_delta[i] + self.eps) / math.sqrt(v + self.eps) * g
        self.acc_delta[i] = rho * self.acc_delta[i] + (1 - rho) * (delta * delta)
        return x - self.lr * delta


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all grads together so their global L2 norm is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_`` (factor ``max_norm / (norm + 1e-6)``, at most 1).
    Returns the norm before clipping.

    >>> a, b = Value(0.0), Value(0.0); a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params = list(params)
    norm = math.sqrt(sum(p.grad * p.grad for p in params))
    scale = min(max_norm / (norm + 1e-6), 1.0)
    if scale < 1.0:
        for p in params:
            p.grad *= scale
    return norm


class LambdaLR:
    """Learning rate ``base_lr · fn(epoch)``, as ``torch.optim.lr_scheduler.LambdaLR``;
    call ``step()`` once per epoch, after ``optimizer.step()``.

    micrograd's demo schedule ``1.0 - 0.9·k/100``:

    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    >>> schedule.step()
    0.991
    """

    def __init__(self, optimizer: Optimizer, fn: Callable[[int], float]) -> None:
        self.optimizer, self.fn = optimizer, fn
        self.base_lr = optimizer.lr
        self.epoch = 0
        optimizer.lr = self.base_lr * fn(0)

    def step(self) -> float:
        """Move to the next epoch; return the new learning rate.

        >>> LambdaLR(SGD([Value(0.0)], lr=0.5), lambda k: 1 / (k + 1)).step()
        0.25
        """
        self.epoch += 1
        self.optimizer.lr = self.base_lr * self.fn(self.epoch)
        return self.optimizer.lr


class StepLR(LambdaLR):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs, as
    ``torch.optim.lr_scheduler.StepLR``.

    >>> opt = SGD([Value(0.0)], lr=0.1)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> [round(schedule.step(), 6) for _ in range(4)]
    [0.1, 0.05, 0.05, 0.025]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, lambda epoch: gamma ** (epoch // step_size))
