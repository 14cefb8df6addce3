"""The microprop command line, run as a user would: ``python -m microprop ...`` in a subprocess."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def microprop(*args: str, stdin: str = "", cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    """Run the command line; a hang is a failure (timeout)."""
    return subprocess.run(
        [sys.executable, "-m", "microprop", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_step_lecture_neuron() -> None:
    """The README example prints forward lines, backward steps and the lecture's grads."""
    result = microprop("step", *NEURON)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "  a = x1 × w1 = (2.0)(-3.0) = -6.0" in out
    assert "  f = tanh(e) = tanh(0.881374) = 0.707107" in out
    assert "step 1  f = tanh(e)   (tanh)   f.grad = 1.0" in out
    assert "    -> x1.grad += w1 × a.grad = (-3.0)(0.5) = -1.5   (rule: ∂a/∂x1 = w1)" in out
    grads = out.split("grads\n", 1)[1].split("\n")
    assert grads[:5] == [
        "  x1.grad = -1.5",
        "  w1.grad = 1.0",
        "  x2.grad = 0.5",
        "  w2.grad = 0.0",
        "  b.grad = 0.5",
    ]
    assert result.stderr == ""


def test_step_shows_accumulation() -> None:
    """A variable feeding two ops shows both contributions and their sum."""
    result = microprop("step", "x*y + x", "x=2", "y=-3")
    assert result.returncode == 0
    assert "  x.grad = 1.0 + (-3.0) = -2.0" in result.stdout


def test_step_expression_starting_with_minus() -> None:
    """An EXPR starting with - is an expression, not an unknown option."""
    result = microprop("step", "-x * y", "x=1", "y=2")
    assert result.returncode == 0, result.stderr
    assert "  x.grad = -2.0" in result.stdout


@pytest.mark.parametrize(
    ("expr", "x_grad"),
    [("-x*h", "-3.0"), ("--x*h", "3.0"), ("-h*x", "-3.0"), ("- x*h", "-3.0")],
)
def test_expression_starting_with_minus_in_every_subcommand(expr: str, x_grad: str) -> None:
    """An EXPR starting with - or -- (even -h...) is the expression for step, check and quiz."""
    step = microprop("step", expr, "x=2", "h=3")
    assert step.returncode == 0, step.stderr
    assert f"  x.grad = {x_grad}\n" in step.stdout
    check = microprop("check", expr, "x=2", "h=3")
    assert check.returncode == 0 and "all gradients match" in check.stdout, check.stderr
    quiz = microprop("quiz", expr, "x=2", "h=3")
    assert quiz.returncode == 0 and quiz.stderr == ""
    assert "  x = 2.0\n" in quiz.stdout and "question 1 of " in quiz.stdout


def test_options_and_double_dash_around_a_minus_expression() -> None:
    """Options before and after a "-" EXPR still apply, '--' still ends the options, -h is still help."""
    check = microprop("check", "--eps", "1e-7", "-x", "x=1", "--rtol=1e-2")
    assert check.returncode == 0, check.stderr
    assert "eps=1e-07, tol = 1e-05 + 0.01·|numeric|" in check.stdout
    dashed = microprop("step", "--", "-x", "x=1")
    assert dashed.returncode == 0 and "  x.grad = -1.0\n" in dashed.stdout, dashed.stderr
    assert microprop("step", "-h").stdout.startswith("usage: microprop step")
    typo = microprop("check", "x", "x=1", "--esp", "1e-7")
    assert typo.returncode == 2 and "unrecognized arguments: --esp" in typo.stderr


def test_infinite_numeric_grad_is_a_mismatch() -> None:
    """check "1/x" next to the pole exits 1: numeric -inf is not analytic -1e12 (no infinite tolerance)."""
    result = microprop("check", "1/x", "x=1e-6")
    assert result.returncode == 1
    assert "numeric -inf" in result.stdout and "tol exact" in result.stdout


def test_check_pass_and_fail_exit_codes() -> None:
    """check exits 0 when the grads match, 1 on a mismatch (relu at its kink), 2 on bad input."""
    ok = microprop("check", *NEURON)
    assert ok.returncode == 0 and "all gradients match" in ok.stdout
    bad = microprop("check", "relu(x) * y", "x=0", "y=2")
    assert bad.returncode == 1
    assert "FAIL" in bad.stdout and "kink" in bad.stdout
    assert microprop("check", "x *", "x=1").returncode == 2


def test_check_options_after_assignments_and_between() -> None:
    """name=value may come before or after the options."""
    result = microprop("check", "log(x) / x", "--eps", "1e-7", "x=0.5")
    assert result.returncode == 0, result.stderr


def test_output_to_a_closed_pipe_is_quiet() -> None:
    """``microprop step ... | head -1`` ends without a BrokenPipeError traceback."""
    result = subprocess.run(
        f'"{sys.executable}" -m microprop step "tanh(x*y + exp(x))" x=1 y=2 | head -1',
        check=False,
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "forward\n"
    assert "Traceback" not in result.stderr


INJECTIONS = [
    ("__import__('os').system('touch X')", "only calls of op names"),
    ("__import__('os').system('touch X') + x", "only calls of op names"),
    ("().__class__.__bases__", "attribute access"),
    ("x.__class__.__mro__[1].__subclasses__()", "only calls of op names"),
    ("lambda: __import__('os').system('touch X')", "lambdas"),
    ("[__import__('os').system('touch X') for _ in 'a']", "comprehensions"),
    ("f\"{__import__('os').system('touch X')}\"", "f-strings"),
    ("exec(\"open('X', 'w')\")", "unknown function 'exec'"),
    ("open('X', 'w')", "unknown function 'open'"),
    ("tanh.__globals__", "attribute access"),
    ("getattr(x, '__class__')", "unknown function 'getattr'"),
    ("x" * 100_000, "the limit is"),
    ("(" * 5000 + "x" + ")" * 5000, "the limit is"),
    ("(" * 500 + "x" + ")" * 500, "deeper than"),
]


@pytest.mark.parametrize(("expr", "message"), INJECTIONS, ids=[i[0][:30] for i in INJECTIONS])
def test_injections_rejected_with_caret_and_no_side_effect(
    tmp_path: pathlib.Path, expr: str, message: str
) -> None:
    """Code injection, huge and deep inputs: exit 2, a one-message error with a caret, and no file X."""
    result = microprop("step", expr, "x=1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("microprop: error: ")
    assert message in result.stderr
    assert "^" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "X").exists()


def test_huge_exponents_give_inf_at_once() -> None:
    """10**10**10 is computed in floats: inf, no hang (the subprocess timeout would fail this)."""
    result = microprop("step", "10**10**10 * x + 9**9**9**9", "x=1")
    assert result.returncode == 0, result.stderr
    assert "= inf" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x * w", "x=1"], "variable 'w' has no value: add w=NUMBER"),
        (["x", "x=1", "z=2"], "'z' not used in the expression"),
        (["x", "x=abc"], "bad assignment 'x=abc': 'abc' is not a number"),
        (["x", "x", "=", "1"], "bad assignment 'x': expected NAME=NUMBER without spaces"),
        (["x", "x=1", "x=2"], "'x' is given twice"),
        (["foo(x)", "x=1"], "unknown function 'foo'"),
        (["tanh", "tanh=1"], "'tanh' is a function"),
        (["", "x=1"], "expression is empty"),
    ],
)
def test_bad_input_is_named(args: list[str], message: str) -> None:
    """Each kind of bad input exits 2 and names the problem, for every subcommand."""
    for command in ("step", "check", "quiz"):
        result = microprop(command, *args)
        assert result.returncode == 2, (command, result.stdout)
        assert result.stderr.startswith("microprop: error: ")
        assert message in result.stderr


@pytest.mark.parametrize("command", ["step", "check", "quiz"])
def test_help_has_examples(command: str) -> None:
    """Every subcommand's --help explains itself and shows examples that use it."""
    result = microprop(command, "--help")
    assert result.returncode == 0
    assert f"usage: microprop {command}" in result.stdout
    examples = result.stdout.split("examples:\n", 1)[1]
    assert f"microprop {command} " in examples


def test_top_level_help_lists_subcommands() -> None:
    """``microprop`` alone lists every subcommand with a summary."""
    result = microprop()
    assert result.returncode == 0
    for command in ("step", "check", "quiz"):
        assert f"    {command} " in result.stdout


def test_bad_option_value_is_a_usage_error() -> None:
    """--eps 0 is refused by the parser (exit 2), not a ZeroDivisionError."""
    result = microprop("check", "x", "x=1", "--eps", "0")
    assert result.returncode == 2
    assert "must be a positive number" in result.stderr


@pytest.mark.parametrize("expr", ["5", "x", "2*3"])
def test_trivial_expressions(expr: str) -> None:
    """A lone number, a lone variable and a constant product run cleanly in every subcommand."""
    assignments = ["x=1"] if "x" in expr else []
    step = microprop("step", expr, *assignments)
    assert step.returncode == 0 and step.stderr == ""
    assert microprop("check", expr, *assignments).returncode == 0
    quiz = microprop("quiz", expr, *assignments)
    assert quiz.returncode == 0 and quiz.stderr == ""


def test_named_steps_in_every_subcommand(tmp_path: pathlib.Path) -> None:
    """'n = ...; o = tanh(n)' names n and o in step, check, quiz and render (DOT) output."""
    lecture = ["n = x1*w1 + x2*w2 + b; o = tanh(n)", *NEURON[1:]]
    step = microprop("step", *lecture)
    assert step.returncode == 0, step.stderr
    assert "  o = tanh(n) = tanh(0.881374) = 0.707107" in step.stdout
    assert "step 1  o = tanh(n)   (tanh)   o.grad = 1.0" in step.stdout
    assert microprop("check", *lecture).returncode == 0
    quiz = microprop("quiz", *lecture, stdin="0.5\n")
    assert "question 1 of" in quiz.stdout and "n.grad = ?   (n = " in quiz.stdout
    out = tmp_path / "neuron.dot"
    assert microprop("render", *lecture, "-o", str(out)).returncode == 0
    dot = out.read_text(encoding="utf-8")
    assert "<B>n</B>" in dot and "<B>o</B>" in dot


def test_fullwidth_names_on_the_command_line() -> None:
    """microprop step "ｘ*2" ｘ=3 works: the name=value arguments are NFKC-normalized like the expression."""
    result = microprop("step", "\uff58*2", "\uff58=3")
    assert result.returncode == 0, result.stderr
    assert "x.grad = 2.0" in result.stdout


def test_out_of_range_values_are_warned_on_stderr() -> None:
    """x=1e400 and y=1e-400 still run, with a warning on stderr for each."""
    result = microprop("step", "x + y", "x=1e400", "y=1e-400")
    assert result.returncode == 0
    assert (
        "microprop: warning: x=1e400 is too large for a float (above 1.8e308): it becomes inf"
        in result.stderr
    )
    assert (
        "microprop: warning: y=1e-400 is too small for a float (below 5e-324): it becomes 0.0"
        in result.stderr
    )


def test_doctor_names_the_renderer_fonts_and_extras(tmp_path: pathlib.Path) -> None:
    """`microprop doctor` lists dot (when on PATH) before graphviz-pure, the font, and each extra."""
    import os
    import shutil

    result = microprop("doctor")
    assert result.returncode == 0, result.stderr
    renderers = [
        line.split()[0]
        for line in result.stdout.split("renderers, in the order they are used:\n")[1]
        .split("fonts:")[0]
        .splitlines()
    ]
    assert renderers == (["dot"] if shutil.which("dot") else []) + ["graphviz-pure"]
    assert "fonts: pictures ask for DejaVu Sans" in result.stdout
    assert "  lint   ruff " in result.stdout and "  demo   matplotlib " in result.stdout
    bare = subprocess.run(
        [sys.executable, "-m", "microprop", "doctor"],
        capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "PATH": str(tmp_path)},
    )  # fmt: skip
    assert bare.returncode == 0
    assert (
        "(no dot on PATH: .pdf needs Graphviz's dot; .svg and .png are drawn by graphviz-pure)" in bare.stdout
    )


def test_step_tangent_is_the_readme_transcript() -> None:
    """`step --tangent` prints, exactly as the README shows, each node's tangent after the forward
    pass and, last, the directional derivative next to grad · tangent from the backward pass."""
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    command = '$ microprop step "x*y + tanh(x)" x=1 y=2 --tangent x=1\n'
    block = readme.split(command, 1)[1].split("```", 1)[0]
    result = microprop("step", "x*y + tanh(x)", "x=1", "y=2", "--tangent", "x=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == block
    assert "  c.t = 1 × a.t + 1 × b.t = (1.0)(2.0) + (1.0)(0.419974) = 2.41997" in result.stdout
    assert result.stdout.splitlines()[-3:] == [
        "  c.t = 2.41997   (forward mode: one sweep along the tangents)",
        "  grad · tangent = x.grad × x.t + y.grad × y.t = (2.41997)(1.0) + (1.0)(0.0) = 2.41997"
        "   (reverse mode: from the grads above)",
        "  equal: forward mode gives one direction per sweep, reverse mode every grad in one sweep",
    ]


def test_step_tangents_of_several_variables_add_up() -> None:
    """Two tangents give the derivative along (x.t, y.t): y·x.t + x·y.t for x*y."""
    result = microprop("step", "x*y", "x=3", "y=2", "--tangent", "x=1", "--tangent", "y=0.5")
    assert result.returncode == 0, result.stderr
    assert "  a.t = y × x.t + x × y.t = (2.0)(1.0) + (3.0)(0.5) = 3.5" in result.stdout
    assert "= (2.0)(1.0) + (3.0)(0.5) = 3.5   (reverse mode" in result.stdout


def test_step_tangent_says_when_forward_and_reverse_differ() -> None:
    """log(x)*0 at x=-1: forward mode meets nan × 0 (log's value times the constant's tangent) and
    gives nan, reverse mode 0.0; the last line says they differ instead of claiming they agree."""
    result = microprop("step", "log(x)*0", "x=-1", "--tangent", "x=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-3:] == [
        "  c.t = nan   (forward mode: one sweep along the tangents)",
        "  grad · tangent = x.grad × x.t = (0.0)(1.0) = 0.0   (reverse mode: from the grads above)",
        "  not equal: rounding, or an inf or nan on the way",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y", "x=1", "y=2", "--tangent", "z=1"],
         "microprop: error: --tangent z=1: 'z' is not a variable of the expression (its variables: x, y)"),
        (["2*3", "--tangent", "x=1"], "microprop: error: --tangent x=1: the expression has no variables"),
        (["x*y", "x=1", "y=2", "--tangent", "x=1", "--tangent", "x=2"],
         "microprop: error: 'x' is given twice (x=1, then x=2)"),
        (["x*y", "x=1", "y=2", "--tangent", "z=1", "--lang", "ko"],
         "microprop: 오류: --tangent z=1: 'z'은(는) 식의 변수가 아닙니다 (식의 변수: x, y)"),
    ],
)  # fmt: skip
def test_step_bad_tangent_exits_2(args: list[str], message: str) -> None:
    """A tangent for a name that is no variable (or given twice) is refused with status 2 and says why."""
    result = microprop("step", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [message]
