"""Compiled replay: trace a built graph once, then rerun its passes as numpy array operations.

A training step builds the same graph every time; only the leaves' values change.
``trace(root)`` walks the graph once and plans it: nodes are grouped by topological
level and op (all the ``mul`` nodes of level 4 become one ``a * b`` over arrays), and
chains of additions such as a neuron's ``b + w0·x0 + w1·x1 + ...`` or Python's
``sum(...)`` are fused into one sum. ``forward()`` reads every leaf's ``data`` and
recomputes the graph; ``backward()`` adds d root / d leaf into each leaf's ``grad``;
``sync()`` writes every node's numbers back, so the graph can still be drawn
(``microprop.viz``) and stepped through (``microprop.explain``).

The numbers are the scalar engine's, bit for bit: each op runs its table row
(``microprop.kernels``), sums add left to right, and each node's grad adds its
contributions in the order ``Value.backward()`` does (the one exception: a leaf whose
grad was not zeroed receives their total in one addition).

>>> from microprop import Value
>>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
>>> y = (x * w + 1.0).tanh()
>>> tape = trace(y)
>>> w.data = 0.0
>>> round(tape.forward(), 6)
0.761594
>>> tape.backward()
>>> round(x.grad, 6), round(w.grad, 6)
(0.0, 0.839949)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .engine import Value
from .kernels import Kernel, kernel_for
from .ops import OPS

Array = np.ndarray
_ADD = OPS["add"]


@dataclass
class _Gather:
    """Where a set of nodes' grads come from: for the nodes at ``positions``, each with
    ``len(edges)`` incoming edges, ``edges[j]`` holds their j-th edge in backward order."""

    positions: Array | slice
    edges: Array  # shape (incoming edges, nodes)


@dataclass
class _Group:
    """Nodes of one level and one op, computed as one array operation."""

    level: int  # 1 + the highest level of its inputs; leaves are level 0
    name: str  # the op's name, or "sum" for additions
    kernel: Kernel | None  # None for a sum
    out: Array  # node indices, shape (n,)
    inputs: Array  # input node indices, shape (inputs or terms, n)
    params: tuple[Array, ...]  # constant parameters, each shape (n,)
    edges: Array  # edge ids of ``inputs``, flattened: where backward writes contributions
    gather: list[_Gather]  # how backward adds up the grads of ``out``


class Tape:
    """A traced graph, replayed with numpy; make one with ``trace(root)``.

    ``forward()`` and ``backward()`` touch only the leaves, the root and the watched
    nodes; ``sync()`` brings every node of the graph up to date.

    >>> x, w, b = Value(2.0), Value(-3.0), Value(1.0)
    >>> trace(x * w + b)
    Tape(5 nodes: 3 leaves, 2 ops in 2 array groups over 2 levels, 0 additions fused)
    """

    def __init__(self, root: Value, watch: Iterable[Value] = ()) -> None:
        nodes = root.topo_order()
        index = {node: i for i, node in enumerate(nodes)}
        self.watched = list(watch)
        missing = [v for v in self.watched if v not in index]
        if missing:
            raise ValueError(
                f"watch: {len(missing)} value(s) are not in the graph of root, e.g. {missing[0]!r}"
            )
        self.root = root
        self.nodes = nodes
        self.leaves = [v for v in nodes if v.op is None]
        self._absorbed = _absorbed_additions(nodes, {root, *self.watched})
        plan = _Planner(nodes, index, self._absorbed)
        self._groups = plan.groups
        self._leaf_idx = np.array([index[v] for v in self.leaves], dtype=np.intp)
        self._leaf_gather = plan.gather([index[v] for v in self.leaves])
        self._watch_idx = np.array([index[v] for v in self.watched], dtype=np.intp)
        self._root_idx = index[root]
        self._root_edge = plan.root_edge
        self._data = np.array([v.data for v in nodes], dtype=float)
        self._contributions = np.zeros(plan.edge_count)
        self._grad: Array | None = None

    # --- the passes ----------------------------------------------------------------------

    def forward(self) -> float:
        """Recompute the graph from the leaves' current ``data``; return the root's value
        (also written to ``root.data`` and to each watched node's ``data``).

        >>> x = Value(1.0); tape = trace(x.exp()); x.data = 0.0; tape.forward()
        1.0
        """
        data = self._data
        data[self._leaf_idx] = [v.data for v in self.leaves]
        with np.errstate(all="ignore"):
            for g in self._groups:
                if g.kernel is None:
                    data[g.out] = _sum_rows(data[g.inputs])
                else:
                    data[g.out] = g.kernel.forward(*data[g.inputs], *g.params)
        for v, x in zip(self.watched, data[self._watch_idx].tolist()):
            v.data = x
        self.root.data = value = float(data[self._root_idx])
        return value

    def backward(self, grad: float = 1.0) -> None:
        """Add d root / d leaf (times ``grad``) into every leaf's ``grad``, as
        ``root.backward()`` would after the last ``forward()``.

        >>> x = Value(3.0); tape = trace(x * x); tape.backward(); tape.backward(); x.grad
        12.0
        """
        data, contributions = self._data, self._contributions
        grads = np.zeros(len(self.nodes))
        contributions[self._root_edge] = grad
        with np.errstate(all="ignore"):
            for g in reversed(self._groups):
                upstream = _add_up(contributions, g.gather, len(g.out))
                grads[g.out] = upstream
                if g.kernel is None:  # d sum / d term = 1
                    contributions[g.edges] = np.tile(upstream, len(g.inputs))
                else:  # the chain rule: local derivative × upstream grad, along each edge
                    local = g.kernel.partials(data[g.out], *data[g.inputs], *g.params)
                    contributions[g.edges] = np.concatenate(
                        [np.broadcast_to(d * upstream, upstream.shape) for d in local]
                    )
            leaf_grads = _add_up(contributions, self._leaf_gather, len(self.leaves))
        for v, x in zip(self.leaves, leaf_grads.tolist()):
            v.grad += x
        self._grad = grads

    def sync(self) -> None:
        """Write the last ``forward()``'s data and ``backward()``'s grads into every node
        of the graph (leaf grads are already there), so it can be drawn or explained.

        >>> x = Value(1.0); y = x + 1.0; z = y + 2.0; tape = trace(z)
        >>> x.data = 5.0; tape.forward(); tape.backward(); tape.sync(); (y.data, y.grad)
        8.0
        (6.0, 1.0)
        """
        data = self._data.tolist()
        absorbed = self._absorbed
        for v, x in zip(self.nodes, data):
            # a partial sum inside a fused chain is added up again, as the scalar engine does
            v.data = v._a.data + v._b.data if v in absorbed else x
        if self._grad is None:
            return
        grads = self._grad.tolist()
        for i in range(len(self.nodes) - 1, -1, -1):
            v = self.nodes[i]
            consumer = absorbed.get(v)
            if consumer is not None:  # its one consumer adds it with local derivative 1
                v.grad = consumer.grad
            elif v.op is not None:
                v.grad = grads[i]

    # --- what it is ----------------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        """Counts that describe the plan.

        >>> x = Value(1.0); trace(sum(x * i for i in range(4))).summary()["fused_additions"]
        3
        """
        return {
            "nodes": len(self.nodes),
            "leaves": len(self.leaves),
            "ops": len(self.nodes) - len(self.leaves),
            "groups": len(self._groups),
            "levels": len({g.level for g in self._groups}),
            "fused_additions": len(self._absorbed),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"Tape({s['nodes']} nodes: {s['leaves']} leaves, {s['ops']} ops in {s['groups']} array groups "
            f"over {s['levels']} levels, {s['fused_additions']} additions fused)"
        )


def trace(root: Value, watch: Iterable[Value] = ()) -> Tape:
    """Trace the graph that ``root`` was built from, for replay with numpy.

    ``watch`` lists nodes (a model's scores, say) whose ``data`` each ``forward()``
    keeps current besides the root's. The graph's shape is frozen: ops built later, or
    a dropout mask drawn anew, are not seen; the leaves' values may change freely.

    >>> a = Value(2.0); b = Value(5.0); c = a * b; tape = trace(c)
    >>> a.data = 3.0; tape.forward()
    15.0
    """
    return Tape(root, watch)


def _sum_rows(terms: Array) -> Array:
    """Column sums added top to bottom, as ``((t0 + t1) + t2) + ...``.

    (``np.add.reduce`` may add a single column pairwise; ``accumulate`` never reorders.)
    """
    if len(terms) == 2:
        return terms[0] + terms[1]
    return np.add.accumulate(terms, axis=0)[-1]


def _add_up(contributions: Array, gather: list[_Gather], n: int) -> Array:
    """The grads of ``n`` nodes: each one's contributions, added in backward order."""
    if len(gather) == 1 and len(gather[0].edges) == 1:
        return contributions[gather[0].edges[0]]  # one edge each: nothing to add
    grads = np.empty(n)
    for part in gather:
        grads[part.positions] = (
            _sum_rows(contributions[part.edges]) if len(part.edges) > 1 else contributions[part.edges[0]]
        )
    return grads


# --- planning ----------------------------------------------------------------------------


def _absorbed_additions(nodes: list[Value], kept: set[Value]) -> dict[Value, Value]:
    """Additions folded into the next one of a chain ``((t0 + t1) + t2) + ...``: those
    used once, as the left input of another addition. Maps each to that consumer."""
    uses: dict[Value, int] = {}
    for v in nodes:
        for p in (v._a, v._b):
            if p is not None:
                uses[p] = uses.get(p, 0) + 1
    return {
        v._a: v for v in nodes if v.op is _ADD and v._a.op is _ADD and uses[v._a] == 1 and v._a not in kept
    }


class _Planner:
    """Turns a graph into groups and edges.

    An edge is one contribution of the backward pass: from the node that sends it (an
    op, or the addition of a fused chain that adds that term) to one of its inputs.
    A node's grad is the sum of its incoming edges in the order ``Value.backward()``
    adds them: senders from last to first in topological order, input a before b.
    """

    def __init__(self, nodes: list[Value], index: dict[Value, int], absorbed: dict[Value, Value]) -> None:
        self.nodes = nodes
        self.incoming: list[list[tuple[int, int, int]]] = [[] for _ in nodes]  # (-sender, slot, edge)
        self.edge_count = 0
        self.root_edge = self._edge(len(nodes) - 1, len(nodes), 0)  # the seed, sent "after" the root
        level = [0] * len(nodes)
        buckets: dict[tuple[int, str, int, int], list[tuple[int, list[int], list[int]]]] = {}
        for i, v in enumerate(nodes):
            op = v.op
            if op is None or v in absorbed:
                continue
            inputs, edges = [], []
            for parent, sender, slot in _senders(v, absorbed):
                j = index[parent]
                inputs.append(j)
                edges.append(self._edge(j, index[sender], slot))
            level[i] = lvl = 1 + max(map(level.__getitem__, inputs))
            buckets.setdefault((lvl, op.name, len(inputs), id(op)), []).append((i, inputs, edges))
        self.groups = [
            self._group(key[0], rows)
            for key, rows in sorted(buckets.items(), key=lambda item: item[0][:3])  # ties: first seen first
        ]

    def _edge(self, target: int, sender: int, slot: int) -> int:
        edge = self.edge_count
        self.edge_count += 1
        self.incoming[target].append((-sender, slot, edge))
        return edge

    def gather(self, targets: list[int]) -> list[_Gather]:
        """How to add up the grads of ``targets``, grouped by their number of incoming edges."""
        by_count: dict[int, list[int]] = {}
        for position, t in enumerate(targets):
            by_count.setdefault(len(self.incoming[t]), []).append(position)
        parts = []
        for count, positions in by_count.items():
            edges = [[edge for _, _, edge in sorted(self.incoming[targets[p]])] for p in positions]
            every = len(positions) == len(targets)
            parts.append(
                _Gather(
                    positions=slice(None) if every else np.array(positions, dtype=np.intp),
                    edges=np.array(edges, dtype=np.intp).reshape(len(positions), count).T.copy(),
                )
            )
        return parts

    def _group(self, level: int, rows: list[tuple[int, list[int], list[int]]]) -> _Group:
        out = [i for i, _, _ in rows]
        op = self.nodes[out[0]].op
        return _Group(
            level=level,
            name="sum" if op is _ADD else op.name,
            kernel=None if op is _ADD else kernel_for(op),
            out=np.array(out, dtype=np.intp),
            inputs=np.array([inputs for _, inputs, _ in rows], dtype=np.intp).T.copy(),
            params=tuple(
                np.array(column, dtype=float) for column in zip(*(self.nodes[i].params for i in out))
            ),
            edges=np.array([edges for _, _, edges in rows], dtype=np.intp).T.ravel(),
            gather=self.gather(out),
        )


def _senders(v: Value, absorbed: dict[Value, Value]) -> list[tuple[Value, Value, int]]:
    """``(input, sender, slot)`` for each input of ``v``: its parents, or for a fused
    chain of additions the terms, each with the chain addition that adds it."""
    if v.op is not _ADD:
        return [(p, v, slot) for slot, p in enumerate(v.parents)]
    terms = []
    while True:
        terms.append((v._b, v, 1))
        a = v._a
        if a not in absorbed:
            terms.append((a, v, 0))
            break
        v = a
    terms.reverse()
    return terms
