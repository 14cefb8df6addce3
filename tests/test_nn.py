"""microprop.nn: micrograd compatibility, modules, initializations, dropout and scopes."""

from __future__ import annotations

import json
import math
import random
import statistics

import numpy as np
import pytest

from microprop import Value
from microprop.gradcheck import gradcheck
from microprop.nn import MLP, Dropout, Layer, Module, Neuron, PReLU, prelu

MICROGRAD_STEP0_LOSS = 0.8958441028683222  # micrograd's demo.ipynb, step 0


def moons_loss(model, X, y, value=Value):
    """micrograd demo's loss(): max-margin on every sample + 1e-4·L2, and the accuracy."""
    inputs = [list(map(value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
    return data_loss + reg_loss, sum(accuracy) / len(accuracy)


def moons_run(mlp, value, steps: int) -> list[float]:
    """micrograd's demo loop for ``steps`` steps; the losses."""
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = mlp(2, [16, 16, 1])
    losses = []
    for k in range(steps):
        total_loss, _ = moons_loss(model, X, y, value)
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        losses.append(float(total_loss.data))
    return losses


def test_micrograd_demo_step0_bit_exact() -> None:
    """micrograd's moons demo gives step-0 loss 0.8958441028683222, to the last bit."""
    assert moons_run(MLP, Value, 1)[0] == MICROGRAD_STEP0_LOSS


def test_matches_micrograd_package() -> None:
    """Same weights, same forward numbers as the micrograd package; later steps agree to
    ~1e-15 (micrograd's own grad sums follow a set's order, so they vary in the last bit)."""
    mg_engine = pytest.importorskip("micrograd.engine")
    mg_nn = pytest.importorskip("micrograd.nn")
    ours = moons_run(MLP, Value, 2)
    theirs = moons_run(mg_nn.MLP, mg_engine.Value, 2)
    assert ours[0] == theirs[0] == MICROGRAD_STEP0_LOSS
    assert ours == pytest.approx(theirs, rel=1e-12)
    random.seed(7)
    a = [p.data for p in MLP(3, [4, 4, 1]).parameters()]
    random.seed(7)
    b = [p.data for p in mg_nn.MLP(3, [4, 4, 1]).parameters()]
    assert a == b


def test_numpy_inputs() -> None:
    """numpy arrays, numpy scalars and Python floats as inputs give the same output."""
    model = MLP(3, [4, 1], rng=0)
    x = [0.5, -1.25, 2.0]
    expected = model(x).data
    assert model(np.array(x)).data == expected
    assert model([np.float64(0.5), np.float32(-1.25), np.int64(2)]).data == expected
    assert model([Value(v) for v in np.array(x)]).data == expected
    score = model(x)
    assert (np.float64(2.0) * score).data == 2.0 * expected  # numpy defers to Value
    assert (np.int64(1) - score).data == 1 - expected


def test_mlp_returns_value_or_list_and_layer_always_list() -> None:
    """MLP returns a Value for one output, a list otherwise; Layer always a list."""
    assert isinstance(MLP(2, [3, 1], rng=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], rng=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 1, rng=0)([1.0, 2.0]), list)
    assert isinstance(MLP(2, [1, 1], rng=0)([1.0, 2.0]), Value)  # a 1-wide hidden layer works


def test_neuron_sum_order_and_bias() -> None:
    """A neuron computes relu(((b + w0·x0) + w1·x1) + w2·x2) with b = 0 at init."""
    n = Neuron(3, rng=0)
    assert n.b.data == 0.0
    x = [0.1, 0.2, 0.3]
    expected = ((n.b.data + n.w[0].data * x[0]) + n.w[1].data * x[1]) + n.w[2].data * x[2]
    assert n(x).data == max(expected, 0.0)
    assert Neuron(3, nonlin=False, rng=0)(x).data == expected


def test_micrograd_weight_order() -> None:
    """Weights are random.uniform(-1, 1) draws, neuron by neuron, layer by layer."""
    random.seed(42)
    model = MLP(2, [2, 1])
    random.seed(42)
    draws = [random.uniform(-1, 1) for _ in range(2 * 2 + 2)]
    assert [p.data for p in model.parameters()] == [
        draws[0],
        draws[1],
        0.0,
        draws[2],
        draws[3],
        0.0,
        draws[4],
        draws[5],
        0.0,
    ]


def test_named_parameters_and_counts() -> None:
    """Names are dotted paths; parameters() follows the same order."""
    model = MLP(3, [4, 4, 1], rng=0)
    named = list(model.named_parameters())
    assert len(named) == 4 * 4 + 4 * 5 + 5 == len(model.parameters())
    assert named[0][0] == "layers.0.neurons.0.w.0"
    assert named[-1][0] == "layers.2.neurons.0.b"
    assert [p for _, p in named] == model.parameters()


def test_zero_grad() -> None:
    """zero_grad clears every parameter's grad after a backward pass."""
    model = MLP(2, [3, 1], rng=1)
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in model.parameters())


def test_state_dict_json_round_trip() -> None:
    """state_dict → JSON → load_state_dict reproduces the model's outputs exactly."""
    a = MLP(3, [5, 2], activation="tanh", rng=1)
    b = MLP(3, [5, 2], activation="tanh", rng=2)
    text = json.dumps(a.state_dict())
    b.load_state_dict(json.loads(text))
    assert [v.data for v in b([0.3, -0.7, 1.1])] == [v.data for v in a([0.3, -0.7, 1.1])]


def test_load_state_dict_strict() -> None:
    """Missing or unexpected keys raise in strict mode and are tolerated otherwise."""
    model = MLP(2, [2, 1], rng=0)
    state = model.state_dict()
    state.pop("layers.0.neurons.0.b")
    with pytest.raises(KeyError, match="missing"):
        model.load_state_dict(state)
    state["extra"] = 1.0
    model.load_state_dict({**state, "layers.0.neurons.0.w.0": 0.25}, strict=False)
    assert model.layers[0].neurons[0].w[0].data == 0.25


@pytest.mark.parametrize(
    "activation, fn",
    [
        ("relu", lambda s: max(s, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda s: 1 / (1 + math.exp(-s))),
        ("leaky_relu", lambda s: s if s > 0 else 0.01 * s),
        ("elu", lambda s: s if s > 0 else math.expm1(s)),
        ("linear", lambda s: s),
    ],
)
def test_activations(activation: str, fn) -> None:
    """Each named activation is applied to the neuron's weighted sum."""
    n = Neuron(2, activation=activation, rng=0)
    n.w[0].data, n.w[1].data, n.b.data = -0.5, 0.25, 0.1
    for x in ([1.0, 2.0], [3.0, -1.0]):
        s = (0.1 + -0.5 * x[0]) + 0.25 * x[1]
        assert n(x).data == pytest.approx(fn(s), rel=1e-12)


def test_per_layer_activations() -> None:
    """A list gives one activation per hidden layer; output picks the last layer's."""
    model = MLP(2, [3, 3, 1], activation=["tanh", "sigmoid"], output="sigmoid", rng=0)
    kinds = [n.activation for layer in model.layers for n in layer.neurons]
    assert kinds == ["tanh"] * 3 + ["sigmoid"] * 3 + ["sigmoid"]
    assert 0.0 < model([1.0, 1.0]).data < 1.0
    with pytest.raises(ValueError, match="hidden"):
        MLP(2, [3, 1], activation=["tanh", "tanh"])
    with pytest.raises(ValueError, match="unknown activation"):
        Neuron(2, activation="swish")


@pytest.mark.parametrize(
    "init, std",
    [
        ("uniform", 1 / math.sqrt(3)),
        ("xavier", math.sqrt(2 / (200 + 100))),
        ("xavier_normal", math.sqrt(2 / (200 + 100))),
        ("he", math.sqrt(2 / 200)),
        ("he_uniform", math.sqrt(2 / 200)),
    ],
)
def test_init_scales(init: str, std: float) -> None:
    """Each initialization has its textbook standard deviation (200 in, 100 out)."""
    layer = Layer(200, 100, init=init, rng=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert statistics.pstdev(weights) == pytest.approx(std, rel=0.02)
    assert abs(statistics.fmean(weights)) < 0.01
    if init in ("xavier", "he_uniform"):
        bound = math.sqrt(3) * std
        assert max(map(abs, weights)) <= bound


def test_seeded_init_is_reproducible() -> None:
    """The same seed gives the same weights; the global random state is left alone."""
    random.seed(5)
    before = random.random()
    random.seed(5)
    a = [p.data for p in MLP(4, [8, 1], init="he", rng=11).parameters()]
    b = [p.data for p in MLP(4, [8, 1], init="he", rng=random.Random(11)).parameters()]
    assert a == b
    assert random.random() == before


def test_dropout_train_and_eval() -> None:
    """Dropout zeroes about p of its inputs and scales the rest by 1/(1-p) in training,
    passes inputs through in eval mode, and its grads follow the mask."""
    d = Dropout(0.3, rng=0)
    xs = [Value(1.0) for _ in range(2000)]
    out = d(xs)
    kept = [v.data for v in out if v.data != 0.0]
    assert set(kept) == {1.0 / 0.7}
    assert len(kept) / len(xs) == pytest.approx(0.7, abs=0.04)
    sum(out).backward()
    assert all(x.grad == o.data for x, o in zip(xs, out))
    d.eval()
    assert d(xs) == xs
    assert [v.data for v in Dropout(1.0, rng=0)([Value(2.0)] * 3)] == [0.0, 0.0, 0.0]


def test_mlp_dropout_only_in_train_mode() -> None:
    """An MLP with dropout is random in training mode and deterministic in eval mode."""
    model = MLP(2, [64, 1], dropout=0.5, rng=3)
    x = [0.5, -0.5]
    train_outs = {model(x).data for _ in range(5)}
    assert len(train_outs) > 1
    model.eval()
    assert not any(m.training for m in model.modules())
    eval_outs = {model(x).data for _ in range(3)}
    assert len(eval_outs) == 1
    with_no_dropout = MLP(2, [64, 1], rng=3)
    assert eval_outs == {with_no_dropout(x).data}


def test_scopes() -> None:
    """Nodes built inside neuron j of layer i carry scope "layer i / neuron j"; inputs none."""
    model = MLP(2, [3, 1], rng=0)
    x = [Value(1.0, label="x1"), Value(2.0, label="x2")]
    out = model(x)
    assert out.scope == "layer 2 / neuron 1"
    scopes = {v.scope for v in out.topo_order()}
    assert scopes == {
        "",
        "layer 1 / neuron 1",
        "layer 1 / neuron 2",
        "layer 1 / neuron 3",
        "layer 2 / neuron 1",
    }
    assert all(v.scope == "" for v in x)
    assert all(p.scope.startswith("layer ") for p in model.parameters())
    n = Neuron(2, rng=0)
    assert n([1.0, 2.0]).scope == "neuron"


def test_custom_module() -> None:
    """A user Module finds Values and sub-modules among its attributes."""

    class Affine(Module):
        def __init__(self) -> None:
            self.scale = Value(2.0)
            self.inner = Neuron(1, rng=0)

    m = Affine()
    assert [name for name, _ in m.named_parameters()] == ["scale", "inner.w.0", "inner.b"]
    assert m.eval().inner.training is False


def test_repr_like_micrograd() -> None:
    """Reprs read as micrograd's."""
    assert repr(MLP(2, [2, 1], rng=0)) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]"
    )


def test_wrong_number_of_inputs() -> None:
    """A neuron given the wrong number of inputs says so instead of silently truncating."""
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        MLP(3, [2, 1], rng=0)([1.0, 2.0])


# --- PReLU: the slope is learnt ---------------------------------------------------------------


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 0.5, 3.0])
def test_prelu_grads(x: float) -> None:
    """prelu(x, a) = x if x > 0 else a·x; d/dx = 1 if x > 0 else a (a at x = 0, as PyTorch); d/da = min(x, 0)."""
    xv, a = Value(x), Value(0.3)
    y = prelu(xv, a)
    y.backward()
    assert y.data == (x if x > 0 else 0.3 * x)
    assert xv.grad == (1.0 if x > 0 else 0.3)
    assert a.grad == min(x, 0.0)
    if x != 0:
        gradcheck(prelu, [x, 0.3])


def test_prelu_module() -> None:
    """nn.PReLU: one slope (0.25) shared, or one per input; the slope is a parameter named weight."""
    shared = PReLU()
    assert [name for name, _ in shared.named_parameters()] == ["weight.0"]
    out = shared([Value(-4.0), Value(2.0), Value(-1.0)])
    assert [v.data for v in out] == [-1.0, 2.0, -0.25]
    sum(out).backward()
    assert shared.weight[0].grad == -5.0  # min(x, 0) summed over the inputs that share it
    per_input = PReLU(2, init=0.1)
    assert [v.data for v in per_input([Value(-1.0), Value(-2.0)])] == [-0.1, -0.2]
    with pytest.raises(ValueError, match="2 slopes for 3 inputs"):
        per_input([1.0, 2.0, 3.0])


@pytest.mark.parametrize("x", [-1.5, 0.0, 2.0])
def test_prelu_matches_torch(x: float) -> None:
    """Value and both grads agree with torch.nn.functional.prelu, at the kink too."""
    torch = pytest.importorskip("torch")
    xt = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    at = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    yt = torch.nn.functional.prelu(xt, at)
    yt.sum().backward()
    xv, a = Value(x), Value(0.3)
    y = prelu(xv, a)
    y.backward()
    assert (y.data, xv.grad, a.grad) == (yt.item(), xt.grad.item(), at.grad.item())


def test_network_graphs_name_parameters_and_draw_each_input_once() -> None:
    """MLP(2, [16, 16, 1])([1.0, 2.0]): parameters are labelled L1.N3.w0 ... as named_parameters
    orders them, the two inputs are two nodes (not 32), and the drawing lists layers and neurons
    in ascending order."""
    import re

    from microprop.viz import to_dot

    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    out = model([1.0, 2.0])
    labels = [p.label for p in model.parameters()]
    assert labels[:3] == ["L1.N1.w0", "L1.N1.w1", "L1.N1.b"] and labels[-1] == "L3.N1.b"
    assert len(set(labels)) == len(labels) == 337
    named = [name for name, _ in model.named_parameters()]
    assert named.index("layers.0.neurons.2.w.0") == labels.index("L1.N3.w0")
    params = set(model.parameters())
    inputs = [v for v in out.topo_order() if v.op is None and v not in params]
    assert sorted(v.label for v in inputs) == ["x0", "x1"]
    clusters = re.findall(r'label="(layer \d+|neuron \d+)"', to_dot(out, max_nodes=5000))
    layers = [c for c in clusters if c.startswith("layer")]
    assert layers == ["layer 1", "layer 2", "layer 3"]
    first = clusters[1 : clusters.index("layer 2")]
    assert first == [f"neuron {j}" for j in range(1, 17)]
