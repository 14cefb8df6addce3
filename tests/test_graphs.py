"""Random expression graphs over the whole op table: gradcheck, text round trip, backward twice, PyTorch."""

from __future__ import annotations

import importlib.util
import math

import pytest
from hypothesis import given
from test_ops import torch_functions  # each row's PyTorch counterpart (tests/ is on sys.path)

from microprop import zero_grad
from microprop.expr import build
from microprop.gradcheck import gradcheck
from microprop.testing import MAX_TEXT, Expression, expressions


@given(expressions(max_leaves=4, max_ops=12))
def test_random_graphs_pass_gradcheck(e: Expression) -> None:
    """Every random graph's analytic grads match central differences (eps 1e-6, 1e-5 + 1e-3·|numeric|)."""
    gradcheck(e.fn, e.inputs)


@given(expressions(max_leaves=4, max_ops=12))
def test_text_builds_the_same_values_and_grads(e: Expression) -> None:
    """Expression.text parsed by microprop.expr gives the same value (bit for bit) and grads."""
    assert len(e.text) <= MAX_TEXT
    root = e.fn(*e.inputs)
    root.backward()
    leaves = {v.label: v for v in root.topo_order() if v.label}
    parsed, parsed_leaves = build(e.text, e.values())
    parsed.backward()
    assert same(parsed.data, root.data)
    assert sorted(parsed_leaves) == sorted(leaves) == sorted(e.names)
    for name, leaf in leaves.items():
        # shared subexpressions are written out twice in text, so sums run in another order
        assert parsed_leaves[name].grad == pytest.approx(leaf.grad, rel=1e-9, abs=1e-9), name


@given(expressions(max_leaves=4, max_ops=12))
def test_backward_twice_doubles_leaf_grads_and_resets_the_rest(e: Expression) -> None:
    """A second backward() adds the same grads again to the leaves; intermediate grads come out the same."""
    root = e.fn(*e.inputs)
    nodes = root.topo_order()
    root.backward()
    first = [v.grad for v in nodes]
    root.backward()
    for v, g in zip(nodes, first):
        if v.is_leaf():
            assert v.grad == pytest.approx(2 * g, rel=1e-9, abs=1e-9)
        else:
            assert same(v.grad, g)
    assert root.grad == 1.0
    zero_grad(nodes)
    assert all(v.grad == 0.0 for v in nodes)


def same(x: float, y: float) -> bool:
    """Bit-for-bit equal floats (nan equals nan)."""
    return x == y or (math.isnan(x) and math.isnan(y))


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
@given(expressions(max_leaves=4, max_ops=12))
def test_random_graphs_match_pytorch(e: Expression) -> None:
    """The same graph built in PyTorch (float64 autograd) gives the same value and grads, to 1e-9."""
    import torch

    functions = torch_functions()
    root = e.fn(*e.inputs)
    root.backward()
    leaves = {v.label: v for v in root.topo_order() if v.label}
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in e.inputs]
    nodes: list = []
    for step in e.steps:
        if step.kind == "input":
            nodes.append(tensors[step.index])
        elif step.kind == "const":
            nodes.append(torch.tensor(step.value, dtype=torch.float64))
        else:
            nodes.append(functions[step.op.name](*(nodes[i] for i in step.args), *step.params))
    nodes[-1].backward()
    assert root.data == pytest.approx(nodes[-1].item(), rel=1e-9, abs=1e-12)
    for name, tensor in zip(e.names, tensors):
        assert leaves[name].grad == pytest.approx(tensor.grad.item(), rel=1e-9, abs=1e-12), name
