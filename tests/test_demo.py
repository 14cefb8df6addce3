"""``microprop demo``: the tour runs offline into a folder and lists what it wrote."""

from __future__ import annotations

import pathlib

import pytest

from microprop.cli import COMMANDS, main

PNG = b"\x89PNG\r\n\x1a\n"
IMAGES = ("neuron_forward.png", "neuron_backward.png", "moons_boundary.png", "moons_loss.png")


def test_demo_is_the_first_subcommand() -> None:
    """demo leads the subcommand list (and so --help)."""
    assert COMMANDS[0] == "demo"


@pytest.fixture(scope="module")
def short_tour(tmp_path_factory) -> tuple[pathlib.Path, str]:
    """One demo run with 2 training steps: its folder and its output (needs the demo extras)."""
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    import contextlib
    import io

    out = tmp_path_factory.mktemp("demo")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["demo", "--out", str(out), "--steps", "2"]) == 0
    return out, stdout.getvalue()


def test_demo_prints_backward_steps_and_micrograd_loss(short_tour) -> None:
    """The lecture neuron's steps and micrograd's step-0 loss, to the last digit."""
    _, text = short_tour
    assert "step 5  x1w1 = x1 × w1" in text
    assert "x1.grad += w1 × x1w1.grad = (-3.0)(0.5) = -1.5" in text
    assert "step 0 loss 0.8958441028683222 (micrograd: 0.8958441028683222)" in text


def test_demo_writes_and_lists_every_file(short_tour, dot_program: str) -> None:
    """Four PNG images, the stepper page and the training GIF, each listed in the closing summary."""
    out, text = short_tour
    summary = text.split("files written")[1]
    for name in IMAGES:
        assert (out / name).read_bytes().startswith(PNG)
        assert str(out / name) in summary
    page = (out / "neuron_stepper.html").read_text(encoding="utf-8")
    assert "<svg" in page and str(out / "neuron_stepper.html") in summary
    assert "skipped" not in summary
    assert (out / "moons_training.gif").read_bytes().startswith(b"GIF89a")
    assert str(out / "moons_training.gif") in summary
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*IMAGES, "neuron_stepper.html", "moons_training.gif"]
    )


def test_training_gif_has_one_frame_per_step(tmp_path: pathlib.Path) -> None:
    """The animation has a frame per step, each scored with the weights of that step (numpy = Values)."""
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    import numpy as np
    from PIL import Image

    from microprop.commands.demo import animate_boundary, layer_weights, mlp_scores, moons_data, train_moons

    X, y = moons_data()
    frames: list = []
    model, history = train_moons(X, y, 3, progress=False, on_step=lambda m: frames.append(layer_weights(m)))
    assert len(frames) == 3
    final = mlp_scores(layer_weights(model), X[:5])
    assert final == pytest.approx([model(list(row)).data for row in X[:5]], rel=1e-12, abs=1e-12)
    assert not np.allclose(mlp_scores(frames[0], X), mlp_scores(frames[2], X))
    path = animate_boundary(frames, X, y, tmp_path / "t.gif", h=0.5, history=history)
    assert Image.open(path).n_frames == 3


def test_demo_without_dot_still_draws(tmp_path: pathlib.Path, monkeypatch, capsys) -> None:
    """Without Graphviz's dot the graph images are drawn by graphviz-pure; nothing is skipped."""
    pytest.importorskip("sklearn")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["demo", "--out", str(tmp_path / "out"), "--steps", "1"]) == 0
    assert "skipped" not in capsys.readouterr().out
    assert (tmp_path / "out" / "moons_loss.png").read_bytes().startswith(PNG)
    assert (tmp_path / "out" / "neuron_forward.png").read_bytes().startswith(PNG)


def test_demo_without_any_renderer_skips_graph_images(tmp_path: pathlib.Path, monkeypatch, capsys) -> None:
    """With no renderer at all the graph images are skipped with an install hint; the rest still runs."""
    pytest.importorskip("sklearn")
    from microprop.viz import render

    monkeypatch.setattr(render, "renderers", list)
    assert main(["demo", "--out", str(tmp_path / "out"), "--steps", "1"]) == 0
    text = capsys.readouterr().out
    assert "skipped graph images" in text and "pip install graphviz-pure" in text
    assert (tmp_path / "out" / "moons_loss.png").read_bytes().startswith(PNG)
    assert not (tmp_path / "out" / "neuron_forward.png").exists()


def test_demo_training_matches_micrograd_loop() -> None:
    """The demo's nn/losses/optim loop gives the notebook loop's losses bit for bit."""
    pytest.importorskip("sklearn")
    from test_nn import moons_run

    from microprop import Value
    from microprop.commands.demo import moons_data, train_moons
    from microprop.nn import MLP

    X, y = moons_data()
    _, history = train_moons(X, y, 2, progress=False)
    assert history.loss == moons_run(MLP, Value, 2)
    assert history.loss[0] == 0.8958441028683222


@pytest.mark.parametrize("steps", ["0", "x", "20000"])
def test_demo_rejects_bad_steps(steps: str, capsys) -> None:
    """--steps must be a whole number from 1 to 10000 (usage error, status 2)."""
    assert main(["demo", "--steps", steps]) == 2
    assert "--steps" in capsys.readouterr().err


def test_demo_training_reaches_100_percent() -> None:
    """The full 100-step run (replayed) ends at 100% accuracy with the scalar engine's loss."""
    pytest.importorskip("sklearn")
    from microprop.commands.demo import moons_data, train_moons

    X, y = moons_data()
    _, history = train_moons(X, y, 100, progress=False)
    assert history.accuracy[-1] == 1.0
    assert history.loss[-1] == 0.010978370135492717  # what --scalar (and micrograd's loop) gives


def test_demo_scalar_and_replayed_training_agree() -> None:
    """--scalar (graph rebuilt every step) and the replay give the same losses and accuracies, bit for bit."""
    pytest.importorskip("sklearn")
    from microprop.commands.demo import moons_data, train_moons

    X, y = moons_data()
    _, replayed = train_moons(X, y, 5, progress=False, replay=True)
    X, y = moons_data()
    _, rebuilt = train_moons(X, y, 5, progress=False, replay=False)
    assert replayed == rebuilt


@pytest.mark.parametrize("out", ["/proc/no/such/folder", "/etc/passwd"])
def test_demo_bad_out_folder_is_a_clear_error(out: str, capsys) -> None:
    """An --out that cannot be a folder exits 2 with a message naming it, not a traceback."""
    assert main(["demo", "--out", out, "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}" in err and "Traceback" not in err
