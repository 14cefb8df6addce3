"""Neural networks from Values: ``Neuron``, ``Layer``, ``MLP`` and ``Dropout``.

By default this is micrograd's ``nn`` module, number for number: weights drawn with
``random.uniform(-1, 1)`` in the same order, bias 0, relu hidden layers, a linear
output, and each neuron sums ``b + w0·x0 + w1·x1 + ...`` in micrograd's order. So
lecture code runs with only the imports changed and gives the same losses.

Beyond micrograd: an activation per layer, Xavier/Glorot and He initialization from a
seedable generator, ``Dropout``, named parameters and a JSON-friendly ``state_dict``.
Every node built inside a neuron carries ``scope`` ("layer 1 / neuron 3"), which
``microprop.viz`` draws as a cluster.

>>> import random; random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> score = model([0.5, -1.0])
>>> type(score).__name__, len(model.parameters())
('Value', 337)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from .engine import Value
from .i18n import ntr, tr

Activation = str | Callable[[Value], Value]
Rng = random.Random | int | None

#: activations by name; "linear" leaves the sum as it is
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "elu": Value.elu,
    "linear": None,
}


def prelu(x: Value | float, a: Value | float) -> Value:
    """Parametric ReLU (He et al. 2015): ``x`` if x > 0 else ``a·x``, with a learnable
    slope ``a``. Composed as ``relu(x) + a·(x - relu(x))`` so every derivative is
    PyTorch's, at x = 0 too: d/dx = 1 if x > 0 else a, d/da = min(x, 0).

    >>> x, a = Value(-2.0), Value(0.25)
    >>> y = prelu(x, a); y.backward()
    >>> y.data, x.grad, a.grad
    (-0.5, 0.25, -2.0)
    """
    x = x if isinstance(x, Value) else Value(x)
    positive = x.relu()
    return positive + a * (x - positive)


def _uniform(rng: Any, nin: int, nout: int) -> float:
    return rng.uniform(-1, 1)  # micrograd's


def _xavier(rng: Any, nin: int, nout: int) -> float:
    limit = math.sqrt(6.0 / (nin + nout))  # Glorot & Bengio 2010, uniform
    return rng.uniform(-limit, limit)


def _xavier_normal(rng: Any, nin: int, nout: int) -> float:
    return rng.gauss(0.0, math.sqrt(2.0 / (nin + nout)))


def _he(rng: Any, nin: int, nout: int) -> float:
    return rng.gauss(0.0, math.sqrt(2.0 / nin))  # He et al. 2015, for relu


def _he_uniform(rng: Any, nin: int, nout: int) -> float:
    limit = math.sqrt(6.0 / nin)
    return rng.uniform(-limit, limit)


#: weight initializations: name -> draw(rng, fan_in, fan_out) -> float
INITS: dict[str, Callable[[Any, int, int], float]] = {
    "uniform": _uniform,
    "xavier": _xavier,
    "xavier_normal": _xavier_normal,
    "he": _he,
    "he_uniform": _he_uniform,
}


def make_rng(rng: Rng) -> Any:
    """A generator from a seed, a ``random.Random``, or ``None`` for the ``random``
    module itself (micrograd's: ``random.seed(1337)`` then reproduces its weights).

    >>> make_rng(0).uniform(-1, 1) == random.Random(0).uniform(-1, 1)
    True
    """
    if rng is None:
        return random
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    return rng


def _activation(name: Activation) -> Callable[[Value], Value] | None:
    if callable(name):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(
            tr(
                "unknown activation {name}; choose from {choices}",
                name=repr(name),
                choices=", ".join(ACTIVATIONS),
            )
        )
    return ACTIVATIONS[name]


class Module:
    """Base class: parameters are found by walking the attributes (Values, Modules
    and lists of them, in the order they were set), as in PyTorch.

    >>> n = Neuron(2)
    >>> [name for name, _ in n.named_parameters()]
    ['w.0', 'w.1', 'b']
    """

    training: bool = True

    def _children(self) -> Iterator[tuple[str, Any]]:
        for name, item in vars(self).items():
            if isinstance(item, (Value, Module)):
                yield name, item
            elif isinstance(item, (list, tuple)) and item and isinstance(item[0], (Value, Module)):
                for i, sub in enumerate(item):
                    yield f"{name}.{i}", sub

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(dotted name, Value)`` for every parameter, in a fixed order.

        >>> [name for name, _ in Layer(1, 2).named_parameters()]
        ['neurons.0.w.0', 'neurons.0.b', 'neurons.1.w.0', 'neurons.1.b']
        """
        for name, item in self._children():
            if isinstance(item, Value):
                yield prefix + name, item
            else:
                yield from item.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Value]:
        """Every parameter, in micrograd's order (per neuron: weights, then bias).

        >>> len(MLP(3, [4, 4, 1]).parameters())
        41
        """
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it.

        >>> [type(m).__name__ for m in Layer(1, 2).modules()]
        ['Layer', 'Neuron', 'Neuron']
        """
        yield self
        for _, item in self._children():
            if isinstance(item, Module):
                yield from item.modules()

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.

        >>> n = Neuron(1); n.b.grad = 3.0; n.zero_grad(); n.b.grad
        0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all inside it.

        >>> MLP(2, [3, 1], dropout=0.5).eval().train().training
        True
        """
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout passes values through.

        >>> Dropout(0.5).eval().training
        False
        """
        return self.train(False)

    def state_dict(self) -> dict[str, float]:
        """Parameter values by name: plain floats, so ``json.dumps`` takes it as is.

        >>> Neuron(1, rng=0).state_dict()["b"]
        0.0
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> None:
        """Set parameter values from ``state_dict()`` output (e.g. read back from JSON).

        With ``strict`` (the default), missing or unexpected names raise ``KeyError``.

        >>> import json
        >>> a, b = MLP(2, [3, 1], rng=1), MLP(2, [3, 1], rng=2)
        >>> b.load_state_dict(json.loads(json.dumps(a.state_dict())))
        >>> b([1.0, 2.0]).data == a([1.0, 2.0]).data
        True
        """
        params = dict(self.named_parameters())
        if strict:
            missing = [name for name in params if name not in state]
            unexpected = [name for name in state if name not in params]
            if missing or unexpected:
                raise KeyError(
                    tr(
                        "state_dict mismatch: missing {missing}, unexpected {unexpected}",
                        missing=missing,
                        unexpected=unexpected,
                    )
                )
        for name, value in state.items():
            if name in params:
                params[name].data = float(value)


def _set_scope(nodes: Sequence[Value], scope: str) -> None:
    for v in nodes:
        v.scope = scope


def short_name(scope: str) -> str:
    """The scope as the prefix of its parameters' labels: ``layer 1 / neuron 3`` -> ``L1.N3``
    (parts without a number, like a lone ``neuron``, are left out).

    >>> short_name("layer 1 / neuron 3"), short_name("neuron")
    ('L1.N3', '')
    """
    parts = [part.split() for part in scope.split("/")]
    return ".".join(f"{words[0][0].upper()}{words[1]}" for words in parts if len(words) == 2)


def as_inputs(x: Sequence[Value | float]) -> list[Value]:
    """The inputs as Values, numbers made into leaves once (labelled ``x0, x1, ...``), so a
    layer's neurons share them and a drawing shows each input once.

    >>> [v.label for v in as_inputs([1.0, Value(2.0, label="t")])]
    ['x0', 't']
    """
    return [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x)]


class Neuron(Module):
    """One neuron: ``activation(b + w0·x0 + w1·x1 + ...)``.

    ``nonlin`` is micrograd's switch (relu or linear); ``activation`` names any of
    ``ACTIVATIONS`` (or is a function of a Value) and wins over it. ``init`` picks
    the weight initialization (``INITS``), drawn from ``rng`` (a ``random.Random``,
    a seed, or ``None`` for the ``random`` module); ``fan_out`` feeds Xavier.

    >>> n = Neuron(2, activation="tanh", rng=0)
    >>> n.w[0].data = -3.0; n.w[1].data = 1.0; n.b.data = 6.8813735870195432
    >>> round(n([2.0, 0.0]).data, 4)
    0.7071
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: Activation | None = None,
        init: str = "uniform",
        rng: Rng = None,
        fan_out: int = 1,
        scope: str = "neuron",
    ) -> None:
        if init not in INITS:
            raise ValueError(
                tr("unknown init {init}; choose from {choices}", init=repr(init), choices=", ".join(INITS))
            )
        draw, gen = INITS[init], make_rng(rng)
        prefix = (
            short_name(scope) + "." if short_name(scope) else ""
        )  # L1.N3.w0: as named_parameters orders them
        self.w = [Value(draw(gen, nin, fan_out), label=f"{prefix}w{i}") for i in range(nin)]
        self.b = Value(0.0, label=f"{prefix}b")
        self.activation: Activation = (
            activation if activation is not None else ("relu" if nonlin else "linear")
        )
        self._act = _activation(self.activation)
        self.nonlin = self._act is not None
        self.scope = scope
        _set_scope(self.parameters(), scope)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(
                ntr(
                    "this neuron takes {n} input, got {got}",
                    "this neuron takes {n} inputs, got {got}",
                    len(self.w),
                    got=len(x),
                )
            )
        scope = self.scope
        act = self.b
        for wi, xi in zip(self.w, x):  # the order of micrograd's sum(..., self.b)
            wx = wi * xi
            wx.scope = scope
            act = act + wx
            act.scope = scope
        if self._act is not None:
            act = self._act(act)
            act.scope = scope
        return act

    def __repr__(self) -> str:
        name = self.activation if isinstance(self.activation, str) else "Custom"
        kind = {"relu": "ReLU", "linear": "Linear"}.get(name, name.title().replace("_", ""))
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; always returns a list (micrograd's
    returns a bare Value for one neuron: ``MLP`` does that at the end instead).

    >>> Layer(2, 1, rng=0)([1.0, 2.0])  # doctest: +ELLIPSIS
    [Value(data=..., grad=0.0)]
    """

    def __init__(self, nin: int, nout: int, *, scope: str = "layer", **kwargs: Any) -> None:
        kwargs["rng"] = make_rng(kwargs.get("rng"))  # one generator for all neurons
        kwargs.setdefault("fan_out", nout)
        self.neurons = [Neuron(nin, scope=f"{scope} / neuron {j + 1}", **kwargs) for j in range(nout)]
        self.scope = scope

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        inputs = as_inputs(x)
        return [n(inputs) for n in self.neurons]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class Dropout(Module):
    """Inverted dropout: in training mode each input is zeroed with probability
    ``p`` and the rest scaled by ``1/(1-p)``; in eval mode inputs pass unchanged.

    >>> d = Dropout(0.5, rng=0)
    >>> [v.data for v in d([Value(1.0)] * 4)]
    [2.0, 2.0, 0.0, 0.0]
    >>> [v.data for v in d.eval()([Value(1.0)] * 2)]
    [1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, *, rng: Rng = None, scope: str = "dropout") -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(tr("dropout probability must be in [0, 1], got {p}", p=p))
        self.p = float(p)
        self.rng = make_rng(rng)
        self.scope = scope

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        if not self.training or self.p == 0.0:
            return list(x)  # type: ignore[arg-type]
        keep = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        out = []
        for xi in x:
            v = (xi if isinstance(xi, Value) else Value(xi)) * (0.0 if self.rng.random() < self.p else keep)
            v.scope = self.scope
            out.append(v)
        return out

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class PReLU(Module):
    """``prelu`` with its slope a parameter (``weight``, 0.25 to start, as
    ``torch.nn.PReLU``): one slope shared by all inputs, or ``num_parameters`` of
    them, one per input. Takes a Value or a list of them (a layer's outputs).

    >>> act = PReLU()
    >>> [v.data for v in act([Value(-4.0), Value(3.0)])], act.parameters()
    ([-1.0, 3.0], [Value(data=0.25, grad=0.0)])
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *, scope: str = "prelu") -> None:
        if num_parameters < 1:
            raise ValueError(tr("num_parameters must be at least 1, not {n}", n=num_parameters))
        self.weight = [Value(float(init)) for _ in range(num_parameters)]
        self.scope = scope
        _set_scope(self.weight, scope)

    def __call__(self, x: Value | float | Sequence[Value | float]) -> Value | list[Value]:
        if isinstance(x, (Value, int, float)):
            if len(self.weight) != 1:
                raise ValueError(
                    tr("this PReLU has {n} slopes; give it a list of inputs", n=len(self.weight))
                )
            return self._one(x, self.weight[0])
        if len(self.weight) not in (1, len(x)):
            raise ValueError(
                tr("this PReLU has {n} slopes for {inputs} inputs", n=len(self.weight), inputs=len(x))
            )
        slopes = self.weight * len(x) if len(self.weight) == 1 else self.weight
        return [self._one(xi, a) for xi, a in zip(x, slopes)]

    def _one(self, x: Value | float, a: Value) -> Value:
        out = prelu(x, a)
        stack, old = [out], {id(x), id(a)}
        while stack:  # the few nodes prelu made: stop at its inputs
            v = stack.pop()
            if id(v) not in old and v.op is not None:
                v.scope = self.scope
                stack.extend(v.parents)
        return out

    def __repr__(self) -> str:
        return f"PReLU(num_parameters={len(self.weight)})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(3, [4, 4, 1])`` has two hidden layers of 4.

    Hidden layers use ``activation`` (one name, or one per hidden layer), the last
    layer ``output``; ``dropout`` > 0 adds a ``Dropout`` after each hidden layer.
    Returns a Value when the last layer has one output, else a list (as micrograd).

    >>> model = MLP(2, [8, 3], activation="tanh", output="linear", init="xavier", rng=0)
    >>> len(model([1.0, -1.0])), model
    (3, MLP of [Layer of [TanhNeuron(2), ...], Layer of [LinearNeuron(8), ...]])
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: Activation | Sequence[Activation] = "relu",
        output: Activation = "linear",
        init: str = "uniform",
        rng: Rng = None,
        dropout: float = 0.0,
    ) -> None:
        nouts = list(nouts)
        hidden = len(nouts) - 1
        if isinstance(activation, (list, tuple)):
            if len(activation) != hidden:
                raise ValueError(
                    tr(
                        "{given} activations given for {hidden} hidden layers",
                        given=len(activation),
                        hidden=hidden,
                    )
                )
            acts = [*activation, output]
        else:
            acts = [activation] * hidden + [output]
        gen = make_rng(rng)
        sizes = [nin, *nouts]
        self.layers: list[Layer | Dropout] = []
        for i, act in enumerate(acts):
            scope = f"layer {i + 1}"
            self.layers.append(Layer(sizes[i], sizes[i + 1], activation=act, init=init, rng=gen, scope=scope))
            if dropout > 0 and i < hidden:
                self.layers.append(Dropout(dropout, rng=gen, scope=f"{scope} / dropout"))

    def __call__(self, x: Sequence[Value | float]) -> Any:
        """A Value, or a list of Values when the last layer has several outputs
        (micrograd's convention; typed ``Any`` so callers need no casts)."""
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
