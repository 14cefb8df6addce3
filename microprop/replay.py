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

import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np

from .engine import Value
from .kernels import Kernel, kernel_for
from .ops import OPS

Array = np.ndarray
_ADD = OPS["add"]
P = ParamSpec("P")
R = TypeVar("R")


def _one_at_a_time(method: Callable[Concatenate[Tape, P], R]) -> Callable[Concatenate[Tape, P], R]:
    """A Tape's passes share its buffers: threads calling them run one after the other."""

    @functools.wraps(method)
    def run(self: Tape, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    return run


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
    mask: Callable[..., tuple[Array | bool, ...]] | None  # the row's Op.mask
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
        self.watched = _watched(watch, index, "root")
        self.root = root
        self.nodes = nodes
        self.index = index
        self.leaves = [v for v in nodes if v.op is None]
        plan = _Planner(nodes, index, kept=[index[v] for v in (root, *self.watched)])
        self._consumer = plan.consumer  # for a partial sum inside a fused chain: the addition using it
        self._groups = plan.groups
        self._leaf_idx = np.array([index[v] for v in self.leaves], dtype=np.intp)
        self._leaf_gather = plan.gather([index[v] for v in self.leaves])
        self._watch_idx = np.array([index[v] for v in self.watched], dtype=np.intp)
        self._root_idx = index[root]
        self._root_edge = plan.root_edge
        self._data = np.array([v.data for v in nodes], dtype=float)
        self._contributions = np.zeros(plan.edge_count)  # what each edge carried in the last backward()
        self._backward_done = False
        self._lock = threading.Lock()  # the passes share buffers: one at a time across threads

    # --- the passes ----------------------------------------------------------------------

    @_one_at_a_time
    def forward(self, leaves: Array | None = None) -> float:
        """Recompute the graph from the leaves' current ``data`` (or from ``leaves``, their
        values in the order of ``self.leaves``); return the root's value (also written to
        ``root.data`` and to each watched node's ``data``).

        >>> x = Value(1.0); tape = trace(x.exp()); x.data = 0.0; tape.forward()
        1.0
        """
        data = self._data
        data[self._leaf_idx] = [v.data for v in self.leaves] if leaves is None else leaves
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

    @_one_at_a_time
    def backward(self, grad: float = 1.0) -> None:
        """Add d root / d leaf (times ``grad``) into every leaf's ``grad``, as
        ``root.backward()`` would after the last ``forward()``.

        >>> x = Value(3.0); tape = trace(x * x); tape.backward(); tape.backward(); x.grad
        12.0
        """
        for v, x in zip(self.leaves, self.leaf_grads(grad).tolist()):
            v.grad += x

    def leaf_grads(self, grad: float = 1.0) -> Array:
        """The backward pass without touching the Values: d root / d leaf (times ``grad``)
        for each of ``self.leaves``, in order.

        >>> x = Value(3.0); trace(x * x).leaf_grads()
        array([6.])
        """
        data, contributions = self._data, self._contributions
        contributions[self._root_edge] = grad
        with np.errstate(all="ignore"):
            for g in reversed(self._groups):
                upstream = (
                    _add_up(contributions, g.gather, len(g.out)) + 0.0
                )  # 0.0 + Σ, as the engine: no -0.0
                edges = g.edges.reshape(len(g.inputs), -1)  # one row per input (or term)
                if g.kernel is None:  # d sum / d term = 1
                    contributions[edges] = upstream
                else:  # the chain rule: local derivative × upstream grad, along each edge
                    sent = _sent(g.kernel, g.mask, (data[g.out], *data[g.inputs], *g.params), upstream)
                    for row, s in zip(edges, sent):
                        contributions[row] = s
            leaf_grads = _add_up(contributions, self._leaf_gather, len(self.leaves))
        self._backward_done = True
        return leaf_grads

    @_one_at_a_time
    def sync(self) -> None:
        """Write the last ``forward()``'s data and ``backward()``'s grads into every node
        of the graph (leaf grads are already there), so it can be drawn or explained.

        >>> x = Value(1.0); y = x + 1.0; z = y + 2.0; tape = trace(z)
        >>> x.data = 5.0; tape.forward(); tape.backward(); tape.sync(); (y.data, y.grad)
        8.0
        (6.0, 1.0)
        """
        data = self._data.tolist()
        consumer = self._consumer.tolist()
        for v, x, c in zip(self.nodes, data, consumer):
            # a partial sum inside a fused chain is added up again, as the scalar engine does
            v.data = v._a.data + v._b.data if c >= 0 else x  # type: ignore[union-attr]  # c >= 0: an addition
        if not self._backward_done:
            return
        grads = np.zeros(len(self.nodes))  # each computed node's, from the last pass's contributions
        with np.errstate(all="ignore"):  # inf + -inf is nan here as in backward(), silently
            for g in self._groups:
                grads[g.out] = _add_up(self._contributions, g.gather, len(g.out)) + 0.0
        grads = grads.tolist()
        for i in range(len(self.nodes) - 1, -1, -1):
            v = self.nodes[i]
            if consumer[i] >= 0:  # its one consumer adds it with local derivative 1
                v.grad = self.nodes[consumer[i]].grad
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
            "fused_additions": int(np.count_nonzero(self._consumer >= 0)),
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

    Replay pays off for wide graphs, such as a training step's, where each level holds
    many nodes of one op. A long chain has one node per level: its replay makes one
    small array operation per node and runs slower than ``backward()`` itself.

    >>> a = Value(2.0); b = Value(5.0); c = a * b; tape = trace(c)
    >>> a.data = 3.0; tape.forward()
    15.0
    """
    return Tape(root, watch)


def _watched(watch: Iterable[Value], index: dict[Value, int], graph: str) -> list[Value]:
    """``watch`` as a list, each value checked to be in the graph (``index``) of ``graph``."""
    watched = list(watch)
    missing = [v for v in watched if v not in index]
    if missing:
        raise ValueError(
            f"watch: {len(missing)} value(s) are not in the graph of {graph}, e.g. {missing[0]!r}"
        )
    return watched


def _sent(
    kernel: Kernel,
    mask: Callable[..., tuple[Array | bool, ...]] | None,
    args: tuple[Array, ...],
    upstream: Array,
) -> list[Array]:
    """What a group's nodes send to each input (``args``: out, inputs, params): the chain
    rule, local derivative × upstream grad, exactly 0 where the row ``mask``s, as ``Value.backward()``."""
    sent = [d * upstream for d in kernel.partials(*args)]
    if mask is not None:
        sent = [np.where(m, 0.0, s) for m, s in zip(mask(*args), sent)]
    return sent


def _sum_rows(terms: Array) -> Array:
    """Column sums added top to bottom, as ``((t0 + t1) + t2) + ...``.

    (``np.add.reduce`` may add a single column pairwise; ``accumulate`` never reorders.)
    """
    if len(terms) <= 2:
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]
    return np.add.accumulate(terms, axis=0)[-1]


def _add_up(contributions: Array, gather: list[_Gather], n: int) -> Array:
    """The grads of ``n`` nodes: each one's contributions, added in backward order."""
    if len(gather) == 1:  # every node has the same number of edges
        return _sum_rows(contributions[gather[0].edges])
    grads = np.empty(n)
    for part in gather:
        grads[part.positions] = _sum_rows(contributions[part.edges])
    return grads


# --- planning ----------------------------------------------------------------------------


class _Planner:
    """Turns a graph into groups and edges.

    An edge is one contribution of the backward pass: from the node that sends it (an
    op, or the addition of a fused chain that adds that term) to one of its inputs.
    Edges are numbered in the order ``Value.backward()`` sends them (senders from last
    to first in topological order, input a before b), so a node's grad is the sum of
    its incoming edges in increasing number. Edge 0 is the seed, sent to the root.
    """

    def __init__(self, nodes: list[Value], index: dict[Value, int], kept: list[int]) -> None:
        self.nodes = nodes
        self._a_of = np.array([-1 if v._a is None else index[v._a] for v in nodes], dtype=np.intp)
        self._b_of = np.array([-1 if v._b is None else index[v._b] for v in nodes], dtype=np.intp)
        is_add = np.array([v.op is _ADD for v in nodes], dtype=bool)
        self.consumer = self._fold_chains(is_add, kept)
        self._number_edges(is_add, self.consumer >= 0)
        self.groups = self._groups()

    def _fold_chains(self, is_add: Array, kept: list[int]) -> Array:
        """Chains ``((t0 + t1) + t2) + ...``: an addition used once, as the left input of
        another, is folded into it. For each folded node, the addition that uses it; -1
        for the rest (the root and the watched nodes are always computed)."""
        a_of, b_of = self._a_of, self._b_of
        uses = np.bincount(np.concatenate([a_of[a_of >= 0], b_of[b_of >= 0]]), minlength=len(a_of))
        folds = is_add & (a_of >= 0)
        folds[folds] = is_add[a_of[folds]] & (uses[a_of[folds]] == 1)
        consumer = np.full(len(a_of), -1, dtype=np.intp)
        consumer[a_of[folds]] = np.flatnonzero(folds)
        consumer[kept] = -1
        return consumer

    def _number_edges(self, is_add: Array, inside: Array) -> None:
        """Number the edges in backward order (senders from last to first, slot a before
        b); index each node's incoming edges."""
        a_of, b_of, n = self._a_of, self._b_of, len(self._a_of)
        has_a = (a_of >= 0) & ~(is_add & inside[np.maximum(a_of, 0)])  # no edge into a partial sum
        has_b = b_of >= 0
        slots = np.stack([has_a, has_b], axis=1)[::-1].ravel()
        numbers = (np.cumsum(slots) * slots).reshape(n, 2)[::-1]  # 1, 2, ...: edge 0 is the seed
        self._edge_a = np.where(has_a, numbers[:, 0], -1)
        self._edge_b = np.where(has_b, numbers[:, 1], -1)
        targets = np.empty(int(slots.sum()) + 1, dtype=np.intp)
        targets[0] = n - 1
        targets[self._edge_a[has_a]] = a_of[has_a]
        targets[self._edge_b[has_b]] = b_of[has_b]
        self.edge_count = len(targets)
        self.root_edge = 0
        self.index_edges(targets)
        self._inside = inside

    def index_edges(self, targets: Array) -> None:
        """Index each node's incoming edges, given the node each edge goes to (``targets``,
        edge number -> node; ``microprop.batch`` points edges it replaces past the last node)."""
        self.targets = targets
        self._by_target = np.argsort(targets, kind="stable")  # each node's edges, in backward order
        self._count = np.bincount(targets, minlength=len(self.nodes))
        self._start = np.cumsum(self._count) - self._count

    def _groups(self) -> list[_Group]:
        """The computed nodes grouped by level, op and number of inputs, levels in order."""
        a_of, b_of = self._a_of.tolist(), self._b_of.tolist()
        edge_a, edge_b, inside = self._edge_a.tolist(), self._edge_b.tolist(), self._inside.tolist()
        level = [0] * len(a_of)
        buckets: dict[tuple[int, str, int, int], list[int]] = {}
        self._terms: dict[int, tuple[list[int], list[int]]] = {}  # a fused sum's terms and their edges
        for i, v in enumerate(self.nodes):
            op = v.op
            if op is None or inside[i]:
                continue
            if op is _ADD:  # walk the chain down its left inputs, collecting terms
                ids, edges, j = [], [], i
                while True:
                    ids.append(b_of[j])
                    edges.append(edge_b[j])
                    a = a_of[j]
                    if not inside[a]:
                        ids.append(a)
                        edges.append(edge_a[j])
                        break
                    j = a
                ids.reverse()
                edges.reverse()
                self._terms[i] = (ids, edges)
                lvl = 1 + max(map(level.__getitem__, ids))
            elif b_of[i] >= 0:
                lvl = 1 + max(level[a_of[i]], level[b_of[i]])
            else:
                lvl = 1 + level[a_of[i]]
            level[i] = lvl
            buckets.setdefault((lvl, op.name, len(ids) if op is _ADD else op.arity, id(op)), []).append(i)
        return [
            self._group(key[0], rows)
            for key, rows in sorted(buckets.items(), key=lambda item: item[0][:3])  # ties: first seen first
        ]

    def gather(self, targets: list[int]) -> list[_Gather]:
        """How to add up the grads of ``targets``, grouped by their number of incoming edges."""
        targets_ = np.array(targets, dtype=np.intp)
        counts = self._count[targets_]
        parts = []
        for count in np.unique(counts).tolist():
            positions = np.flatnonzero(counts == count)
            first = self._start[targets_[positions]]
            edges = self._by_target[first[None, :] + np.arange(count)[:, None]]
            every = len(positions) == len(targets)
            parts.append(_Gather(positions=slice(None) if every else positions, edges=edges))
        return parts

    def _group(self, level: int, out: list[int]) -> _Group:
        op = self.nodes[out[0]].op
        assert op is not None, "groups hold op nodes only"
        rows = np.array(out, dtype=np.intp)
        if op is _ADD:
            terms = [self._terms[i] for i in out]
            inputs = np.array([ids for ids, _ in terms], dtype=np.intp).T.copy()
            edges = np.array([e for _, e in terms], dtype=np.intp).T.ravel()
        elif op.arity == 2:
            inputs = np.stack([self._a_of[rows], self._b_of[rows]])
            edges = np.concatenate([self._edge_a[rows], self._edge_b[rows]])
        else:
            inputs, edges = self._a_of[rows][None, :], self._edge_a[rows]
        return _Group(
            level=level,
            name="sum" if op is _ADD else op.name,
            kernel=None if op is _ADD else kernel_for(op),
            mask=op.mask,
            out=rows,
            inputs=inputs,
            params=tuple(
                np.array(column, dtype=float) for column in zip(*(self.nodes[i].params for i in out))
            )
            if op.params
            else (),
            edges=edges,
            gather=self.gather(out),
        )
