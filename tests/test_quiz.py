"""The quiz: asks each grad in backward order, checks, explains slips, scores; driven by piped stdin."""

from __future__ import annotations

import io

import pytest
from test_cli import NEURON, microprop

from microprop import Value
from microprop.commands.quiz import Score, parse_answer, quiz
from microprop.hints import hint, is_right
from microprop.explain import backward_steps
from microprop.expr import build


def test_all_right_on_the_lecture_neuron() -> None:
    """The lecture's grads, typed in backward order, score full marks."""
    # f = tanh(e), e = d + b, d = a + c, c = x2 × w2, a = x1 × w1: asked e, b, d, c, w2, x2, a, w1, x1
    answers = ["0.5", "0.5", "0.5", "0.5", "0", "0.5", "0.5", "1", "-1.5"]
    result = microprop("quiz", *NEURON, stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stderr
    assert "question 1 of 9: e.grad = ?" in result.stdout
    assert result.stdout.count("  right: ") == 9
    assert result.stdout.rstrip().endswith("score: 9 of 9 right")


def test_wrong_answer_for_a_node_feeding_two_ops_is_explained() -> None:
    """Giving one contribution for a variable used twice says to add both, and shows the steps."""
    # x*y + x at x=2, y=-3: asked a.grad (1), y.grad (2), x.grad (-3 + 1 = -2)
    result = microprop("quiz", "x*y + x", "x=2", "y=-3", stdin="1\n2\n-3\n")
    out = result.stdout
    assert "  wrong: x.grad = -2.0" in out
    assert "that is one contribution only" in out and "add both contributions" in out
    assert "x feeds two ops (b, a): add both contributions, x.grad = 1.0 + (-3.0) = -2.0" in out
    assert "(rule: ∂a/∂x = y)" in out
    assert out.rstrip().endswith("score: 2 of 3 right")


def test_bad_answer_text_asks_again() -> None:
    """Text that is not a number gets a clear message and the question again, never a traceback."""
    result = microprop("quiz", "x * y", "x=2", "y=-3", stdin="minus two\n\n2\n1/0\n-3\n")
    assert result.returncode == 0
    assert "'minus two' is not a number" in result.stdout
    assert "'' is not a number" in result.stdout
    assert "'1/0' is not a number" in result.stdout
    assert result.stdout.rstrip().endswith("score: 2 of 2 right")
    assert result.stderr == ""


def test_end_of_input_stops_with_the_score_so_far() -> None:
    """EOF after one answer ends the quiz with the partial score, exit 0."""
    result = microprop("quiz", "x * y", "x=2", "y=-3", stdin="2\n")
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith("stopped after 1 of 2 questions; score: 1 of 1 right")
    assert "Traceback" not in result.stderr


def test_q_quits() -> None:
    """Typing q stops the quiz."""
    result = microprop("quiz", "x * y", "x=2", "y=-3", stdin="q\n")
    assert result.stdout.rstrip().endswith("stopped after 0 of 2 questions; score: 0 of 0 right")


def test_fractions_and_relative_tolerance() -> None:
    """1/2 is accepted; within a relative 1e-3 counts as right, beyond does not."""
    assert parse_answer("1/2") == 0.5
    assert is_right(0.7071, 0.7071067811865476)
    assert not is_right(0.707, 0.7071067811865476 * 1.01)
    assert is_right(1.0009, 1.0) and not is_right(1.0011, 1.0)


def test_constants_are_not_asked() -> None:
    """The grad of a literal number is never a question; intermediate nodes and variables are."""
    x = Value(2.0, label="x")
    y = x * 3
    answers = iter(["3"])
    score = quiz(y, {"x": x}, lambda prompt: next(answers), out=io.StringIO())
    assert score == Score(right=1, asked=1, total=1)


@pytest.mark.parametrize(
    ("answer", "slip"),
    [
        (-0.5, "the sign is off"),
        (2.0, "that is the local derivative ∂c/∂a = b = 2.0 alone"),
        (0.25, "that is the upstream grad c.grad = 0.25 alone"),
        (1.0, "that is the node's value"),
    ],
)
def test_hints_name_the_slip(answer: float, slip: str) -> None:
    """Common slips are recognised: sign, local derivative alone, upstream alone, value for grad."""
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c * 0.25  # c.grad = 0.25, so a.grad = 2.0 × 0.25 = 0.5
    steps = backward_steps(d)
    assert slip in hint(answer, a, steps, 1e-3)


@pytest.mark.parametrize(
    ("expr", "answer", "slip"),
    [
        ("n = x*w; o = n*y + n", 6.0, "that is x × 2.0, one contribution to n.grad only: n is used 2 times, add the other one (n.grad = 3.0)"),
        ("n = x*w; o = n*n + n", 4.5, "that is x × 1.5, part of n.grad only: n is used 3 times, add all its contributions (n.grad = 4.0)"),
        ("n = x*w; o = n*n + n", 7.5, "that is x × 2.5, part of n.grad only"),
    ],
)  # fmt: skip
def test_hint_names_an_upstream_grad_with_a_contribution_missing(expr: str, answer: float, slip: str) -> None:
    """w.grad worked out from n.grad before n's other contributions were added is named as such."""
    root, leaves = build(expr, {"x": 3.0, "w": 0.5, "y": 2.0} if "y" in expr else {"x": 3.0, "w": 0.5})
    assert hint(answer, leaves["w"], backward_steps(root), 1e-3).startswith(slip)
