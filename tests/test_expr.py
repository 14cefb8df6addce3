"""The safe expression parser: what it accepts, what it rejects, and that it never crashes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microprop.explain import explain
from microprop.expr import MAX_LENGTH, ExprError, build, parse, parse_assignment, variables


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("x * y + 1", {"x": 2, "y": -3}, -5.0),
        ("-x ** 2", {"x": 3}, -9.0),
        ("x / y - y", {"x": 1, "y": 4}, -3.75),
        (
            "tanh(x1*w1 + x2*w2 + b)",
            {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432},
            math.sqrt(0.5),
        ),
        ("leaky_relu(x, 0.1) + elu(x, 2)", {"x": -1}, -0.1 + 2 * math.expm1(-1)),
        (
            "exp(log(x)) + sigmoid(0) + softplus(0) + abs(-x) + relu(x)",
            {"x": 2},
            2 + 0.5 + math.log(2) + 2 + 2,
        ),
        ("x ** y", {"x": 2, "y": 3}, 8.0),
        ("(x)", {"x": 1.5}, 1.5),
        ("1e-3 * x", {"x": 1000}, 1.0),
    ],
)
def test_builds_the_right_value(text: str, values: dict, expected: float) -> None:
    """Arithmetic, precedence, unary minus and every function evaluate like Python would."""
    root, _ = build(text, values)
    assert root.data == pytest.approx(expected, rel=1e-12)


def test_huge_exponent_is_inf_not_a_hang() -> None:
    """10**10**10 is float arithmetic: inf, at once (no big-integer power)."""
    root, _ = build("10**10**10 * x", {"x": 1})
    assert root.data == math.inf
    root, _ = build("9" * 400 + " * x", {"x": 1})
    assert root.data == math.inf


def test_variables_in_order_and_functions_are_not_variables() -> None:
    """Variables are listed by first use; a function name is not a variable."""
    assert variables(parse("tanh(b) * a + b")) == ["b", "a"]
    with pytest.raises(ExprError, match="'tanh' is a function"):
        parse("tanh + 1")


@pytest.mark.parametrize(
    ("text", "message", "col"),
    [
        ("__import__('os').system('touch X')", "only calls of op names", 0),
        ("().__class__.__bases__", "attribute access", 0),
        ("x.__class__", "attribute access", 0),
        ("lambda: 0", "lambdas", 0),
        ("[x for x in y]", "comprehensions", 0),
        ("f'{x}'", "f-strings", 0),
        ("x[0]", "subscripts", 0),
        ("eval('1')", "unknown function 'eval'", 0),
        ("x + open('X', 'w')", "unknown function 'open'", 4),
        ("(y := 2)", "assignments", 1),
        ("x if x else y", "conditional", 0),
        ("'a' + x", "only numbers", 0),
        ("x < y", "comparisons", 0),
        ("x @ y", "operator MatMult", 0),
        ("tanh(x, 2)", "tanh() takes one input", 0),
        ("tanh(x=1)", "keyword arguments", 7),
        ("leaky_relu(x, y)", "must be a number", 14),
        ("x +* 2", "syntax error", 3),
        ("x\n+ 1", "one line", 1),
        ("é + foo(x)", "unknown function 'foo'", 4),
    ],
)
def test_rejects_with_message_and_column(text: str, message: str, col: int) -> None:
    """Each forbidden construct raises ExprError with a clear message and the caret at its column."""
    with pytest.raises(ExprError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.col == col
    caret_line = info.value.pretty().splitlines()[-1]
    assert caret_line.index("^") - 2 == col


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("x +", True),
        ("x * ", True),
        ("  tanh(x) **", True),
        ("-", True),
        ("x + 1 +", True),
        ("x.", False),  # also ends early, but no operand would fix it
    ],
)
def test_unexpected_end_puts_the_caret_at_the_end(text: str, missing: bool) -> None:
    """Text that ends too early gets the caret just past its last character, not under the first."""
    with pytest.raises(ExprError) as info:
        parse(text)
    end = len(text.rstrip())
    assert info.value.col == end
    assert info.value.pretty().splitlines()[-1] == "  " + " " * end + "^"
    assert ("a number or variable is missing at the end" in info.value.message) is missing


def test_length_and_depth_are_capped_before_parsing() -> None:
    """Over-long text and deep nesting are refused with the limits named."""
    with pytest.raises(ExprError, match=f"the limit is {MAX_LENGTH}"):
        parse("x+" * 50_000 + "x")
    with pytest.raises(ExprError, match="deeper than"):
        parse("(" * 100 + "x" + ")" * 100)
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("-" * 1999 + "x")


def test_missing_and_unused_variables_are_named() -> None:
    """A variable without a value, and a value without a variable, are each named."""
    with pytest.raises(ExprError, match="variable 'w' has no value: add w=NUMBER") as info:
        build("x * w", {"x": 1})
    assert info.value.col == 4
    with pytest.raises(ExprError, match="'z' not used in the expression"):
        build("x", {"x": 1, "z": 2})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "expected NAME=NUMBER"),
        ("x=", "'' is not a number"),
        ("x=abc", "'abc' is not a number"),
        ("1x=2", "'1x' is not a variable name"),
        ("tanh=2", "'tanh' is a function"),
    ],
)
def test_bad_assignments_are_named(text: str, message: str) -> None:
    """A bad name=value names what is wrong with it."""
    with pytest.raises(ExprError, match=message):
        parse_assignment(text)


TOKENS = [
    "x",
    "y",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "**",
    ".",
    ",",
    "0",
    "1",
    "2",
    "e",
    "_",
    " ",
    "tanh",
    "exp",
    "log",
    "relu",
    "leaky_relu",
    "[",
    "]",
    "lambda",
    ":",
    "'",
    '"',
    "=",
    "__class__",
    "import",
    "for",
    "in",
    "if",
    "1e308",
    "inf",
    "{",
    "}",
    "@",
    "j",
    "\\",
    "\n",
]


def test_no_warnings_from_string_literals(recwarn: pytest.WarningsRecorder) -> None:
    """Python's own warnings about the rejected text (bad escapes) never reach the user."""
    with pytest.raises(ExprError):
        parse("'\\d' + x")
    assert len(recwarn) == 0


@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.text(max_size=60)))
def test_fuzz_only_expr_errors(text: str) -> None:
    """Whatever the text, parsing and building raise nothing but ExprError; what parses also explains."""
    try:
        tree = parse(text)
        root, _ = build(text, {name: 0.5 for name in variables(tree)})
    except ExprError as err:
        assert err.pretty()
        return
    assert explain(root)


LECTURE = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def test_named_steps_label_their_nodes() -> None:
    """'n = ...; o = tanh(n)' labels the step nodes n and o, and the output is the last step."""
    root, leaves = build("n = x1*w1 + x2*w2 + b; o = tanh(n)", LECTURE)
    assert root.label == "o" and root.parents[0].label == "n"
    assert root.data == pytest.approx(math.sqrt(0.5), rel=1e-12)
    assert sorted(leaves) == sorted(LECTURE)
    text = explain(root)
    assert "o = tanh(n) = tanh(0.881374) = 0.707107" in text
    assert "n.grad += (1 - o²) × o.grad" in text


def test_a_program_builds_the_same_numbers_as_one_expression() -> None:
    """Naming steps changes labels only: the value and every grad are the same."""
    named, named_leaves = build("n = x1*w1 + x2*w2 + b; o = tanh(n)", LECTURE)
    plain, plain_leaves = build("tanh(x1*w1 + x2*w2 + b)", LECTURE)
    named.backward()
    plain.backward()
    assert named.data == plain.data
    assert [v.grad for v in named_leaves.values()] == [v.grad for v in plain_leaves.values()]


@pytest.mark.parametrize(
    ("text", "values", "message", "col"),
    [
        ("n = x*2; o = x*3", {"x": 1}, "step 'n' is not used by a later step (o)", 0),
        ("o = tanh(n); n = x*2", {"x": 1}, "'n' is used before its step defines it", 9),
        ("n = x; o = n*2", {"x": 1}, "n = x gives x a second name", 4),
        ("x*2; o = 3", {"x": 1}, "every step before the last needs a name", 0),
        ("n = x*2;; o = n*2", {"x": 1}, "a step is empty", 8),
        ("n = x*2; n = n*3", {"x": 1}, "step 'n' is defined twice", 9),
        ("exp = x*2; o = exp + 1", {"x": 1}, "'exp' is a function", 0),
        ("n = ; o = 1", {}, "step 'n' has nothing after '='", 3),
        ("n = x*2; o = n^2", {"x": 1}, "use ** for powers, as in n**2", 13),
    ],
)
def test_bad_steps_are_named_with_a_caret(text: str, values: dict, message: str, col: int) -> None:
    """Each mistake in named steps says what is wrong and points at it in the whole text."""
    with pytest.raises(ExprError) as info:
        build(text, values)
    assert message in info.value.message
    assert info.value.col == col


def test_a_value_for_a_step_name_is_refused() -> None:
    """n=3 on the command line for a step n is a mistake, and said to be one."""
    with pytest.raises(ExprError, match="'n' is a step of the expression"):
        build("n = x*2; o = n + 1", {"x": 1, "n": 3})


@pytest.mark.parametrize(
    ("text", "message", "col"),
    [
        ("x^2 + 1", "use ** for powers, as in x**2", 0),
        ("2x + 1", "write 2*x: multiplying needs a *", 0),
        ("y + 3.5w1", "write 3.5*w1", 4),
        ("2(x + 1)", "write 2*(x + 1)", 0),
        ("(x + 1)(x - 1)", "write (x + 1)*(x - 1)", 0),
        ("tanhh(x)", "unknown function 'tanhh': did you mean tanh?", 0),
        ("Exp(x)", "did you mean exp?", 0),
        ("ln(x)", "the natural log is log(x)", 0),
        ("sqrt(x)", "write (x)**0.5", 0),
        ("sin(x)", "unknown function 'sin' (known: abs,", 0),
    ],
)
def test_errors_in_a_learners_words(text: str, message: str, col: int) -> None:
    """Paper notation (^, 2x, 2(x+1)) and misspelt functions get the fix spelled out."""
    with pytest.raises(ExprError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.col == col


def test_unicode_minus_is_a_minus() -> None:
    """A minus pasted from a book (U+2212) or an en dash reads as '-', in expressions and values."""
    root, _ = build("\u22122 * x \u2013 1", {"x": 3})
    assert root.data == -7.0
    assert parse_assignment("w1=\u22123").value == -3.0


def test_missing_variable_suggests_a_close_given_name() -> None:
    """A typo in a name=value argument is pointed out by the name it resembles."""
    with pytest.raises(
        ExprError, match=r"variable 'w1' has no value: add w1=NUMBER \(or did you mean w11\?\)"
    ):
        build("x * w1", {"x": 1, "w11": 2})


def test_fullwidth_names_in_assignments_are_nfkc_normalized() -> None:
    """ｘ=3 gives x its value, as Python reads ｘ in the expression as x (NFKC)."""
    assert parse_assignment("\uff58=3") == parse_assignment("x=3")
    root, _ = build("\uff58*2", {parse_assignment("\uff58=3").name: 3.0})
    assert root.data == 6.0


@pytest.mark.parametrize(
    ("text", "value", "warned"),
    [
        ("x=1e400", math.inf, "too large"),
        ("x=-1e400", -math.inf, "too large"),
        ("x=1e-400", 0.0, "too small"),
        ("x=inf", math.inf, ""),
        ("x=0.0e5", 0.0, ""),
        ("x=1e-320", 1e-320, ""),
    ],
)
def test_out_of_range_numbers_are_warned_about(text: str, value: float, warned: str) -> None:
    """A number that overflows to inf or underflows to 0.0 carries a warning; inf and 0 typed as such don't."""
    assignment = parse_assignment(text)
    assert assignment.value == value
    assert warned in assignment.warning and bool(assignment.warning) == bool(warned)


def test_function_with_required_parameters_says_what_it_takes() -> None:
    """threshold(x) without its threshold and value is a caret error naming both, not a traceback."""
    from microprop.expr import ExprError, build

    with pytest.raises(ExprError, match=r"threshold\(\) takes one input and threshold, value; got 1 arguments"):
        build("threshold(x)", {"x": 1.0})
    assert build("threshold(x, 0.5, -1)", {"x": 0.2})[0].data == -1.0
