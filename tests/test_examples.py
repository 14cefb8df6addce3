"""Every example in examples/ runs and reproduces its numbers (with short runs where training is long)."""

from __future__ import annotations

import importlib.util
import json
import math
import pathlib

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
    tested = {"lecture_neuron", "mazur", "micrograd_moons", "classification", "house_prices", "optimizers", "digits"}
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
    assert "all published values reproduced" in capsys.readouterr().out


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
