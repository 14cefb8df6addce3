"""Step through a graph by hand: the forward pass and the backward pass, node by node.

Every line is generated from the op table (its label and rule) and from the numbers
the engine itself computed during ``backward()``; nothing is written per op. The same
steps feed the graph frames in ``microprop.viz``, so captions have one source.

>>> from microprop import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = a * b; c.label = "c"
>>> print(forward_steps(c)[-1].text())
c = a × b = (2.0)(-3.0) = -6.0
>>> for line in backward_steps(c)[0].lines(): print(line)
a.grad += b × c.grad = (-3.0)(1.0) = -3.0   (rule: ∂c/∂a = b)
b.grad += a × c.grad = (2.0)(1.0) = 2.0   (rule: ∂c/∂b = a)
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .engine import Value, contribution
from .i18n import N_, language, tr
from .naming import fmt, node_names
from .ops import Op

_SYMBOL = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_])")  # out, a, b, params
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9.eE+-]+")


def _symbols(node: Value, names: dict[Value, str]) -> dict[str, str]:
    """What the rule's symbols (out, a, b, p, ...) stand for at this node."""
    symbols = {"out": names[node]}
    for symbol, parent in zip("ab", node.parents):
        symbols[symbol] = names[parent]
    if node.op is not None:
        for pname, value in zip(node.op.params, node.params):
            symbols[pname] = fmt(value)
    return symbols


def _grouped(text: str) -> str:
    """``text`` as one term: ``x1`` stays, ``1 - o²`` becomes ``(1 - o²)``."""
    return text if _SIMPLE.fullmatch(text) else f"({text})"


def _ungrouped(text: str) -> str:
    """``(1 - o²)`` back to ``1 - o²`` (only when the outer parentheses pair up)."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(text) - 1:
            return text  # "(a)(b)": the first ")" closes before the end
    return text[1:-1]


def _sum_text(terms: list[float]) -> str:
    """``1.0 + 1.0`` or ``-1.0 + (-3.0)``: terms of a sum, negatives after the first
    in parentheses so the signs stay readable.

    >>> _sum_text([-1.0, 1.0, -3.0])
    '-1.0 + 1.0 + (-3.0)'
    """
    parts = [fmt(x) if i == 0 or x >= 0 else f"({fmt(x)})" for i, x in enumerate(terms)]
    return " + ".join(parts)


def _substitute(formula: str, symbols: dict[str, str]) -> str:
    return _SYMBOL.sub(lambda m: _grouped(symbols.get(m.group(1), m.group(1))), formula)


def expression(node: Value, names: dict[Value, str], values: bool = False) -> str:
    """The op applied to the node's inputs, by name (``a × b``) or by value
    (``(2.0)(-3.0)``).

    >>> a = Value(2.0, label="a"); y = a ** 3
    >>> expression(y, node_names(y)), expression(y, node_names(y), values=True)
    ('a^3.0', '(2.0)^3.0')
    """
    op = node.op
    assert op is not None, "leaves have no expression"
    params = [fmt(x) for x in node.params]
    if not op.operator:  # a function: label(a, p=...)
        arg = fmt(node.parents[0].data) if values else names[node.parents[0]]
        inner = ", ".join([arg] + [f"{n}={v}" for n, v in zip(op.params, params)])
        return f"{op.label}({inner})"
    args = [f"({fmt(p.data)})" if values else _grouped(names[p]) for p in node.parents]
    if op.arity == 2:
        if op.name == "mul" and values:
            return f"{args[0]}{args[1]}"
        return f"{args[0]} {op.label} {args[1]}"
    return f"{args[0]}{op.label}{params[0]}"  # an operator with a constant parameter: a^3.0


@dataclass(frozen=True)
class ForwardStep:
    """One node computed in the forward pass.

    >>> x = Value(2.0, label="x"); y = Value(-3.0, label="y")
    >>> step = forward_steps(x * y)[-1]
    >>> step.index, step.name, step.formula, step.numbers
    (2, 'a', 'x × y', '(2.0)(-3.0)')
    >>> step.text()
    'a = x × y = (2.0)(-3.0) = -6.0'
    """

    index: int
    node: Value
    name: str
    formula: str  # "a × b", or "" for a leaf
    numbers: str  # "(2.0)(-3.0)", or "" for a leaf

    def text(self) -> str:
        """``c = a × b = (2.0)(-3.0) = -6.0``, or ``a = 2.0`` for a leaf."""
        if not self.formula:
            return f"{self.name} = {fmt(self.node.data)}"
        return f"{self.name} = {self.formula} = {self.numbers} = {fmt(self.node.data)}"


@dataclass(frozen=True)
class Contribution:
    """What one backward step added to one parent's grad.

    >>> x = Value(2.0, label="x"); y = Value(-3.0, label="y")
    >>> c = backward_steps(x * y)[0].contributions[0]
    >>> c.parent is x, c.local, c.upstream, c.value, c.grad_after
    (True, -3.0, 1.0, -3.0, -3.0)
    >>> c.text()
    'x.grad += y × a.grad = (-3.0)(1.0) = -3.0   (rule: ∂a/∂x = y)'
    """

    parent: Value
    parent_name: str
    slot: int  # which input of the op (0 for a, 1 for b)
    rule: str  # "d/da = b"
    local_formula: str  # the rule's right side with names substituted: "w1"
    local: float  # its value
    upstream_name: str  # "n.grad"
    upstream: float
    value: float  # local × upstream: what was added
    grad_before: float
    grad_after: float

    @property
    def node_name(self) -> str:
        """The name of the node whose step this is (``n`` for ``n.grad``)."""
        return self.upstream_name.removesuffix(".grad")

    @property
    def named_rule(self) -> str:
        """The op's rule for this input with the graph's own names: ``∂n/∂x1 = w1``.

        The op table writes rules with the symbols ``a, b, out``; nodes may be named
        ``a, b, c`` too, so the text shown to learners always uses this form.
        """
        return f"∂{self.node_name}/∂{self.parent_name} = {_ungrouped(self.local_formula)}"

    def text(self) -> str:
        """``x1.grad += w1 × n.grad = (-3.0)(0.5) = -1.5   (rule: ∂n/∂x1 = w1)``."""
        return tr(
            "{grad} += {local} × {upstream} = {numbers} = {value}   (rule: {rule})",
            grad=f"{self.parent_name}.grad",
            local=self.local_formula,
            upstream=self.upstream_name,
            numbers=f"({fmt(self.local)})({fmt(self.upstream)})",
            value=fmt(self.value),
            rule=self.named_rule,
        )

    def running_total(self) -> str:
        """What the parent holds now, when it already held a grad (the accumulation
        learners most often miss); ``""`` otherwise.

        >>> x = Value(2.0, label="x"); y = Value(-3.0, label="y")
        >>> [c.running_total() for s in backward_steps(x * y + x) for c in s.contributions][2]
        'so x.grad = 1.0 + (-3.0) = -2.0'
        """
        if self.grad_before == 0:
            return ""
        return tr(
            "so {grad} = {terms} = {total}",
            grad=f"{self.parent_name}.grad",
            terms=_sum_text([self.grad_before, self.value]),
            total=fmt(self.grad_after),
        )


@dataclass(frozen=True)
class BackwardStep:
    """One node sending its grad to its parents, in reverse topological order.

    >>> x = Value(2.0, label="x"); y = Value(-3.0, label="y")
    >>> step = backward_steps(x * y)[0]
    >>> step.index, step.name, step.upstream, len(step.contributions)
    (1, 'a', 1.0, 2)
    >>> print(step.text())
    step 1  a = x × y   (×)   a.grad = 1.0
        -> x.grad += y × a.grad = (-3.0)(1.0) = -3.0   (rule: ∂a/∂x = y)
        -> y.grad += x × a.grad = (2.0)(1.0) = 2.0   (rule: ∂a/∂y = x)
    """

    index: int
    node: Value
    name: str
    op: Op
    formula: str
    upstream: float  # this node's grad, complete when its step comes
    received: tuple[float, ...]  # the contributions that summed to it
    contributions: tuple[Contribution, ...]

    def header(self) -> str:
        """``step 4  n = x1w1x2w2 + b   (+)   n.grad = 0.5``."""
        return tr(
            "step {index}  {formula}   ({op})   {grad}",
            index=self.index,
            formula=f"{self.name} = {self.formula}",
            op=self.op.label,
            grad=f"{_grouped(self.name)}.grad = {fmt(self.upstream)}",
        )

    def accumulation(self) -> str:
        """``a.grad = 1.0 + 1.0 = 2.0`` when several ops fed this node, else ``""``."""
        if len(self.received) < 2:
            return ""
        return tr(
            "{grad} = {terms} = {total}   (used {count} times: the contributions add up)",
            grad=f"{_grouped(self.name)}.grad",
            terms=_sum_text(list(self.received)),
            total=fmt(self.upstream),
            count=len(self.received),
        )

    def lines(self) -> list[str]:
        """The contribution lines, one per parent, each followed by the parent's new total
        when it already held a grad."""
        return ["   ".join(filter(None, (c.text(), c.running_total()))) for c in self.contributions]

    def text(self) -> str:
        """Header, accumulation note and contributions, as printed by ``microprop step``."""
        parts = [self.header()]
        if self.accumulation():
            parts.append("  " + self.accumulation())
        if self.op.note and all(c.local == 0 for c in self.contributions):  # why nothing flows back
            parts.append("  " + tr("note: {note}", note=tr(self.op.note)))
        parts += ["    -> " + line for line in self.lines()]
        return "\n".join(parts)


def forward_steps(root: Value, names: dict[Value, str] | None = None) -> list[ForwardStep]:
    """The forward pass as steps, inputs first (topological order).

    >>> x = Value(0.5, label="x"); y = x.tanh(); y.label = "y"
    >>> [s.text() for s in forward_steps(y)]
    ['x = 0.5', 'y = tanh(x) = tanh(0.5) = 0.462117']
    """
    names = names or node_names(root)
    steps = []
    for i, node in enumerate(root.topo_order()):
        leaf = node.op is None
        formula = "" if leaf else expression(node, names)
        numbers = "" if leaf else expression(node, names, values=True)
        steps.append(ForwardStep(i, node, names[node], formula, numbers))
    return steps


@dataclass(frozen=True)
class TangentStep:
    """One node of the forward-mode sweep: its tangent (d node / d seed direction) is
    the sum over its inputs of local derivative × input tangent, from the op table's row.

    >>> x = Value(2.0, label="x"); y = Value(-3.0, label="y"); z = x * y; z.label = "z"
    >>> tangent_steps(z, {x: 1.0})[-1].text()
    'z.t = y × x.t + x × y.t = (-3.0)(1.0) + (2.0)(0.0) = -3.0'
    """

    node: Value
    name: str
    formula: str  # "y × x.t + x × y.t", or "" for a leaf
    numbers: str
    tangent: float

    def text(self) -> str:
        """``z.t = y × x.t + x × y.t = (-3.0)(1.0) + (2.0)(0.0) = -3.0``, or ``x.t = 1.0``."""
        head = f"{_grouped(self.name)}.t"
        if not self.formula:
            return f"{head} = {fmt(self.tangent)}"
        return f"{head} = {self.formula} = {self.numbers} = {fmt(self.tangent)}"


def tangent_steps(
    root: Value, seeds: dict[Value, float], names: dict[Value, str] | None = None
) -> list[TangentStep]:
    """The forward-mode sweep, inputs first: each leaf's tangent is its seed (0 if not
    given); each op node's is Σ local derivative × input tangent (a node's pair (data,
    tangent) is a dual number). With seed 1 on x, every tangent is d node / d x.

    >>> x = Value(0.5, label="x"); y = x.tanh(); y.label = "y"
    >>> [s.text() for s in tangent_steps(y, {x: 1.0})]
    ['x.t = 1.0', 'y.t = (1 - y²) × x.t = (0.786448)(1.0) = 0.786448']
    """
    names = names or node_names(root)
    tangent: dict[Value, float] = {}
    steps = []
    for node in root.topo_order():
        op = node.op
        if op is None:
            tangent[node] = float(seeds.get(node, 0.0))
            steps.append(TangentStep(node, names[node], "", "", tangent[node]))
            continue
        parents = node.parents
        locals_ = op.partials(node.data, *(p.data for p in parents), *node.params)
        symbols = _symbols(node, names)
        terms, numbers, total = [], [], 0.0
        for slot, (parent, rule, local) in enumerate(zip(parents, op.local_rules(), locals_)):
            formula = _substitute(rule.split("=", 1)[1].strip(), symbols)
            terms.append(f"{_grouped(formula)} × {_grouped(names[parent])}.t")
            numbers.append(f"({fmt(local)})({fmt(tangent[parent])})")
            sent = local * tangent[parent]
            masked = (
                op.mask is not None and op.mask(node.data, *(p.data for p in parents), *node.params)[slot]
            )
            if sent != sent and masked:  # noqa: PLR0124 - nan: a masked input gets exactly 0
                sent = 0.0
            total += sent
        tangent[node] = total
        steps.append(TangentStep(node, names[node], " + ".join(terms), " + ".join(numbers), total))
    return steps


def backward_steps(
    root: Value, names: dict[Value, str] | None = None, order: list[Value] | None = None
) -> list[BackwardStep]:
    """Run ``root.backward()`` and record each step: the node, its grad, the rule,
    the local derivatives and what each parent received. Pass ``order``
    (``root.topo_order()``) when it is already at hand, to walk the graph once.

    The pass is the engine's own (leaf grads accumulate as with ``backward()``); this
    only listens through its ``on_step`` hook.

    >>> a = Value(3.0, label="a"); b = a + a; b.label = "b"
    >>> step = backward_steps(b)[0]
    >>> [(c.parent_name, c.value, c.grad_before, c.grad_after) for c in step.contributions]
    [('a', 1.0, 0.0, 1.0), ('a', 1.0, 1.0, 2.0)]
    """
    order = root.topo_order() if order is None else order
    names = names or node_names(root, order)
    # the grads the engine starts from: leaves keep theirs, the rest are reset
    seen = {v: (v.grad if v.op is None else 0.0) for v in order}
    received: dict[Value, list[float]] = {v: [] for v in order}
    if root.op is not None:
        received[root].append(1.0)
    steps: list[BackwardStep] = []

    def record(node: Value, locals_: tuple[float, ...]) -> None:
        op = node.op
        assert op is not None
        symbols = _symbols(node, names)
        rules = op.local_rules()
        contributions = []
        for slot, (parent, local) in enumerate(zip(node.parents, locals_)):
            rule = rules[slot]
            value = contribution(node, slot, local)  # what the engine sent
            contributions.append(
                Contribution(
                    parent=parent,
                    parent_name=_grouped(names[parent]),
                    slot=slot,
                    rule=rule,
                    local_formula=_grouped(_substitute(rule.split("=", 1)[1].strip(), symbols)),
                    local=local,
                    upstream_name=f"{_grouped(names[node])}.grad",
                    upstream=node.grad,
                    value=value,
                    grad_before=seen[parent],
                    grad_after=seen[parent] + value,  # as the engine added it
                )
            )
            received[parent].append(value)
            seen[parent] = contributions[-1].grad_after
        steps.append(
            BackwardStep(
                index=len(steps) + 1,
                node=node,
                name=names[node],
                op=op,
                formula=expression(node, names),
                upstream=node.grad,
                received=tuple(received[node]),
                contributions=tuple(contributions),
            )
        )

    root.backward(on_step=record)
    return steps


def received_by(steps: list[BackwardStep]) -> dict[Value, list[tuple[BackwardStep, Contribution]]]:
    """Every contribution of the walk, filed under the node that received it, in the
    order they were added (one pass over the steps).

    >>> x = Value(3.0, label="x"); y = x * x
    >>> [c.value for _, c in received_by(backward_steps(y))[x]]
    [3.0, 3.0]
    """
    received: dict[Value, list[tuple[BackwardStep, Contribution]]] = {}
    for s in steps:
        for c in s.contributions:
            received.setdefault(c.parent, []).append((s, c))
    return received


def leaf_summary(steps: list[BackwardStep], leaves: list[tuple[Value, str]]) -> list[str]:
    """One line per leaf after the walk, showing how its grad summed up.

    >>> x = Value(3.0, label="x"); y = x * x
    >>> leaf_summary(backward_steps(y), [(x, "x")])
    ['x.grad = 3.0 + 3.0 = 6.0']
    """
    by_node = received_by(steps)
    lines = []
    for leaf, name in leaves:
        received = [c for _, c in by_node.get(leaf, ())]
        terms = [c.value for c in received]
        if received and received[0].grad_before != 0:  # grad left from an earlier backward()
            terms.insert(0, received[0].grad_before)
        sum_text = _sum_text(terms) + " = " if len(terms) > 1 else ""
        lines.append(f"{_grouped(name)}.grad = {sum_text}{fmt(leaf.grad)}")
    return lines


def seed_line(name: str, seed: float = 1.0) -> str:
    """The line before the first backward step: the output's grad is the seed, 1.

    >>> seed_line("f")
    'f.grad = 1.0: backward starts at the output, df/df = 1'
    """
    return tr(
        "{grad}: backward starts at the output, {derivative}",
        grad=f"{_grouped(name)}.grad = {fmt(seed)}",
        derivative=f"d{name}/d{name} = 1",
    )


def grad_derivation(
    steps: list[BackwardStep],
    node: Value,
    name: str,
    received_index: dict[Value, list[tuple[BackwardStep, Contribution]]] | None = None,
) -> list[str]:
    """How ``node``'s grad was found: each contribution it received (from which step)
    and, when it feeds several ops, the sum. What a learner should have computed.
    For many nodes of one walk, pass ``received_index=received_by(steps)``: each call
    then costs only that node's contributions, not a scan of every step.

    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> for line in grad_derivation(backward_steps(y), x, "x"): print(line)
    step 1 (y = x × x): x.grad += x × y.grad = (3.0)(1.0) = 3.0   (rule: ∂y/∂x = x)
    step 1 (y = x × x): x.grad += x × y.grad = (3.0)(1.0) = 3.0   (rule: ∂y/∂x = x)
    x is used twice by y: add both contributions, x.grad = 3.0 + 3.0 = 6.0
    """
    if received_index is None:
        received = [(s, c) for s in steps for c in s.contributions if c.parent is node]
    else:
        received = received_index.get(node, [])
    if not received:
        if steps and steps[0].node is node:  # the seed, as the pass saw it (not node.grad now)
            return [seed_line(name, steps[0].upstream)]
        return [
            tr("{grad}: nothing downstream depends on it", grad=f"{_grouped(name)}.grad = {fmt(node.grad)}")
        ]
    lines = [
        tr(
            "step {index} ({formula}): {contribution}",
            index=s.index,
            formula=f"{s.name} = {s.formula}",
            contribution=c.text(),
        )
        for s, c in received
    ]
    terms = [c.value for _, c in received]
    start = received[0][1].grad_before
    fields = {"name": name, "grad": f"{_grouped(name)}.grad", "total": fmt(received[-1][1].grad_after)}
    if start != 0:  # grad left from an earlier backward(): the engine adds to it
        lines.append(
            tr(
                "{name}.grad was {start} before this pass, and grads accumulate: {grad} = {terms} = {total}",
                start=fmt(start),
                terms=_sum_text([start, *terms]),
                **fields,
            )
        )
    elif len(received) > 1:
        consumers = {s.index: s.name for s, _ in received}
        fields.update(terms=_sum_text(terms), count=_count(len(received)))
        if len(consumers) == 1 and len(received) == 2:
            message = N_(
                "{name} is used twice by {consumer}: add both contributions, {grad} = {terms} = {total}"
            )
        elif len(consumers) == 1:
            message = N_(
                "{name} is used {count} times by {consumer}: add all {count} contributions, {grad} = {terms} = {total}"
            )
        elif len(received) == 2:
            message = N_(
                "{name} feeds {ops} ops ({consumers}): add both contributions, {grad} = {terms} = {total}"
            )
        else:
            message = N_(
                "{name} feeds {ops} ops ({consumers}): add all {count} contributions, {grad} = {terms} = {total}"
            )
        lines.append(
            tr(
                message,
                consumer=received[0][0].name,
                ops=_count(len(consumers)),
                consumers=", ".join(consumers.values()),
                **fields,
            )
        )
    return lines


#: small counts in words, as a sentence says them ("used three times")
FORWARD_MODE = N_(
    "forward mode (tangents, seeds {seeds}): each node's tangent is the sum of local derivative × input tangent"
)
TANGENT_RESULT = N_("so {root}.t = {value}: the derivative of {root} along the seeds, in one forward sweep")

_COUNTS = {2: N_("two"), 3: N_("three"), 4: N_("four")}


def _count(n: int) -> str:
    return tr(_COUNTS[n]) if n in _COUNTS else str(n)


def forward_mode_lines(root: Value, seeds: dict[Value, float], names: dict[Value, str]) -> list[str]:
    """The forward-mode sweep as ``explain(root, tangents=seeds)`` and ``microprop step
    --tangent`` print it: a heading naming the seeds, each node's tangent, the result.

    >>> x = Value(0.5, label="x"); y = x.tanh(); y.label = "y"
    >>> for line in forward_mode_lines(y, {x: 1.0}, node_names(y)):
    ...     print(line)
    forward mode (tangents, seeds x.t = 1.0): each node's tangent is the sum of local derivative × input tangent
      x.t = 1.0
      y.t = (1 - y²) × x.t = (0.786448)(1.0) = 0.786448
      so y.t = 0.786448: the derivative of y along the seeds, in one forward sweep
    """
    given = ", ".join(f"{_grouped(names[v])}.t = {fmt(t)}" for v, t in seeds.items())
    sweep = tangent_steps(root, seeds, names)
    return [
        tr(FORWARD_MODE, seeds=given),
        *("  " + s.text() for s in sweep),
        "  " + tr(TANGENT_RESULT, root=names[root], value=fmt(sweep[-1].tangent)),
    ]


class ExplanationTooLarge(ValueError):
    """The graph has more nodes than ``explain(..., max_nodes=)`` allows.

    >>> issubclass(ExplanationTooLarge, ValueError)
    True
    """


def explain(
    root: Value, lang: str | None = None, max_nodes: int = 2000, tangents: dict[Value, float] | None = None
) -> Explanation:
    """The whole walk as text: forward lines, backward steps, then the leaf grads, in
    ``lang`` (``"en"`` or ``"ko"``; by default the language in effect, see ``microprop.i18n``).

    With ``tangents`` (a seed per leaf, e.g. ``{x: 1.0}``) the forward-mode sweep comes
    before the backward pass: each node's tangent, Σ local derivative × input tangent,
    inputs first. It ends with d root along the seeds, which the reverse sweep gives too.

    The text grows with the graph (a few lines per node, in time linear in its size);
    above ``max_nodes`` nodes it is refused with ``ExplanationTooLarge``, which says
    what to do instead.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = a * b; c.label = "c"
    >>> print(explain(c))
    forward
      a = 2.0
      b = -3.0
      c = a × b = (2.0)(-3.0) = -6.0
    backward
    step 1  c = a × b   (×)   c.grad = 1.0
        -> a.grad += b × c.grad = (-3.0)(1.0) = -3.0   (rule: ∂c/∂a = b)
        -> b.grad += a × c.grad = (2.0)(1.0) = 2.0   (rule: ∂c/∂b = a)
    leaf grads
      a.grad = -3.0
      b.grad = 2.0
    """
    with language(lang):
        order = root.topo_order()
        if len(order) > max_nodes:
            raise ExplanationTooLarge(
                tr(
                    "explain() writes a few lines per node, and this graph has {count} nodes "
                    "(max_nodes={max_nodes}): explain a smaller part of it (a sub-expression, one neuron), "
                    "or pass max_nodes={count} for the whole text (about {lines} lines)",
                    count=len(order),
                    max_nodes=max_nodes,
                    lines=3 * len(order),
                )
            )
        names = node_names(root, order)
        lines = [tr("forward")] + ["  " + s.text() for s in forward_steps(root, names)]
        if tangents is not None:
            lines += forward_mode_lines(root, tangents, names)
        steps = backward_steps(root, names, order)
        lines.append(tr("backward"))
        lines += [s.text() for s in steps]
        lines.append(tr("leaf grads"))
        leaves = [(v, names[v]) for v in order if v.op is None]
        lines += ["  " + line for line in leaf_summary(steps, leaves)]
        return Explanation("\n".join(lines))


class Explanation(str):
    """The text ``explain`` returns: a plain ``str`` that also displays as itself at
    the Python prompt and as a monospaced block in a notebook (no ``'\\n'`` soup).

    >>> Explanation("a = 2.0\\nb = a < 3")
    a = 2.0
    b = a < 3
    >>> Explanation("b = a < 3")._repr_html_()
    '<pre>b = a &lt; 3</pre>'
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display."""
        return f"<pre>{html.escape(str(self))}</pre>"
