"""What each picture shows, as data: one ``Frame`` per forward or backward step.

The backward frames come from ``microprop.explain.backward_steps`` (the engine's own
pass, listened to through its hook), so captions and numbers have one source with
``microprop step``. Both the static step images and the HTML stepper read these frames.

>>> from microprop import Value
>>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
>>> frames = backward_frames(walk(y), y)
>>> [f.text[0] for f in frames]  # x's grad: unknown, then 3 + 3
['?', '6.0']
>>> frames[1].caption.splitlines()[0]
'step 1  y = x × x   (×)   y.grad = 1.0'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from microprop.engine import Value
from microprop.explain import BackwardStep, backward_steps, forward_steps, seed_line
from microprop.naming import num, shown

from .walk import Graph, walk


@dataclass
class Frame:
    """The state of the picture at one step.

    ``text`` holds, per node index, the number in the cell that changes in this view
    (grad in the backward view, data in the forward view): a number, ``"?"`` when not
    yet computed, or ``"1.0 + ?"`` when some but not all contributions have arrived.
    ``status`` is ``current``, ``pending``, ``partial`` or ``""``; ``edge_text`` labels
    the edges whose contribution has been sent; ``hot`` are the current step's edges.

    >>> x = Value(2.0, label="x"); y = x * x
    >>> f = backward_frames(walk(y), y)[1]
    >>> f.current, f.hot, f.text[0], f.edge_text[0]
    (1, (0, 1), '4.0', '2.0 × 1.0 = 2.0')
    """

    caption: str
    current: int | None
    hot: tuple[int, ...]
    text: dict[int, str]
    status: dict[int, str]
    edge_text: dict[int, str] = field(default_factory=dict)


@dataclass
class BackwardPass:
    """One fresh backward pass from the root, run on the side: steps, every node's
    grad, and each edge's (local, upstream, contribution) and step number.

    >>> x = Value(2.0, label="x"); y = (x * 3.0).tanh()
    >>> bp = backward_pass(walk(y), y)
    >>> len(bp.steps), sorted(bp.edge_step.items())  # edge -> the step that sent along it
    (2, [(0, 2), (1, 2), (2, 1)])
    """

    steps: list[BackwardStep]
    grads: list[float]
    edge_values: dict[int, tuple[float, float, float]]
    edge_step: dict[int, int]
    held: list[float] = field(default_factory=list)  # leaf grads left by earlier passes (0.0: none)


def backward_pass(graph: Graph, root: Value, passes: int = 1) -> BackwardPass:
    """Run ``backward_steps`` from zero grads and put every grad back as it was, so
    drawing never changes the graph. With ``passes`` > 1, ``backward()`` runs that many
    times without ``zero_grad`` (micrograd's accumulation case) and the steps are the
    last pass's, starting from the leaf grads the earlier passes left (``held``).

    >>> a = Value(2.0, label="a"); b = a * a; b.backward()
    >>> p = backward_pass(walk(b), b)
    >>> p.grads[0], a.grad, p.edge_values[0]
    (4.0, 4.0, (2.0, 1.0, 2.0))
    >>> p = backward_pass(walk(b), b, passes=2)
    >>> p.held[0], p.grads[0], a.grad
    (4.0, 8.0, 4.0)
    """
    saved = [v.grad for v in graph.nodes]
    try:
        for v in graph.nodes:
            v.grad = 0.0  # a fresh pass: leaves would otherwise accumulate
        for _ in range(passes - 1):
            root.backward()
        held = [v.grad if v.op is None else 0.0 for v in graph.nodes]
        steps = backward_steps(root, dict(graph.names), graph.nodes)
        grads = [v.grad for v in graph.nodes]
    finally:
        for v, g in zip(graph.nodes, saved):
            v.grad = g
    by_slot = {(e.child, e.slot): e.index for e in graph.edges}
    edge_values, edge_step = {}, {}
    for step in steps:
        child = graph.index[step.node]
        for c in step.contributions:
            e = by_slot[(child, c.slot)]
            edge_values[e] = (c.local, c.upstream, c.value)
            edge_step[e] = step.index
    return BackwardPass(steps, grads, edge_values, edge_step, held)


def edge_label(values: tuple[float, float, float]) -> str:
    """``local × upstream = contribution`` for an edge into an op.

    >>> edge_label((-3.0, 0.5, -1.5))
    '-3.0 × 0.5 = -1.5'
    """
    local, upstream, value = values
    return f"{num(local)} × {num(upstream)} = {num(value)}"


def final_frame(graph: Graph, bp: BackwardPass) -> Frame:
    """The backward view with every grad known and every edge labelled.

    >>> x = Value(2.0, label="x"); y = x * x
    >>> g = walk(y); f = final_frame(g, backward_pass(g, y))
    >>> f.text, f.edge_text
    ({0: '4.0', 1: '1.0'}, {0: '2.0 × 1.0 = 2.0', 1: '2.0 × 1.0 = 2.0'})
    """
    n = len(graph.nodes)
    return Frame(
        caption="",
        current=None,
        hot=(),
        text={i: shown(bp.grads[i]) for i in range(n)},
        status={i: "" for i in range(n)},
        edge_text={e: edge_label(v) for e, v in bp.edge_values.items()},
    )


def backward_frame(graph: Graph, root: Value, bp: BackwardPass, k: int) -> Frame:
    """Frame ``k`` of the backward pass: 0 before the first step (only the root's grad,
    1, is known), else step ``k``'s node current, the edges it sends grads along hot,
    grads not reached yet ``?``. Linear in the graph's size.

    >>> x = Value(2.0, label="x"); y = x * 3.0; y.label = "y"; y.grad = 7.0
    >>> g = walk(y); f = backward_frame(g, y, backward_pass(g, y), 0)
    >>> f.caption, f.text[2], f.current
    ('y.grad = 1.0: backward starts at the output, dy/dy = 1', '1.0', None)
    """
    n = len(graph.nodes)
    consumers, received, sums = [0] * n, [0] * n, [0.0] * n
    for e in graph.edges:
        consumers[e.parent] += 1
    for index, s in bp.edge_step.items():  # in step order, so sums add up as the engine's did
        if s <= k:
            p = graph.edges[index].parent
            received[p] += 1
            sums[p] += bp.edge_values[index][2]
    root_i = graph.index[root]
    if k:
        step = bp.steps[k - 1]
        current: int | None = graph.index[step.node]
        hot = tuple(e for e, s in bp.edge_step.items() if s == k)
        caption = step.text()
    else:
        current, hot = None, ()
        caption = seed_line(graph.names[root], bp.grads[root_i])  # the seed drawn, not root.grad now
    text, status = {}, {}
    for i in range(n):
        if i == root_i or (consumers[i] and received[i] == consumers[i]):
            text[i], status[i] = shown(bp.grads[i] if i == root_i else sums[i]), ""
        elif received[i]:
            text[i], status[i] = f"{shown(sums[i])} + ?", "partial"
        else:
            text[i], status[i] = "?", "pending"
    if current is not None:
        status[current] = "current"
    edge_text = {e: edge_label(v) for e, v in bp.edge_values.items() if bp.edge_step[e] <= k}
    return Frame(caption, current, hot, text, status, edge_text)


def backward_frames(graph: Graph, root: Value, bp: BackwardPass | None = None) -> list[Frame]:
    """Every backward frame: 0 (before the first step), then one per step.

    >>> x = Value(2.0, label="x"); y = (x * 3.0).tanh()
    >>> [f.current for f in backward_frames(walk(y), y)]
    [None, 3, 2]
    """
    bp = bp or backward_pass(graph, root)
    return [backward_frame(graph, root, bp, k) for k in range(len(bp.steps) + 1)]


def data_frame(graph: Graph) -> Frame:
    """The forward view with every value computed.

    >>> x = Value(2.0, label="x"); data_frame(walk(x * 0.5)).text
    {0: '2.0', 1: '0.5', 2: '1.0'}
    """
    n = len(graph.nodes)
    return Frame(
        "", None, (), {i: shown(v.data) for i, v in enumerate(graph.nodes)}, dict.fromkeys(range(n), "")
    )


def forward_frames(graph: Graph) -> list[Frame]:
    """One frame per node in topological order: the node computed, its input edges
    hot, nodes not yet computed ``?``; captions are ``explain``'s forward lines.

    >>> x = Value(2.0, label="x"); y = x * 3.0; y.label = "y"
    >>> [(f.caption, f.text[2]) for f in forward_frames(walk(y))]
    [('x = 2.0', '?'), ('a = 3.0', '?'), ('y = x × a = (2.0)(3.0) = 6.0', '6.0')]
    """
    steps = forward_steps(graph.nodes[-1], dict(graph.names))
    n = len(graph.nodes)
    frames = []
    for k, step in enumerate(steps):
        hot = tuple(e.index for e in graph.edges if e.child == k)
        text = {i: shown(graph.nodes[i].data) if i <= k else "?" for i in range(n)}
        status = {i: "" if i < k else "pending" for i in range(n)}
        status[k] = "current"
        frames.append(Frame(step.text(), k, hot, text, status))
    return frames


__all__ = [
    "BackwardPass",
    "Frame",
    "backward_frame",
    "backward_frames",
    "backward_pass",
    "data_frame",
    "final_frame",
    "forward_frames",
    "walk",
]
