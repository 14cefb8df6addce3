"""``microprop render``, run as a user would (``python -m microprop render ...``)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def render(*args: str, cwd: pathlib.Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``microprop render``; a hang is a failure (timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "microprop", "render", *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
    )  # fmt: skip


def test_render_dot_forward_without_graphviz(tmp_path: pathlib.Path) -> None:
    """A .dot file needs no Graphviz: the forward view with the variables' names."""
    env = {**os.environ, "PATH": str(tmp_path)}
    result = render(*NEURON, "-o", "n.dot", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote n.dot (forward view, 10 values)\n"
    src = (tmp_path / "n.dot").read_text(encoding="utf-8")
    assert "<B>x1</B>" in src and "data 0.7071" in src and "grad" not in src


@pytest.mark.parametrize(("expr", "noun"), [("x", "1 value"), ("5", "1 value"), ("x*x", "2 values")])
def test_render_counts_values_in_words(expr: str, noun: str, tmp_path: pathlib.Path) -> None:
    """The summary line says "1 value" for one node and "N values" for more."""
    result = render(expr, *(["x=2"] if "x" in expr else []), "-o", "g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote g.dot (forward view, {noun})\n"


@pytest.mark.parametrize(
    ("args", "count"),
    [
        (["-x*y", "x=2", "y=3", "-o", "g.dot"], 5),
        (["-o", "g.dot", "--x*y", "x=2", "y=3"], 7),
        (["-out*y", "out=2", "y=3", "-o", "g.dot"], 5),  # not -o with the value "ut*y"
    ],
)
def test_render_expression_starting_with_minus(args: list[str], count: int, tmp_path: pathlib.Path) -> None:
    """An EXPR starting with - or -- is drawn, wherever -o stands."""
    result = render(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote g.dot (forward view, {count} values)\n"


def test_render_backward_step_options(tmp_path: pathlib.Path) -> None:
    """--step K draws step K with the same text as 'microprop step'; --dark, --top-down apply."""
    result = render(*NEURON, "-o", "s.dot", "--step", "5", "--dark", "--top-down", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    src = (tmp_path / "s.dot").read_text(encoding="utf-8")
    assert "step 5  a = x1 × w1   (×)   a.grad = 0.5" in src
    assert "x1.grad += w1 × a.grad = (-3.0)(0.5) = -1.5" in src
    assert "rankdir=TB" in src and "#0d1117" in src


def test_render_backward(tmp_path: pathlib.Path) -> None:
    """--backward draws grads and edge contributions."""
    result = render("x*x", "x=3", "--backward", "-o", "x.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.dot").read_text(encoding="utf-8").count("3.0 × 1.0 = 3.0") == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["x*y", "x=1", "-o", "a.dot"], "'y'"),  # missing variable
        (["x*", "x=1", "-o", "a.dot"], "^"),  # syntax error with a caret
        (["x", "x=1", "-o", "a.jpg"], "can't tell the format"),
        (["x*2", "x=1", "-o", "a.dot", "--step", "7"], "from 0 to 1"),
        (["x*2", "x=1", "-o", "a.dot", "--step", "-1"], "0 or more"),
        (["x*2", "x=1", "-o", "a.html", "--step", "1"], "--html page has them all"),
        (["x*2", "x=1", "--html", "-o", "a.png"], "--html writes a web page: give -o a name ending in .html"),
        (["x*2", "x=1", "--html", "-o", "steps"], "--html writes a web page: give -o a name ending in .html"),
        (["x*2", "x=1", "-o", "no/such/dir/a.dot"], "can't write"),
        (["x*2", "x=1"], "-o"),  # no output file
    ],
)
def test_bad_input_exits_2(args: list[str], message: str, tmp_path: pathlib.Path) -> None:
    """Bad input exits 2 with a message naming the problem, and writes nothing."""
    result = render(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_dot_png_and_svg_are_drawn_pdf_says_what_it_needs(tmp_path: pathlib.Path) -> None:
    """With no dot on PATH (a bare pip install), graphviz-pure draws .png and .svg (and the
    stepper page needs no renderer); a .pdf exits 2 naming dot and how to install it."""
    env = {**os.environ, "PATH": str(tmp_path)}
    for name in ("a.png", "a.svg", "a.html"):
        result = render(
            *NEURON, "--backward" if name != "a.html" else "--dark", "-o", name, cwd=tmp_path, env=env
        )
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "a.svg").read_text(encoding="utf-8")
    assert "digraph" in (tmp_path / "a.html").read_text(encoding="utf-8")
    result = render("x*2", "x=1", "-o", "a.pdf", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "'dot'" in result.stderr and "apt-get install graphviz" in result.stderr
    assert not (tmp_path / "a.pdf").exists()


def test_render_png_and_html(dot_program: str, tmp_path: pathlib.Path) -> None:
    """With dot: a PNG image, and the --html stepper page (also picked by a .html name)."""
    assert render(*NEURON, "-o", "n.png", "--backward", cwd=tmp_path).returncode == 0
    assert (tmp_path / "n.png").read_bytes()[:4] == b"\x89PNG"
    result = render(*NEURON, "--html", "-o", "n.htm", cwd=tmp_path)
    assert result.returncode == 0 and "stepper page" in result.stdout
    assert render("x*2", "x=1", "-o", "x.html", cwd=tmp_path).returncode == 0
    assert "<svg" in (tmp_path / "x.html").read_text(encoding="utf-8")


def test_help_shows_examples(tmp_path: pathlib.Path) -> None:
    """--help explains the formats and shows runnable examples."""
    result = render("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert ".svg, .png, .pdf" in result.stdout and "microprop render" in result.stdout.split("examples:")[1]


def test_a_failing_renderer_exits_1_with_its_message(tmp_path: pathlib.Path) -> None:
    """A dot that fails makes `render` exit 1 with dot's own message, not a traceback."""
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: out of memory' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": str(tmp_path)}
    result = render("x*2", "x=1", "-o", "a.svg", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert (
        result.stderr
        == "microprop: error: dot failed to render a .svg (exit status 1): Error: out of memory\n"
    )
