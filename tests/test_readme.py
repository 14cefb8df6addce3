"""The README's code blocks run as written and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

from microprop.explain import explain

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The README text under ``## heading``, up to the next section."""
    return README.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]


def blocks(heading: str, language: str = "python") -> list[str]:
    """The fenced code blocks of one section in that language (``""`` for plain ones)."""
    found = re.findall(r"^```(\w*)\n(.*?)^```$", section(heading), flags=re.DOTALL | re.MULTILINE)
    return [code for lang, code in found if lang == language]


def run(code: str, namespace: dict | None = None) -> str:
    """Execute a block; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace if namespace is not None else {})  # noqa: S102 - our own README
    return out.getvalue()


def test_lecture_neuron_block_prints_the_lecture_numbers() -> None:
    """The lecture neuron block prints o = 0.7071 and the grads its comment lists."""
    (code,) = blocks("The lecture neuron, by hand")
    lines = run(code).splitlines()
    assert lines == ["o = 0.7071", "x1.grad = -1.5000", "w1.grad = 1.0000", "x2.grad = 0.5000",
                     "w2.grad = 0.0000", "b.grad = 0.5000"]  # fmt: skip


def test_lecture_neuron_explain_excerpt_is_what_explain_prints() -> None:
    """The step shown under the block is, line for line, in explain(o) of the same neuron."""
    (code,) = blocks("The lecture neuron, by hand")
    namespace: dict = {}
    run(code.split("o.backward()")[0], namespace)
    text = explain(namespace["o"])
    (excerpt,) = blocks("The lecture neuron, by hand", language="")
    for line in excerpt.strip().splitlines():
        assert line in text.splitlines(), line
    assert namespace["x1"].grad == pytest.approx(-1.5)  # one pass, not two


def test_nn_and_optim_blocks_train() -> None:
    """The nn block and then the optimizer block run as written and fit the moons."""
    pytest.importorskip("sklearn")
    namespace: dict = {}
    (nn_block,) = blocks("Neural networks: `microprop.nn`")
    (optim_block,) = blocks("Optimizers: `microprop.optim`")
    np.random.seed(1337)  # micrograd's data (the block leaves numpy unseeded)
    run(nn_block, namespace)
    run(optim_block.replace("range(100)", "range(3)"), namespace)
    assert namespace["loss"].data == 0.7429006313851131  # micrograd's loss at step 2


def test_replay_block_gives_the_scalar_engines_final_loss() -> None:
    """micrograd's loop with the two replay lines prints the 100-step loss and 100% accuracy."""
    pytest.importorskip("sklearn")
    (code,) = blocks("Fast training: `microprop.replay`")
    printed = run(code).split()
    assert printed == ["0.010978370135492717", "1.0"]
    assert "0.010978370135492717 1.0" in code


def test_batch_block_gives_the_scalar_engines_final_loss() -> None:
    """micrograd's loop batched prints the 100-step loss to 15 digits and 100% accuracy."""
    pytest.importorskip("sklearn")
    (code,) = blocks("Vector speed: `microprop.batch`")
    printed = run(code).split()
    assert printed == ["0.010978370135493", "1.0"]
    assert f"{0.010978370135492717:.15f}" == printed[0]  # the scalar engine's, rounded
    assert "0.010978370135493 1.0" in code


def test_named_steps_excerpt_is_what_step_prints() -> None:
    """The named-steps excerpt under Command line is, line for line, in `microprop step`'s output."""
    import shlex
    import subprocess
    import sys

    command, excerpt = re.findall(r"```(?:sh)?\n(.*?)```", section("Command line"), flags=re.DOTALL)[2:4]
    args = shlex.split(command.strip())[1:]
    out = subprocess.run(
        [sys.executable, "-m", "microprop", *args], capture_output=True, text=True, check=True
    )
    for line in excerpt.strip("\n").splitlines():
        if line != "...":
            assert line in out.stdout.splitlines(), line


def test_autograd_block_prints_its_comments() -> None:
    """The autograd block prints the values its comments give."""
    (code,) = blocks("Derivatives of derivatives, and forward mode: `microprop.autograd`")
    printed = run(code).splitlines()
    comments = [line.split("# ", 1)[1] for line in code.splitlines() if line.startswith("print(")]
    assert printed == comments
