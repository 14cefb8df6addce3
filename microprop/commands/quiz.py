"""``microprop quiz EXPR name=value ...``: predict each grad, then see the engine's."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ..engine import Value
from ..explain import (
    BackwardStep,
    backward_steps,
    expression,
    fmt,
    forward_steps,
    grad_derivation,
    node_names,
)
from ..expr import ExprError
from ..hints import hint, is_right
from ..i18n import N_, language, tr
from ._common import add_expression_arguments, build_from_args, positive_float, report_error, subcommand

DESCRIPTION = N_(
    """\
Backprop by hand: the quiz shows the forward pass, then asks for each grad in the
order backward() computes them, starting next to the output. Type a number (like
-1.5, 0.4200 or 1/2) and press Enter; 4 significant digits are enough (answers within
a relative 1e-3 count). A wrong answer is explained from the step that computed it:
the rule, the local derivative, the upstream grad and what adds up. Type q to stop.
Answers can be piped in, one per line; the score is printed at the end."""
)

EXAMPLES = N_(
    """\
  microprop quiz "x * y" x=2 y=-3
  microprop quiz "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
  printf '1\\n2\\n-2\\n' | microprop quiz "x * y + x" x=2 y=-3   (answers from a pipe)"""
)

Ask = Callable[[str], str]  # like input(): prompt in, one line out, EOFError at the end


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``quiz`` subcommand."""
    parser = subcommand(subparsers, "quiz", N_("predict each grad, then check it"), DESCRIPTION, EXAMPLES)
    add_expression_arguments(parser)
    parser.add_argument(
        "--rtol",
        type=positive_float,
        default=1e-3,
        help=tr("relative tolerance of a right answer (default 1e-3)"),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the quiz on stdin/stdout; 0 when it ran, 2 on a bad expression."""
    try:
        root, leaves = build_from_args(args.expr, args.assignments)
    except ExprError as err:
        return report_error(err)
    echo = not sys.stdin.isatty()  # show piped answers, so the transcript reads well
    quiz(root, leaves, _terminal_ask(echo), rtol=args.rtol, lang=getattr(args, "lang", None))
    return 0


def _terminal_ask(echo: bool) -> Ask:
    def ask(prompt: str) -> str:
        line = input(prompt)
        if echo:
            print(line)
        return line

    return ask


@dataclass(frozen=True)
class Score:
    """How the quiz went: right answers, questions asked, questions in the quiz.

    >>> Score(right=2, asked=3, total=4).text()
    'stopped after 3 of 4 questions; score: 2 of 3 right'
    """

    right: int
    asked: int
    total: int

    def text(self) -> str:
        """``score: 3 of 4 right``, noting an early stop."""
        if self.asked < self.total:
            return tr(
                "stopped after {asked} of {total} questions; score: {right} of {asked} right",
                asked=self.asked,
                total=self.total,
                right=self.right,
            )
        return tr("score: {right} of {total} right", right=self.right, total=self.total)


def parse_answer(text: str) -> float:
    """A number, or a fraction of two numbers; ``ValueError`` with a readable message.

    >>> parse_answer(" -1.5 "), parse_answer("1/2"), parse_answer("-3/4")
    (-1.5, 0.5, -0.75)
    >>> parse_answer("two")
    Traceback (most recent call last):
    ...
    ValueError: 'two' is not a number: type one like -1.5, 0.7071 or 1/2
    """
    raw = text.strip()
    try:
        if "/" in raw:
            top, bottom = raw.split("/", 1)
            return float(top) / float(bottom)
        return float(raw)
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            tr("{text} is not a number: type one like -1.5, 0.7071 or 1/2", text=repr(raw[:40]))
        ) from None


def quiz(
    root: Value, leaves: dict[str, Value], ask: Ask, rtol: float = 1e-3, out=None, lang: str | None = None
) -> Score:
    """Ask for every grad in backward order, explain wrong answers, print the score
    (in ``lang``: ``"en"`` or ``"ko"``, by default the language in effect).

    >>> x = Value(2.0, label="x"); y = Value(-3.0, label="y")
    >>> answers = iter(["-3", "two", "3"])
    >>> def ask(prompt):
    ...     line = next(answers); print(prompt + line); return line
    >>> score = quiz(x * y, {"x": x, "y": y}, ask)
    forward
      x = 2.0
      y = -3.0
      a = x × y = (2.0)(-3.0) = -6.0
    backward: a.grad = 1 (the output); predict the grads in the order backward() finds them
    <BLANKLINE>
    question 1 of 2: y.grad = ?   (y feeds a = x × y)
    your answer: -3
      wrong: y.grad = 2.0
      that is the node's value (-3.0), not its grad d(output)/d(node)
        step 1 (a = x × y): y.grad += x × a.grad = (2.0)(1.0) = 2.0   (rule: ∂a/∂y = x)
    <BLANKLINE>
    question 2 of 2: x.grad = ?   (x feeds a = x × y)
    your answer: two
      'two' is not a number: type one like -1.5, 0.7071 or 1/2
    your answer: 3
      wrong: x.grad = -3.0
      the sign is off
        step 1 (a = x × y): x.grad += y × a.grad = (-3.0)(1.0) = -3.0   (rule: ∂a/∂x = y)
    <BLANKLINE>
    score: 0 of 2 right
    >>> score
    Score(right=0, asked=2, total=2)
    """
    with language(lang):
        return _quiz(root, leaves, ask, rtol, out or sys.stdout)


def _quiz(root: Value, leaves: dict[str, Value], ask: Ask, rtol: float, out) -> Score:
    names = node_names(root)

    def say(text: str = "") -> None:
        print(text, file=out)

    say(tr("forward"))
    for forward in forward_steps(root, names):
        say("  " + forward.text())
    steps = backward_steps(root, names)
    variables = set(leaves.values())
    asked_nodes = [
        v for v in reversed(root.topo_order()) if v is not root and (v.op is not None or v in variables)
    ]
    if not asked_nodes:
        say(tr("nothing to ask: the expression needs an op applied to a variable, like x * y"))
        return Score(0, 0, 0)
    say(
        tr(
            "backward: {seed} (the output); predict the grads in the order backward() finds them",
            seed=f"{names[root]}.grad = 1",
        )
    )
    right = asked = 0
    for number, node in enumerate(asked_nodes, 1):
        say()
        answer = _read_answer(ask, _question(number, len(asked_nodes), node, names, steps), say)
        if answer is None:
            break
        asked += 1
        name = names[node]
        if is_right(answer, node.grad, rtol):
            right += 1
            say("  " + tr("right: {grad}", grad=f"{name}.grad = {fmt(node.grad)}"))
            continue
        say("  " + tr("wrong: {grad}", grad=f"{name}.grad = {fmt(node.grad)}"))
        slip = hint(answer, node, steps, rtol)
        if slip:
            say(f"  {slip}")
        for line in grad_derivation(steps, node, name):
            say(f"    {line}")
    say()
    score = Score(right, asked, len(asked_nodes))
    say(score.text())
    return score


def _question(
    number: int, total: int, node: Value, names: dict[Value, str], steps: list[BackwardStep]
) -> str:
    """``question 2 of 5: a.grad = ?   (a = x × y; a feeds b = a + x)``, then the prompt."""
    name = names[node]
    consumers = {
        s.index: f"{s.name} = {s.formula}" for s in steps for c in s.contributions if c.parent is node
    }
    fields = {"name": name, "consumers": ", ".join(consumers.values())}
    if node.op is not None:
        context = tr(
            "{formula}; {name} feeds {consumers}", formula=f"{name} = {expression(node, names)}", **fields
        )
    else:
        context = tr("{name} feeds {consumers}", **fields)
    question = tr("question {number} of {total}:", number=number, total=total)
    return f"{question} {name}.grad = ?   ({context})\n" + tr("your answer: ")


def _read_answer(ask: Ask, prompt: str, say: Callable[..., None]) -> float | None:
    """A number from the learner; None at end of input or on q."""
    for attempt in itertools.count():
        if attempt:
            prompt = tr("your answer: ")
        try:
            text = ask(prompt)
        except (EOFError, KeyboardInterrupt):
            say()
            return None
        if text.strip().lower() in ("q", "quit", "exit"):
            return None
        try:
            return parse_answer(text)
        except ValueError as err:
            say(f"  {err}")
    return None  # unreachable: the loop only ends by returning
