"""The step-through explainer: names, forward and backward text, accumulation, rules."""

from __future__ import annotations

import math
import re

import pytest

from microprop import OPS, Value, apply
from microprop.explain import (
    backward_steps,
    explain,
    fmt,
    forward_steps,
    grad_derivation,
    leaf_summary,
    node_names,
)
from microprop.expr import build, lecture_neuron


def lecture() -> dict[str, Value]:
    """The micrograd lecture neuron (``microprop.expr.lecture_neuron``), its nodes by label."""
    return {v.label: v for v in lecture_neuron().topo_order()}


def test_forward_line_shape() -> None:
    """A forward line reads ``c = a × b = (2.0)(-3.0) = -6.0``."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    assert [s.text() for s in forward_steps(c)] == ["a = 2.0", "b = -3.0", "c = a × b = (2.0)(-3.0) = -6.0"]


def test_backward_header_and_contribution_shape_on_lecture_neuron() -> None:
    """The issue's example: ``step 2  n = x1w1x2w2 + b   (+)   n.grad = 0.5`` then ``b.grad += 1 × ...``."""
    steps = backward_steps(lecture()["o"])
    n_step = next(s for s in steps if s.name == "n")
    assert n_step.header() == "step 2  n = x1w1x2w2 + b   (+)   n.grad = 0.5"
    b_line = next(line for line in n_step.lines() if line.startswith("b.grad"))
    assert b_line == "b.grad += 1 × n.grad = (1.0)(0.5) = 0.5   (rule: ∂n/∂b = 1)"
    tanh_line = steps[0].lines()[0]
    assert tanh_line == "n.grad += (1 - o²) × o.grad = (0.5)(1.0) = 0.5   (rule: ∂o/∂n = 1 - o²)"


def test_names_are_letters_in_topological_order_and_labels_win() -> None:
    """Unlabelled nodes get a, b, c... in topological order, skipping letters that labels use."""
    x = Value(1.0, label="b")
    y = (x * 2).tanh() + x
    names = node_names(y)
    order = [names[v] for v in y.topo_order()]
    assert order == ["b", "a", "c", "d", "e"]


def test_names_are_stable() -> None:
    """The same graph always gets the same names, and a rebuilt equal graph too."""
    first, _ = build("tanh(x*w + 1) * x", {"x": 1.0, "w": 2.0})
    second, _ = build("tanh(x*w + 1) * x", {"x": 1.0, "w": 2.0})
    assert list(node_names(first).values()) == list(node_names(first).values())
    assert list(node_names(first).values()) == list(node_names(second).values())


def test_names_continue_past_z() -> None:
    """After z come aa, ab, ... so large graphs keep unique names."""
    x = Value(0.0)
    for _ in range(30):
        x = x + 1
    names = list(node_names(x).values())
    assert len(set(names)) == len(names)
    assert "aa" in names


def test_accumulation_shows_each_contribution_and_the_sum() -> None:
    """An intermediate node used by two ops shows ``a.grad = 1.0 + 1.0 = 2.0``."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    a = x * y
    out = a + a.tanh() * 0 + a  # a feeds three inputs
    steps = backward_steps(out)
    a_step = next(s for s in steps if s.node is a)
    assert sorted(a_step.received) == [0.0, 1.0, 1.0]
    terms = " + ".join(fmt(x) for x in a_step.received)
    assert a_step.accumulation() == f"a.grad = {terms} = 2.0   (used 3 times: the contributions add up)"
    assert a_step.accumulation() in a_step.text()


def test_no_accumulation_line_for_a_single_consumer() -> None:
    """A node with one consumer has no sum line."""
    x = Value(2.0, label="x")
    y = x.tanh().exp()
    assert all(s.accumulation() == "" for s in backward_steps(y))


def test_leaf_summary_sums_contributions() -> None:
    """A leaf used by several ops shows the sum, negatives in parentheses."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b + a - a.relu()
    steps = backward_steps(out)
    assert leaf_summary(steps, [(a, "a")]) == ["a.grad = -1.0 + 1.0 + (-3.0) = -3.0"]


def test_leaf_summary_includes_an_earlier_grad() -> None:
    """Leaf grads accumulate across backward() calls; the summary shows the earlier grad as a term."""
    x = Value(3.0, label="x")
    y = x * 2
    y.backward()
    steps = backward_steps(y)
    assert leaf_summary(steps, [(x, "x")]) == ["x.grad = 2.0 + 2.0 = 4.0"]
    assert "x.grad was 2.0 before this pass" in grad_derivation(steps, x, "x")[-1]


def test_backward_steps_match_the_engine() -> None:
    """Every contribution is local × upstream, and the last grad_after of a leaf is the engine's grad."""
    root, leaves = build("tanh(x*y + exp(x) / y) * x - log(y)", {"x": 0.7, "y": 1.3})
    steps = backward_steps(root)
    for step in steps:
        for c in step.contributions:
            assert c.value == c.local * c.upstream
            assert c.grad_after == c.grad_before + c.value
    for leaf in leaves.values():
        last = [c for s in steps for c in s.contributions if c.parent is leaf][-1]
        assert last.grad_after == leaf.grad


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_rules_are_shown_with_graph_names_for_every_op(op) -> None:
    """No op's rule leaks the op table's symbols a, b or out: it is written with the node names."""
    inputs = [Value(x, label=f"in{i}") for i, x in enumerate((1.5, 0.5)[: op.arity])]
    params = [lo + (hi - lo) / 3 for lo, hi in op.params_domain]
    out = apply(op, *inputs, params=params)
    out.label = "out1"
    for step in backward_steps(out):
        for c in step.contributions:
            assert c.named_rule.startswith(f"∂out1/∂{c.parent_name} = ")
            right = c.named_rule.split(" = ", 1)[1]
            assert not re.search(r"(?<![A-Za-z0-9_])(a|b|out)(?![A-Za-z0-9_])", right), c.named_rule
            assert c.named_rule in c.text()


def test_rule_symbols_never_collide_with_auto_names() -> None:
    """With auto-named nodes a, b, c the rule names the real inputs: ``∂c/∂a = b`` means a × b."""
    s = Value(2.0)  # named a
    t = s.exp()  # named b
    u = t * s  # named c; its first input (the op table's "a") is the node named b
    first, second = backward_steps(u)[0].lines()
    assert first == "b.grad += a × c.grad = (2.0)(1.0) = 2.0   (rule: ∂c/∂b = a)"
    assert second == "a.grad += b × c.grad = (7.38906)(1.0) = 7.38906   (rule: ∂c/∂a = b)"


def test_grad_derivation_says_a_node_feeds_two_ops() -> None:
    """The learner's most common slip: the derivation names both consumers and adds them."""
    x = Value(0.5, label="x")
    y = x.exp() + x.tanh()
    lines = grad_derivation(backward_steps(y), x, "x")
    assert len(lines) == 3
    assert lines[-1].startswith("x feeds two ops")
    assert "add both contributions" in lines[-1]
    assert lines[-1].endswith(f"= {fmt(x.grad)}")


def test_grad_derivation_of_the_output() -> None:
    """The output's grad is 1: backward starts there."""
    x = Value(0.5, label="x")
    y = x.exp()
    steps = backward_steps(y)
    assert "backward starts at the output" in grad_derivation(steps, y, "a")[0]


def test_grad_derivation_of_the_output_shows_the_seed() -> None:
    """The output's line gives the grad the pass started from (1.0), not what root.grad holds later."""
    y = Value(0.5, label="x").exp()
    steps = backward_steps(y)
    y.grad = 7.0  # e.g. put back by a drawing, or changed by hand
    assert grad_derivation(steps, y, "a") == ["a.grad = 1.0: backward starts at the output, da/da = 1"]


def test_explain_on_a_leaf() -> None:
    """Explaining a lone leaf neither crashes nor invents steps."""
    x = Value(2.0, label="x")
    assert explain(x) == "forward\n  x = 2.0\nbackward\nleaf grads\n  x.grad = 1.0"


def test_fmt_special_values() -> None:
    """inf, nan, negative zero and large numbers print readably."""
    assert [fmt(v) for v in (math.inf, -math.inf, math.nan, -0.0, 1e20, 2.0)] == [
        "inf",
        "-inf",
        "nan",
        "-0.0",
        "1e+20",
        "2.0",
    ]


def test_explain_displays_as_text_in_a_repl_and_a_notebook() -> None:
    """explain() is a str whose repr is the text itself, with an escaped <pre> for notebooks."""
    x = Value(2.0, label="x<1>")
    text = explain(x * x)
    assert isinstance(text, str)
    assert repr(text) == str(text)
    assert text._repr_html_() == "<pre>" + str(text).replace("<", "&lt;").replace(">", "&gt;") + "</pre>"


def test_second_contribution_shows_the_running_total() -> None:
    """When a node already holds a grad, its step line shows the sum it now holds."""
    x = Value(2.0, label="x")
    y = Value(-3.0, label="y")
    steps = backward_steps(x * y + x)
    assert steps[0].lines()[1].endswith("(rule: ∂b/∂x = 1)")  # first contribution: nothing to add to
    assert steps[1].lines()[0].endswith("(rule: ∂a/∂x = y)   so x.grad = 1.0 + (-3.0) = -2.0")


def test_leaf_summary_reads_the_steps_once() -> None:
    """leaf_summary walks the steps once, not once per leaf (explain() was quadratic)."""
    from microprop.explain import leaf_summary

    class Counting(list):
        walks = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            Counting.walks += 1
            return super().__iter__()

    leaves = [Value(float(i), label=f"x{i}") for i in range(50)]
    root = sum(v * v for v in leaves)
    steps = Counting(backward_steps(root))
    lines = leaf_summary(steps, [(v, v.label) for v in leaves])
    assert Counting.walks == 1
    assert lines[3] == "x3.grad = 3.0 + 3.0 = 6.0"


def test_grad_derivation_with_an_index_scans_no_steps() -> None:
    """grad_derivation given received_by(steps) gives the same lines without walking the steps."""
    from microprop.explain import grad_derivation, received_by

    x = Value(3.0, label="x")
    y = x * x + x
    steps = backward_steps(y)
    index = received_by(steps)
    assert grad_derivation([], x, "x", received_index=index) == grad_derivation(steps, x, "x")


def test_explain_refuses_huge_graphs_and_says_what_to_do() -> None:
    """Above max_nodes, explain() raises ExplanationTooLarge naming the size and the ways out."""
    from microprop.explain import ExplanationTooLarge

    x = Value(0.5, label="x")
    y = x
    for _ in range(1500):
        y = y * 1.0
    with pytest.raises(
        ExplanationTooLarge, match=r"this graph has 3001 nodes \(max_nodes=2000\).*smaller part"
    ):
        explain(y)
    assert explain(y, max_nodes=3001).count("\n") > 3000
