"""Every example in examples/ runs and reproduces its numbers (with short runs where training is long)."""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


def load_example(name: str):
    """Import examples/NAME.py as a module."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_tested() -> None:
    """Each examples/*.py file has a test in this module."""
    tested = {"lecture_neuron", "mazur", "micrograd_moons", "classification", "house_prices", "optimizers",
              "binary_bce", "activations", "stability", "weight_decay_graph", "layers_from_scratch", "early_stopping", "rnn_bptt",
              "digits", "newton", "tanh_second_derivative", "mazur_hessian", "forward_vs_reverse"}  # fmt: skip
    assert {p.stem for p in (ROOT / "examples").glob("*.py")} == tested


def test_lecture_neuron_graph_images(tmp_path: pathlib.Path, dot_program: str, capsys) -> None:
    """The lecture neuron prints its backward steps and writes forward and backward PNGs."""
    load_example("lecture_neuron").main(str(tmp_path))
    text = capsys.readouterr().out
    assert "x1.grad += w1 × x1w1.grad = (-3.0)(0.5) = -1.5" in text
    for view in ("forward", "backward"):
        assert (tmp_path / f"lecture_neuron_{view}.png").read_bytes().startswith(PNG)


def test_mazur_published_values() -> None:
    """Every number of Mazur's post, the error after one update and after 10,000."""
    mazur = load_example("mazur")
    out = mazur.mazur(10_000)
    assert mazur.check(out) == []
    assert f"{out['E_total']:.9f}" == "0.298371109"
    assert f"{out['dE/dw5']:.9f}" == "0.082167041"
    assert f"{out['w5+']:.8f}" == "0.35891648"
    assert f"{out['w1+']:.9f}" == "0.149780716"
    assert f"{out['E after 1']:.9f}" == "0.291027774"
    assert f"{out['E after 10000']:.4e}" == "3.5102e-05"


def test_mazur_main_reports(capsys) -> None:
    """The script prints each value next to the post's and exits 0."""
    assert load_example("mazur").main([]) == 0
    out = capsys.readouterr().out
    assert "E after 1 = 0.291027774   (the post prints 0.291027924)" in out
    assert "its 0.291027924 is not the error of the weights it prints" in out
    assert "all published values reproduced" in out


def test_micrograd_moons(tmp_path: pathlib.Path, capsys) -> None:
    """micrograd's notebook, unchanged but imports: step 0 loss 0.8958441028683222 and its figures
    (tests/test_nn.py compares later steps with the micrograd package)."""
    pytest.importorskip("sklearn")
    losses = load_example("micrograd_moons").demo(steps=1, out=str(tmp_path))
    assert losses == [0.8958441028683222]
    assert "step 0 loss 0.8958441028683222, accuracy 50.0%" in capsys.readouterr().out
    for name in ("moons_data.png", "moons_boundary.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


def test_classification() -> None:
    """Short runs already classify the held-out tumours and flowers well."""
    pytest.importorskip("sklearn")
    example = load_example("classification")
    binary = example.binary(epochs=2)
    assert binary["accuracy"] > 0.9
    multi = example.multiclass(steps=20)
    assert multi["accuracy"] > 0.85
    assert multi["train_cross_entropy"] < 0.5


def test_house_prices_k_fold() -> None:
    """K-fold gives one log-RMSE per fold, each better than predicting the mean."""
    pytest.importorskip("sklearn")
    example = load_example("house_prices")
    results = example.cross_validate(folds=2, epochs=12)
    assert [r["fold"] for r in results] == [1, 2]
    for r in results:
        assert math.isfinite(r["log_rmse"]) and r["log_rmse"] < r["baseline"]


def test_log_rmse_and_folds() -> None:
    """log-RMSE clamps predictions below 1; the folds partition the rows."""
    example = load_example("house_prices")
    assert example.log_rmse([100.0, 0.5], [100.0, math.e]) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    folds = example.k_fold(10, 3)
    assert sorted(i for _, valid in folds for i in valid) == list(range(10))
    assert all(set(train).isdisjoint(valid) for train, valid in folds)


def test_optimizers_figure(tmp_path: pathlib.Path) -> None:
    """Each optimizer lowers the loss; the figure is written."""
    pytest.importorskip("matplotlib")
    example = load_example("optimizers")
    curves = example.compare(steps=40, out=tmp_path / "optimizers.png")
    assert set(curves) == set(example.OPTIMIZERS)
    assert all(c[-1] < 0.5 * c[0] for c in curves.values())
    assert (tmp_path / "optimizers.png").read_bytes().startswith(PNG)


# --- the course notes' syllabus (issue 15) -------------------------------------------------------


def test_binary_bce_raw_crawls_standardized_learns(tmp_path: pathlib.Path) -> None:
    """The label rule holds; on raw inputs lr = 0.0001 stalls near the notes' cost, standardized inputs learn."""
    pytest.importorskip("matplotlib")
    example = load_example("binary_bce")
    X, y = example.make_data(n=200)
    assert all((label == 1.0) == (min(p) >= 40 and sum(p) >= 180) for p, label in zip(X, y))
    raw = example.train("raw", 1e-4, epochs=2)
    standard = example.train("standard", 0.5, epochs=2)
    assert raw["cost"][0] == standard["cost"][0] == pytest.approx(0.6931471805599453)  # weights start at 0
    assert raw["cost"][-1] > 0.55 and standard["cost"][-1] < 0.3
    assert standard["test_accuracy"] > 0.85
    path = example.plot({"raw": raw, "standard": standard}, tmp_path / "binary_bce.png")
    assert path.read_bytes().startswith(PNG)


def test_stability_parts() -> None:
    """Sigmoid stacks vanish toward the input, random products explode, constant init gives identical units."""
    example = load_example("stability")
    norms = example.vanishing(depth=6, width=4)
    assert norms["sigmoid"][0] < 1e-2 * norms["sigmoid"][-1]
    grows = example.exploding(factors=12)
    assert grows["product"][-1] > 100 * grows["product"][0] and grows["grad of M1"][-1] > 100
    grads = example.symmetry()
    assert all(row == grads["constant 0.5"][0] for row in grads["constant 0.5"])
    assert len({tuple(row) for row in grads["xavier"]}) == len(grads["xavier"])
    init = example.initialization(depth=4, width=8)
    assert max(init["xavier"]) / min(init["xavier"]) < max(init["uniform"]) / min(init["uniform"])


def test_stability_figure(tmp_path: pathlib.Path) -> None:
    """main() prints the four parts and writes the figure."""
    pytest.importorskip("matplotlib")
    assert load_example("stability").main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "stability.png").read_bytes().startswith(PNG)


def test_weight_decay_graph_matches_d2l(tmp_path: pathlib.Path, dot_program: str) -> None:
    """The scalar engine's grads equal d2l's ∂J/∂W1, ∂J/∂W2 formulas; both pictures are drawn, by layer and in full."""
    example = load_example("weight_decay_graph")
    for seed in range(3):
        assert max(example.check(seed=seed).values()) < 1e-14
    paths = example.draw(tmp_path)
    assert all(p.read_bytes().startswith(PNG) for p in paths)


def png_size(path: pathlib.Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    head = path.read_bytes()[:24]
    assert head.startswith(PNG)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_scalar_graphs_read_at_natural_size(tmp_path: pathlib.Path, dot_program: str) -> None:
    """The full scalar pictures (d2l's J = L + s, the unrolled RNN) stay at most 2,500 px wide,
    drawn top to bottom with parts summarised, so their 11-point text reads without zooming."""
    pytest.importorskip("matplotlib")
    paths = [*load_example("weight_decay_graph").draw(tmp_path), load_example("rnn_bptt").draw(tmp_path)]
    for path in paths:
        width, height = png_size(path)
        assert width <= 2500 and height <= 2500, (path.name, width, height)


def test_weight_decay_graph_boxes() -> None:
    """Collapsed, the graph has exactly the book's boxes W1, z, h, W2, o, L, s, J (plus inputs)."""
    from microprop.viz import to_dot

    example = load_example("weight_decay_graph")
    rng = np.random.default_rng(0)
    graph = example.build(
        rng.normal(size=2), rng.normal(size=1), rng.normal(size=(2, 2)), rng.normal(size=(1, 2))
    )
    scopes = {v.scope for v in graph["J"].topo_order() if v.scope}
    assert scopes == {"W1", "z", "h", "W2", "o", "L", "s", "J"}
    dot = to_dot(graph["J"], collapse=True)
    assert all(f"<b>{name}</b>" in dot or f">{name}<" in dot for name in scopes)


def test_layers_from_scratch_formulas(tmp_path: pathlib.Path, dot_program: str) -> None:
    """Affine/Sigmoid/SoftmaxWithLoss backward formulas equal the scalar engine's grads; pictures drawn."""
    example = load_example("layers_from_scratch")
    for seed in range(3):
        assert max(example.check(seed=seed).values()) < 1e-14
    paths = example.draw(tmp_path)
    assert all(p.read_bytes().startswith(PNG) for p in paths)


def test_early_stopping_restores_best(tmp_path: pathlib.Path) -> None:
    """Training stops `patience` epochs after the best validation loss, and the best weights come back."""
    pytest.importorskip("matplotlib")
    example = load_example("early_stopping")
    r = example.train(epochs=400, patience=40)
    h = r["history"]
    assert r["stopped"] - r["best_epoch"] == 40 or r["stopped"] == 399
    assert h["valid"][r["best_epoch"]] == min(h["valid"])
    assert r["restored"][1] == pytest.approx(min(h["valid"]), rel=1e-12)
    assert example.plot(r, tmp_path / "es.png").read_bytes().startswith(PNG)


def test_rnn_bptt(tmp_path: pathlib.Path, dot_program: str) -> None:
    """Step contributions add up to ∂L/∂w; with w = 0.5 the gradient reaching step 1 is under 1/10 of step 5's."""
    pytest.importorskip("matplotlib")
    example = load_example("rnn_bptt")
    r = example.gradients(0.5)
    assert r["dL/dh"][0] < 0.1 * r["dL/dh"][-1]
    net = example.unroll()
    assert {v.scope for v in net["loss"].topo_order() if v.scope} == {f"t = {t}" for t in range(1, 6)} | {
        "output"
    }
    assert example.main(["--out", str(tmp_path)]) == 0
    for name in ("rnn_bptt.png", "rnn_bptt_graph.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)


def test_digits_batched_replay(tmp_path: pathlib.Path) -> None:
    """The digits MLP, one sample's graph replayed per minibatch: above 93% of the held-out
    images after 5 epochs (about 95% after the default 10), a curve and the results written."""
    pytest.importorskip("sklearn")
    digits = load_example("digits")
    assert digits.main(["--epochs", "5", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["accuracy"] > 0.93 and len(results["train_loss"]) == 5
    assert results["train_loss"][-1] < results["train_loss"][0] / 4
    assert (tmp_path / "learning_curve.png").read_bytes().startswith(PNG)


def test_newton_reproduces_dezero_step_33() -> None:
    """Newton's method with f'' from grad(create_graph=True) prints DeZero's iterations exactly."""
    newton = load_example("newton")
    assert newton.newton() == newton.DEZERO


def test_tanh_second_derivative_graph(tmp_path: pathlib.Path, dot_program: str) -> None:
    """d²/dx² tanh is the closed form, a 12-node graph of table rows, drawn as a PNG."""
    example = load_example("tanh_second_derivative")
    x, d2y = example.second_derivative()
    t = math.tanh(1.0)
    assert d2y.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-15)
    assert len(d2y.topo_order()) == 12
    assert example.main(str(tmp_path)).read_bytes().startswith(PNG)


def test_mazur_hessian_is_the_closed_form() -> None:
    """The Hessian of Mazur's error in w5..w8 equals h hᵀ(σ'² + (o - t)σ'') per output, 0 across."""
    example = load_example("mazur_hessian")
    got, want = example.mazur_hessian(), example.closed_form()
    for row_got, row_want in zip(got, want):
        assert row_got == pytest.approx(row_want, rel=1e-12, abs=1e-15)
    assert got[0][2] == got[1][3] == 0.0


def test_forward_vs_reverse_counts() -> None:
    """n forward sweeps cost n × edges multiplications, one reverse sweep edges; same gradient."""
    rows = load_example("forward_vs_reverse").table((1, 4, 16))
    for r in rows:
        assert r["forward_mults"] == r["n"] * r["edges"] and r["reverse_mults"] == r["edges"]
        assert r["max_difference"] <= 1e-12


def test_activations_gallery(tmp_path: pathlib.Path, capsys) -> None:
    """backward()'s derivatives are the textbook ones; a step unit's grads are all 0, a sigmoid unit's are not."""
    pytest.importorskip("matplotlib")
    example = load_example("activations")
    xs = [-2.0, -0.5, 0.5, 2.0]
    _, grads = example.curve(example.ACTIVATIONS["sigmoid"], xs)
    s = [1 / (1 + math.exp(-x)) for x in xs]
    assert grads == pytest.approx([v * (1 - v) for v in s], rel=1e-12)
    assert example.curve(example.ACTIVATIONS["step (Heaviside)"], xs) == ([0.0, 0.0, 1.0, 1.0], [0.0] * 4)
    assert example.saturated_spans(xs, [0.0, 0.0, 1.0, 1.0]) == [(-2.0, 0.5)]
    assert example.unit_grads(lambda v: v.step()) == [0.0, 0.0, 0.0]
    assert all(g != 0 for g in example.unit_grads(lambda v: v.sigmoid()))
    assert example.main(["--out", str(tmp_path)]) == 0
    assert "the step unit's grads are all 0" in capsys.readouterr().out
    assert (tmp_path / "activations.png").read_bytes().startswith(PNG)
