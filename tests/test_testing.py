"""microprop.testing: the public hypothesis strategies, and the README's property test."""

from __future__ import annotations

import contextlib
import io
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from microprop import OPS, Op, Value, ops
from microprop.cli import main
from microprop.gradcheck import gradcheck
from microprop.testing import KINK_MARGIN, Expression, expressions, floats_in, op_cases, params_in

README = Path(__file__).resolve().parent.parent / "README.md"


@given(st.data())
def test_floats_in_stay_in_the_domain_and_off_the_kinks(data: st.DataObject) -> None:
    """floats_in(op, i) is inside the row's domain for input i and at least KINK_MARGIN from its kinks."""
    op = data.draw(st.sampled_from(ops.ROWS))
    index = data.draw(st.integers(0, op.arity - 1))
    x = data.draw(floats_in(op, index))
    lo, hi = op.domain[index]
    assert lo <= x <= hi and math.isfinite(x)
    if index == 0:
        assert all(abs(x - k) > KINK_MARGIN for k in op.kinks)


@given(st.data())
def test_op_cases_fit_the_row(data: st.DataObject) -> None:
    """op_cases gives one input per arity and one param per params entry, each in its domain."""
    op = data.draw(st.sampled_from(ops.ROWS))
    inputs, params = data.draw(op_cases(op.name))
    assert len(inputs) == op.arity and len(params) == len(op.params)
    assert all(lo <= p <= hi for p, (lo, hi) in zip(params, op.params_domain))
    assert all(lo <= x <= hi for x, (lo, hi) in zip(inputs, op.domain))


@given(st.data())
def test_params_in_stay_in_the_params_domain(data: st.DataObject) -> None:
    """params_in(op, i) is inside the row's params_domain for parameter i."""
    op = data.draw(st.sampled_from([op for op in ops.ROWS if op.params]))
    lo, hi = op.params_domain[0]
    assert lo <= data.draw(params_in(op.name)) <= hi


def test_expressions_mix_every_row() -> None:
    """Each row of the table occurs in some random expression (so every row is checked in graphs)."""
    quick = settings(database=None, phases=[Phase.generate], max_examples=1000)  # first hit, no shrinking
    for name in OPS:
        e = find(expressions(), lambda e, name=name: name in e.ops, settings=quick)
        assert name in e.ops


def test_expressions_shrink_to_small_graphs() -> None:
    """The simplest expression is one op on one input; the simplest with a repeated operand is x0 ⊙ x0."""
    smallest = find(expressions(), lambda e: True, settings=settings(database=None))
    assert len(smallest.inputs) == 1 and sum(s.kind == "op" for s in smallest.steps) == 1
    shared = find(
        expressions(),
        lambda e: any(len(set(s.args)) < len(s.args) for s in e.steps),
        settings=settings(database=None),
    )
    assert re.fullmatch(r"x0 (\+|\*|\*\*) x0", shared.text), shared.text


def is_adapter(node: Value) -> bool:
    """An add or mul with a constant (an unlabelled leaf): how expressions() fits a node to an op."""
    second = node.parents[1] if len(node.parents) == 2 else None
    return second is not None and second.is_leaf() and not second.label


@given(expressions(max_leaves=4, max_ops=12))
def test_expressions_keep_each_op_inside_its_domain(e: Expression) -> None:
    """In every random graph each op's inputs (but the adapters') are inside its row's domain and clear of
    its kinks; the adapters' constants are short: a power of two, or a multiple of 1/8."""
    for node in e.fn(*e.inputs).topo_order():
        if node.op is None:
            continue
        if is_adapter(node):
            constant = node.parents[1].data
            assert math.frexp(constant)[0] == 0.5 if node.op.name == "mul" else (constant * 8).is_integer()
            continue
        for i, parent in enumerate(node.parents):
            lo, hi = node.op.domain[i]
            assert lo <= parent.data <= hi, (e, node.op.name, parent.data)
        assert all(abs(node.parents[0].data - k) >= 0.05 for k in node.op.kinks)


SIN = Op("sin", "sin", math.sin, lambda out, a: (math.cos(a),), "d/da = cos(a)", domain=((-3.0, 3.0),))


@given(expressions(ops=[SIN, OPS["mul"]]))
def test_expressions_take_custom_rows(e: Expression) -> None:
    """ops= restricts graphs to the given rows, custom ones included (the adapters add only add and mul)."""
    assert e.ops <= {"sin", "mul", "add"}
    assert isinstance(e.fn(*e.inputs), Value)


def test_a_wrong_derivative_shrinks_to_one_op() -> None:
    """As the README says: sin with sin(a) as its derivative fails gradcheck, shrunk to sin(x0) at 0."""
    wrong = Op("sin", "sin", math.sin, lambda out, a: (math.sin(a),), "d/da = sin(a)", domain=((-3.0, 3.0),))

    def fails(e: Expression) -> bool:
        return not gradcheck(e.fn, e.inputs, raise_on_failure=False).ok

    e = find(expressions(ops=[wrong, OPS["mul"], OPS["tanh"]]), fails, settings=settings(database=None))
    assert repr(e) == "Expression('sin(x0)', x0=0.0)"


@settings(max_examples=20)
@given(expressions(max_leaves=3, max_ops=6))
def test_command_reproduces_the_check(e: Expression) -> None:
    """Expression.command() is a `microprop check` line that passes (exit 0) at the command line."""
    argv = shlex.split(e.command())
    assert argv[:2] == ["microprop", "check"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv[1:]) == 0
    assert out.getvalue().rstrip().endswith("all gradients match")


def readme_snippet() -> str:
    """The Python block of the README's "Testing your own gradients" section."""
    section = README.read_text().split("## Testing your own gradients", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return code


def test_readme_property_tests_run(tmp_path: Path) -> None:
    """The README's property tests, copied into a file, pass under pytest."""
    path = tmp_path / "test_readme_snippet.py"
    path.write_text(readme_snippet())
    # hypothesis's default 200 ms deadline would make a loaded machine flaky; the snippet is untouched
    (tmp_path / "conftest.py").write_text(
        "from hypothesis import settings\n"
        "settings.register_profile('readme', deadline=None, max_examples=30)\n"
        "settings.load_profile('readme')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_import_microprop_does_not_need_hypothesis() -> None:
    """import microprop (and its engine, explainer, gradcheck, cli) leaves hypothesis unimported."""
    code = (
        "import sys, microprop, microprop.gradcheck, microprop.explain, microprop.cli, microprop.expr; "
        "assert 'hypothesis' not in sys.modules and 'microprop.testing' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
