"""Batched replay: trace ONE sample's loss once, then replay it over a whole batch with numpy.

A training step evaluates the same per-sample graph for every sample: only the inputs
differ. ``trace_batch(loss, inputs)`` takes the graph of one sample's loss, built with
placeholder ``Value``s as its ``inputs``, and plans it as ``microprop.replay`` does
(fused sums, ops grouped by level), with a batch axis on every array. Two things are
handled by the tape instead of the graph: the batch reduction (``mean`` or ``sum`` of
the per-sample losses) and a ``penalty`` that depends on the parameters only (an L2
term), which is replayed once per step, not once per sample.

Dot products are recognised: a layer's sums ``b + w0·x0 + w1·x1 + ...``, whose weights
are leaves (parameters) and whose ``x`` are the same nodes for every neuron, become one
matrix product ``W @ X + b`` forward, and ``W.T @ G`` and ``G @ X.T`` backward (one BLAS
call each per layer).

Every leaf that is not an input is shared by the batch (parameters and constants): its
grad receives the sum over the batch. The numbers are the scalar engine's for the whole
batch's graph (``sum(losses) * (1/n) + penalty``, built sample by sample): bit for bit with
``exact=True``, where no matrix products are made and every sum adds in the engine's
order (the samples' contributions from the last sample to the first, after the
penalty's); by default BLAS adds each matrix product in its own order, so those sums,
and what depends on them, differ from the engine's in the last bits (on the moons demo:
1e-15 of the largest grad, 4e-14 of the smallest).

>>> from microprop import Value
>>> w, b = Value(1.0), Value(0.0)
>>> x, t = Value(0.0), Value(0.0)          # one sample's input and target
>>> loss = (x * w + b - t) ** 2            # one sample's loss
>>> tape = trace_batch(loss, inputs=[x, t])
>>> round(tape.forward([1.0, 2.0, 3.0], [2.0, 2.0, 4.0]), 6)   # the mean over a batch of 3
0.666667
>>> tape.backward()
>>> round(w.grad, 6), round(b.grad, 6)
(-2.666667, -1.333333)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .engine import Value
from .ops import OPS
from .replay import _Gather, _Group, _Planner, _sent, _sum_rows, _watched, trace

Array = np.ndarray
_MUL = OPS["mul"]


@dataclass
class _Dense:
    """Sums ``rest + Σ_p w[j, p]·x[p]`` for the nodes ``out[j]``: one matrix product."""

    level: int
    out: Array  # (nout,) the sums' node indices
    x: Array  # (nin,) the nodes multiplied by the weights, the same for every sum
    w: Array  # (nout, nin) the weights' positions among the shared leaves
    rest: Array  # (terms, nout) the sums' other terms (a neuron's bias)
    rest_edges: Array  # their edges, flattened as rest
    x_edges: Array  # (nin,) one edge per x, carrying the whole W.T @ G
    gather: list[_Gather]


class BatchTape:
    """One sample's loss graph, replayed over batches; make one with ``trace_batch``.

    >>> x, w = Value(0.0), Value(3.0)
    >>> trace_batch(x * w, inputs=[x])
    BatchTape(3 nodes: 1 input, 1 shared leaf, 1 array group, 0 matrix products)
    """

    def __init__(
        self,
        loss: Value,
        inputs: Sequence[Value | Sequence[Value]],
        penalty: Value | None = None,
        watch: Iterable[Value] = (),
        reduction: str = "mean",
        exact: bool = False,
    ) -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction!r}")
        self.reduction = reduction
        self._columns = [[item] if isinstance(item, Value) else list(item) for item in inputs]
        self._shapes = [isinstance(item, Value) for item in inputs]
        nodes = loss.topo_order()
        index = {node: i for i, node in enumerate(nodes)}
        flat = [v for column in self._columns for v in column]
        for v in flat:
            if v.op is not None:
                raise ValueError(f"inputs must be leaves (Values no op made), not {v!r}")
            if v not in index:
                raise ValueError(f"an input is not in the graph of the loss: {v!r}")
        if len(set(flat)) != len(flat):
            raise ValueError("the same Value is given twice as an input")
        self.watched = _watched(watch, index, "the loss")
        self.loss = loss
        self._index = index
        self._input_idx = np.array([index[v] for v in flat], dtype=np.intp)
        given = set(flat)
        self.shared = [v for v in nodes if v.op is None and v not in given]
        self._shared_idx = np.array([index[v] for v in self.shared], dtype=np.intp)
        self.penalty = None
        if penalty is not None:
            self.penalty = trace(penalty)
            if any(v in self.penalty.index for v in flat):
                raise ValueError("the penalty must depend on the parameters only, not on the inputs")
            at = {v: i for i, v in enumerate(self.shared)}
            leaves = self.penalty.leaves
            self._penalty_in = np.array([i for i, v in enumerate(leaves) if v in at], dtype=np.intp)
            self._penalty_at = np.array([at[leaves[i]] for i in self._penalty_in.tolist()], dtype=np.intp)
            self._penalty_other = [(i, v) for i, v in enumerate(leaves) if v not in at]
        kept = [index[v] for v in (loss, *self.watched)]
        plan = _Planner(nodes, index, kept=kept)
        self._n = len(nodes)
        self._steps: list[_Group | _Dense] = (
            list(plan.groups) if exact else _plan_dense(plan, self._shared_idx, set(kept))
        )
        for g in self._steps:
            g.gather = plan.gather(g.out.tolist())
        self._shared_gather = plan.gather(self._shared_idx.tolist())
        read = np.zeros(self._n, dtype=bool)  # the nodes the steps read from the data array
        for g in self._steps:
            for nodes_read in (g.rest, g.x) if isinstance(g, _Dense) else (g.inputs,):
                read[nodes_read] = True
        self._shared_read = np.flatnonzero(read[self._shared_idx])  # weights are read from W instead
        self._weights: list[tuple[Array, Array]] = []  # each matrix product's W and X, from forward()
        self._edge_rows = [  # the edges each step writes, one row per input, term or bias
            g.rest_edges.reshape(len(g.rest), -1)
            if isinstance(g, _Dense)
            else g.edges.reshape(len(g.inputs), -1)
            for g in self._steps
        ]
        positions = [g.w.ravel() for g in self._steps if isinstance(g, _Dense)]
        self._distinct_weights = (
            len(np.unique(np.concatenate(positions))) == sum(map(len, positions)) if positions else True
        )
        self._exact = exact
        self._root_idx = index[loss]
        self._edge_count = plan.edge_count
        self._data: Array | None = None
        self._w_values: Array = np.empty(0)
        self._contributions = np.empty((0, 0))
        self.batch_size = 0

    # --- the passes ----------------------------------------------------------------------

    def forward(self, *columns: object) -> float:
        """Run the batch: one array per item of ``inputs`` (a Value's: shape (batch,); a list
        of k Values': shape (batch, k)). Returns the reduced loss plus the penalty.

        >>> x, w = Value(0.0), Value(3.0)
        >>> trace_batch(x * w, inputs=[x], reduction="sum").forward([1.0, 2.0])
        9.0
        """
        if len(columns) != len(self._columns):
            raise TypeError(
                f"forward() takes {len(self._columns)} arrays (one per input), got {len(columns)}"
            )
        arrays = []
        for array, column, single in zip(columns, self._columns, self._shapes):
            a = np.asarray(array, dtype=float)
            if a.ndim != (1 if single else 2) or (not single and a.shape[1] != len(column)):
                want = "(batch,)" if single else f"(batch, {len(column)})"
                raise ValueError(f"an input array has shape {a.shape}, expected {want}")
            arrays.append(a[None, :] if single else a.T)
        batch = arrays[0].shape[1] if arrays else 1
        if batch == 0 or any(a.shape[1] != batch for a in arrays):
            raise ValueError(
                f"the input arrays must have the same, nonzero length; got {[a.shape[1] for a in arrays]}"
            )
        if self._data is None or self._data.shape[1] != batch:
            self._data = np.empty((self._n, batch))
            self.batch_size = batch
        data = self._data
        shared = np.array([v.data for v in self.shared], dtype=float)
        data[self._shared_idx[self._shared_read]] = shared[self._shared_read, None]
        self._weights = []
        if arrays:
            data[self._input_idx] = np.concatenate(arrays)
        with np.errstate(all="ignore"):
            for g in self._steps:
                if isinstance(g, _Dense):
                    W, X = shared[g.w], data[g.x]
                    self._weights.append((W, X))
                    products = W @ X
                    data[g.out] = _sum_rows(data[g.rest]) + products if len(g.rest) else products
                elif g.kernel is None:
                    data[g.out] = _sum_rows(data[g.inputs])
                else:
                    data[g.out] = g.kernel.forward(*_flat(data[g.inputs], g.params)).reshape(
                        len(g.out), batch
                    )
        total = sum(data[self._root_idx].tolist())  # ((0 + l0) + l1) + ...: the engine's sum(losses)
        if self.reduction == "mean":
            total = total * (1.0 / batch)
        if self.penalty is not None:
            values = np.empty(len(self.penalty.leaves))
            values[self._penalty_in] = shared[self._penalty_at]
            for i, v in self._penalty_other:
                values[i] = v.data
            total = total + self.penalty.forward(values)
        return total

    def values(self, v: Value) -> Array:
        """The last ``forward()``'s values of the loss or a watched node, one per sample.

        >>> x, w = Value(0.0), Value(3.0); y = x * w
        >>> tape = trace_batch(y + 1.0, inputs=[x], watch=[y]); _ = tape.forward([1.0, 2.0])
        >>> tape.values(y)
        array([3., 6.])
        """
        if v is not self.loss and not any(v is u for u in self.watched):
            raise ValueError("values() gives the loss's and the watched nodes' values only; pass watch=[...]")
        if self._data is None:
            raise RuntimeError("call forward() first")
        return self._data[self._index[v]].copy()

    def backward(self) -> None:
        """Add d (reduced loss + penalty) / d leaf into the ``grad`` of every shared leaf
        (parameters and constants), summed over the last ``forward()``'s batch.

        >>> x, w = Value(0.0), Value(3.0); tape = trace_batch(x * w, inputs=[x])
        >>> _ = tape.forward([1.0, 2.0]); tape.backward(); w.grad
        1.5
        """
        if self._data is None:
            raise RuntimeError("call forward() before backward()")
        data, batch = self._data, self.batch_size
        if self._contributions.shape != (self._edge_count, batch):
            self._contributions = np.empty((self._edge_count, batch))
        contributions = self._contributions
        contributions[0] = 1.0 * (1.0 / batch) if self.reduction == "mean" else 1.0  # edge 0: the seed
        weights = []  # (positions, batch-summed grads) from the matrix products
        products = iter(reversed(self._weights))
        grads = np.array([v.grad for v in self.shared], dtype=float)
        with np.errstate(all="ignore"):  # inf - inf is nan, as in the engine
            for g, rows in zip(reversed(self._steps), reversed(self._edge_rows)):
                upstream = _add_up(contributions, g.gather, len(g.out))
                if self._exact:
                    upstream += 0.0  # 0.0 + Σ, as the engine: no -0.0
                if isinstance(g, _Dense):
                    if len(rows):
                        contributions[rows] = upstream
                    W, X = next(products)
                    contributions[g.x_edges] = W.T @ upstream
                    weights.append((g.w, upstream @ X.T))
                elif g.kernel is None:  # d sum / d term = 1
                    contributions[rows] = upstream
                else:  # the chain rule, on the (nodes × batch) arrays flattened
                    args = _flat(data[g.inputs], g.params)
                    sent = _sent(g, (data[g.out].reshape(-1), *args), upstream.reshape(-1))
                    for edges, d in zip(rows, sent):
                        contributions[edges] = d.reshape(upstream.shape) if isinstance(d, np.ndarray) else d
            if self.penalty is not None:  # the engine sends the penalty's grads first
                penalty = self.penalty.leaf_grads()
                grads[self._penalty_at] += penalty[self._penalty_in]
                for i, v in self._penalty_other:
                    v.grad += float(penalty[i])
            grads = _add_over_batch(grads, contributions, self._shared_gather)
            for positions, summed in weights:
                if self._distinct_weights:
                    grads[positions] += summed
                else:  # a weight used more than once
                    np.add.at(grads, positions, summed)
        for v, x in zip(self.shared, grads.tolist()):
            v.grad = x

    # --- what it is ----------------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        """Counts that describe the plan.

        >>> from microprop.nn import Layer
        >>> x = [Value(0.0), Value(0.0)]
        >>> trace_batch(sum(Layer(2, 3, rng=0)(x)), inputs=[x]).summary()["matrix_products"]
        1
        """
        return {
            "nodes": self._n,
            "inputs": len(self._input_idx),
            "shared": len(self.shared),
            "groups": sum(not isinstance(g, _Dense) for g in self._steps),
            "matrix_products": sum(isinstance(g, _Dense) for g in self._steps),
        }

    def __repr__(self) -> str:
        s = self.summary()

        def n(k: int, word: str) -> str:
            return f"{k} {word}" + ("" if k == 1 else "s")

        return (
            f"BatchTape({s['nodes']} nodes: {n(s['inputs'], 'input')}, {s['shared']} shared "
            f"lea{'f' if s['shared'] == 1 else 'ves'}, {n(s['groups'], 'array group')}, "
            f"{n(s['matrix_products'], 'matrix product')})"
        )


def trace_batch(
    loss: Value,
    inputs: Sequence[Value | Sequence[Value]],
    penalty: Value | None = None,
    watch: Iterable[Value] = (),
    reduction: str = "mean",
    exact: bool = False,
) -> BatchTape:
    """Trace one sample's ``loss`` for replay over batches.

    ``inputs`` lists the placeholder leaves that take each sample's numbers (a Value, or
    a list of Values such as a model's input vector); ``forward`` then takes one array per
    item. Every other leaf is shared by the batch. ``penalty`` is a Value built from the
    parameters only (``1e-4 * l2_penalty(params)``), added once to the reduced loss.
    ``watch`` lists nodes (a model's scores) whose per-sample values ``values()`` returns.
    The graph's shape is frozen: a constant computed from one sample's numbers while
    building (softmax's max subtraction) keeps its traced value for every sample.

    >>> x, w = Value(0.0), Value(2.0)
    >>> tape = trace_batch((x * w).relu(), inputs=[x])
    >>> tape.forward(np.array([-1.0, 3.0]))
    3.0
    """
    return BatchTape(loss, inputs, penalty, watch, reduction, exact)


# --- the batch axis --------------------------------------------------------------------


def _flat(inputs: Array, params: tuple[Array, ...]) -> list[Array]:
    """A group's (inputs, nodes, batch) arrays and per-node params as 1-D arrays (kernels take 1-D)."""
    shape = inputs.shape[1:]
    return [a.reshape(-1) for a in inputs] + [np.broadcast_to(p[:, None], shape).reshape(-1) for p in params]


def _add_up(contributions: Array, gather: list[_Gather], n: int) -> Array:
    """The grads of ``n`` nodes per sample: each one's contributions, added in backward order."""
    if len(gather) == 1:
        edges = gather[0].edges
        return contributions[edges[0]] if len(edges) == 1 else _sum_rows(contributions[edges])
    grads = np.empty((n, contributions.shape[1]))
    for part in gather:
        grads[part.positions] = _sum_rows(contributions[part.edges])
    return grads


def _add_over_batch(grads: Array, contributions: Array, gather: list[_Gather]) -> Array:
    """``grads`` plus every contribution to the shared leaves, in the engine's order: the
    samples from last to first, each sample's edges in backward order."""
    out = grads.copy()
    for part in gather:
        edges = contributions[part.edges]  # (edges per leaf, leaves, batch)
        if edges.shape[0] == 0:
            continue
        terms = edges[:, :, ::-1].transpose(1, 2, 0).reshape(edges.shape[1], -1)
        start = out[part.positions][:, None]
        out[part.positions] = np.add.accumulate(np.concatenate([start, terms], axis=1), axis=1)[:, -1]
    return out


# --- recognising dot products --------------------------------------------------------------


def _plan_dense(plan: _Planner, shared_idx: Array, kept: set[int]) -> list[_Group | _Dense]:
    """The planner's groups, with each layer's ``b + Σ w·x`` sums made matrix products.

    A term qualifies when it is a ``mul`` used only by its sum, with exactly one operand a
    shared leaf (the weight). Sums of one group with the same qualifying positions and the
    same ``x`` nodes make one matrix product. The products' ``mul`` nodes leave their groups;
    the edges into the weights, and all but one edge into each ``x``, are pointed past the
    last node, so no grad is gathered from them.
    """
    nodes, n = plan.nodes, len(plan.nodes)
    a_of, b_of = plan._a_of.tolist(), plan._b_of.tolist()
    edge_a, edge_b = plan._edge_a.tolist(), plan._edge_b.tolist()
    is_shared = np.zeros(n, dtype=bool)
    is_shared[shared_idx] = True
    shared = is_shared.tolist()
    position = dict(zip(shared_idx.tolist(), range(len(shared_idx))))
    uses = np.bincount(
        np.concatenate([plan._a_of[plan._a_of >= 0], plan._b_of[plan._b_of >= 0]]), minlength=n
    )
    targets = plan.targets.copy()
    removed: set[int] = set()
    steps: list[_Group | _Dense] = []
    for g in plan.groups:
        if g.kernel is not None:
            steps.append(g)
            continue
        clusters: dict[tuple, list[tuple[int, list[tuple[int, ...]]]]] = {}
        for col, i in enumerate(g.out.tolist()):
            ids, _ = plan._terms[i]
            found: list[tuple[int, ...]] = []  # (position, weight, x, weight's edge, x's edge, mul node)
            for pos, t in enumerate(ids):
                if nodes[t].op is not _MUL or uses[t] != 1 or t in kept:
                    continue
                a, b = a_of[t], b_of[t]
                if shared[a] and not shared[b]:
                    found.append((pos, a, b, edge_a[t], edge_b[t], t))
                elif shared[b] and not shared[a]:
                    found.append((pos, b, a, edge_b[t], edge_a[t], t))
            if len(found) >= 2:
                key = (len(ids), tuple(f[0] for f in found), tuple(f[2] for f in found))
                clusters.setdefault(key, []).append((col, found))
        used: list[int] = []
        for (k, positions, xs), members in clusters.items():
            cols = [col for col, _ in members]
            used += cols
            rest_pos = [p for p in range(k) if p not in positions]
            sums = g.out[cols]
            terms = [plan._terms[i] for i in sums.tolist()]
            for j, (_, found) in enumerate(members):
                for f in found:
                    removed.add(f[5])
                    targets[f[3]] = n  # the weight's grad comes from the matrix product
                    if j > 0:
                        targets[f[4]] = n  # x's comes from the first sum's edge alone
            steps.append(
                _Dense(
                    level=g.level,
                    out=sums,
                    x=np.array(xs, dtype=np.intp),
                    w=np.array([[position[f[1]] for f in found] for _, found in members], dtype=np.intp),
                    rest=np.array([[ids[p] for ids, _ in terms] for p in rest_pos], dtype=np.intp).reshape(
                        len(rest_pos), len(cols)
                    ),
                    rest_edges=np.array([e[p] for p in rest_pos for _, e in terms], dtype=np.intp),
                    x_edges=np.array([f[4] for f in members[0][1]], dtype=np.intp),
                    gather=[],
                )
            )
        if len(used) < len(g.out):
            steps.append(_subset(g, np.setdiff1d(np.arange(len(g.out)), used)))
    if not removed:
        return list(plan.groups)
    plan.index_edges(targets)
    result: list[_Group | _Dense] = []
    for step in steps:
        if isinstance(step, _Group) and step.kernel is not None:
            keep = np.flatnonzero(~np.isin(step.out, list(removed)))
            if len(keep) == 0:
                continue
            if len(keep) < len(step.out):
                step = _subset(step, keep)
        result.append(step)
    result.sort(key=lambda g: g.level)  # stable: within a level, the planner's order
    return result


def _subset(g: _Group, cols: Array) -> _Group:
    """The group restricted to the nodes ``g.out[cols]``."""
    k = len(g.inputs)
    return _Group(
        level=g.level,
        name=g.name,
        kernel=g.kernel,
        mask=g.mask,
        out=g.out[cols],
        inputs=g.inputs[:, cols],
        params=tuple(p[cols] for p in g.params),
        edges=g.edges.reshape(k, len(g.out))[:, cols].ravel(),
        gather=[],
    )
