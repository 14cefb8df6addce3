"""How one sample's graph becomes array steps over a batch: the plan behind ``microprop.batch``.

``Program`` plans a graph with ``microprop.replay``'s planner (ops grouped by level, sums
fused), recognises each layer's ``b + Σ w·x`` as a matrix product, and lays the nodes and
edges out as rows of (rows × batch) arrays so that most reads and writes are slices. Its
``forward`` and ``backward`` run the steps on those arrays; every leaf that is not an input
is shared by the batch and read from, or added into, the caller's arrays of shared values.

>>> from microprop import Value
>>> x, w = Value(0.0), Value(3.0)
>>> program = Program(x * w + 1.0, inputs=[x], at={w: 0}, kept=[], exact=True)
>>> [step.name for step in program.steps]
['mul', 'sum']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .engine import Value
from .kernels import Kernel
from .ops import OPS
from .replay import _Gather, _Group, _Planner, _sent, _sum_rows

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


class _Rows:
    """Some rows of a (rows × batch) array, read as an array of ``shape`` + (batch,).

    Bound to their array (``bind``, each time it is made anew): consecutive rows are a view
    of it, made once, which reads and writes go through with no copy and no index.
    """

    __slots__ = ("array", "at", "shape", "view")

    def __init__(self, rows: Array) -> None:
        flat = rows.ravel()
        self.shape = rows.shape
        first, n = (int(flat[0]), len(flat)) if len(flat) else (0, 0)
        consecutive = (
            n > 0 and int(flat[-1]) == first + n - 1 and bool((flat == np.arange(first, first + n)).all())
        )
        self.at: slice | Array = slice(first, first + n) if consecutive else flat
        self.array = self.view = np.empty((0, 0))

    def bind(self, array: Array) -> None:
        self.array = array
        if isinstance(self.at, slice):
            self.view = array[self.at].reshape(*self.shape, array.shape[1])

    def of(self) -> Array:
        if isinstance(self.at, slice):
            return self.view
        return self.array[self.at].reshape(*self.shape, self.array.shape[1])

    def put(self, values: Array) -> None:
        if isinstance(self.at, slice):
            self.view[...] = values.reshape(self.view.shape)
        else:
            self.array[self.at] = values.reshape(-1, self.array.shape[1])

    def fill(self, values: Array) -> None:
        """Write the same (n, batch) ``values`` into each of the ``shape[0]`` blocks of rows."""
        if isinstance(self.at, slice):
            self.view[...] = values
        else:
            self.array[self.at.reshape(self.shape)] = values


@dataclass
class _Grads:
    """How a step adds up its nodes' grads from the edges' contributions (``_Gather``, laid out)."""

    parts: list[tuple[slice | Array, _Rows]]  # (positions among the nodes, their edges (count, n))
    single: bool  # one part, one edge per node: the grads are that row block as it is

    def of(self, n: int) -> Array:
        if self.single:
            return self.parts[0][1].of()[0]
        grads = np.empty((n, self.parts[0][1].array.shape[1]))
        for positions, edges in self.parts:
            grads[positions] = _sum_rows(edges.of())
        return grads


@dataclass
class _Product:
    """A matrix product's operands: ``W @ X`` computes the sums' ``Σ w·x`` for the batch."""

    w: Array  # the weights' positions in the shared values, (n, len(x))
    x: _Rows  # X's rows
    x_sends: _Rows | None  # the edges into X; None when no grad of X is read


@dataclass
class _Step:
    """A planned group (``_Group``: one op, or fused sums when ``kernel`` is None) or matrix
    product (``_Dense``, then ``product`` is set), its rows laid out."""

    name: str
    kernel: Kernel | None
    mask: Callable[..., tuple[Array | bool, ...]] | None
    n: int  # nodes computed
    out: _Rows
    inputs: _Rows  # (inputs or terms, n); a matrix product's other terms (its bias)
    params: tuple[Array, ...]  # each (n, 1), broadcast over the batch
    sends: _Rows  # the edges backward writes, one row per input or term, (inputs or terms, n)
    send_rows: list[_Rows | None]  # the same, row by row; None where no grad reads the row
    grads: _Grads
    product: _Product | None = None  # a matrix product's W and X


class Program:
    """The graph of ``root`` planned over (rows × batch) arrays.

    ``inputs`` are leaves that take each sample's numbers (the data's first rows, in order);
    every other leaf is shared, ``at[leaf]`` its position in the caller's arrays of shared
    values and grads. ``kept`` nodes are computed into the data, never fused away. With
    ``exact`` no matrix products are made and the shared leaves' grads add up in the
    engine's order.

    >>> x, w = Value(0.0), Value(3.0)
    >>> y = x * w
    >>> program = Program(y, inputs=[x], at={w: 0}, kept=[], exact=True)
    >>> program.resize(2)[0] = [1.0, 2.0]         # the input's row: two samples
    >>> shared = np.array([3.0]); program.forward(shared); program.row(y)
    array([3., 6.])
    >>> grads = np.zeros(1); program.backward(1.0, grads); grads   # d Σ y / d w
    array([3.])
    """

    def __init__(
        self,
        root: Value,
        inputs: list[Value],
        at: dict[Value, int],
        kept: list[Value],
        exact: bool,
        nodes: list[Value] | None = None,
    ) -> None:
        nodes = root.topo_order() if nodes is None else nodes  # the caller's topo_order(), if it has it
        index = {node: i for i, node in enumerate(nodes)}
        shared_idx = np.array([i for i, v in enumerate(nodes) if v.op is None and v in at], dtype=np.intp)
        kept_idx = [index[v] for v in (root, *kept)]
        plan = _Planner(nodes, index, kept=kept_idx)
        steps: list[_Group | _Dense] = (
            list(plan.groups) if exact else _plan_dense(plan, shared_idx, set(kept_idx))
        )
        for g in steps:
            g.gather = plan.gather(g.out.tolist())
        shared_at = np.array([at[nodes[i]] for i in shared_idx.tolist()], dtype=np.intp)
        shared_gather = plan.gather(shared_idx.tolist())
        gathers = [g.gather for g in steps] + [shared_gather]
        inputs_idx = [index[v] for v in inputs]
        layout = _Layout(
            len(nodes), inputs_idx, shared_idx, shared_at, steps, kept_idx, plan.edge_count, gathers
        )
        self.steps = [layout.step(g) for g in steps]
        self.nodes = len(nodes)
        self.exact = exact
        self._shared_read = layout.shared_read  # (the rows, the shared values' positions)
        self._shared_grads = [
            (shared_at[positions], rows) for positions, rows in layout.grads(shared_gather).parts
        ]
        weights = [g.product.w.ravel() for g in self.steps if g.product is not None]
        self._distinct_weights = not weights or len(np.unique(np.concatenate(weights))) == sum(
            map(len, weights)
        )
        self.root = root
        self._rows = {v: int(layout.rows[index[v]]) for v in (root, *kept)}
        self._node_rows, self._edge_rows = layout.node_count, layout.edge_count
        self._products: list[tuple[Array, Array]] = []  # each matrix product's W and X, from forward()
        self.data = np.empty((self._node_rows, 0))
        self.contributions = np.empty((self._edge_rows, 0))

    def resize(self, batch: int) -> Array:
        """The data array, (rows × ``batch``); the inputs' rows come first."""
        if self.data.shape[1] != batch:
            self.data = np.empty((self._node_rows, batch))
            self.contributions = np.empty((self._edge_rows, batch))
            for g in self.steps:
                product = g.product
                for rows in (g.out, g.inputs, product.x if product else None):
                    if rows is not None:
                        rows.bind(self.data)
                for rows in (
                    g.sends,
                    product.x_sends if product else None,
                    *g.send_rows,
                    *(r for _, r in g.grads.parts),
                ):
                    if rows is not None:
                        rows.bind(self.contributions)
            for _, rows in self._shared_grads:
                rows.bind(self.contributions)
        return self.data

    def row(self, v: Value) -> Array:
        """The root's or a kept node's numbers, one per sample (a view)."""
        return self.data[self._rows[v]]

    def forward(self, shared: Array) -> None:
        """Compute every step from the inputs' rows and the ``shared`` values (numpy's errors
        are the caller's to silence)."""
        data = self.data
        rows, which = self._shared_read
        data[rows] = shared[which, None]
        self._products = []
        for g in self.steps:
            if g.product is not None:  # a matrix product, plus the sums' other terms
                W, X = shared[g.product.w], g.product.x.of()
                self._products.append((W, X))
                products = W @ X
                g.out.put(_sum_rows(g.inputs.of()) + products if g.inputs.shape[0] else products)
            elif g.kernel is None:
                g.out.put(_sum_rows(g.inputs.of()))
            else:
                g.out.put(g.kernel.forward(*g.inputs.of(), *g.params))

    def backward(self, seed: float, grads: Array) -> None:
        """Send ``seed`` (d total / d root) back through the last ``forward()`` and add each
        shared leaf's contributions, summed over the batch, into ``grads``."""
        exact = self.exact
        self.contributions[0] = seed  # row 0: the root's
        summed = []  # each matrix product's weight grads, summed over the batch
        products = iter(reversed(self._products))
        for g in reversed(self.steps):
            upstream = g.grads.of(g.n)
            if exact:
                upstream = upstream + 0.0  # 0.0 + Σ, as the engine: no -0.0
            if g.product is not None:  # a matrix product: d/d term = 1, then W.T @ G and G @ X.T
                W, X = next(products)
                if g.inputs.shape[0]:
                    g.sends.fill(upstream)
                if g.product.x_sends is not None:
                    g.product.x_sends.put(W.T @ upstream)
                summed.append((g.product.w, upstream @ X.T))
            elif g.kernel is None:  # d sum / d term = 1
                g.sends.fill(upstream)
            else:  # the chain rule: local derivative × upstream grad, along each edge
                sent = _sent(g.kernel, g.mask, (g.out.of(), *g.inputs.of(), *g.params), upstream)
                for rows, d in zip(g.send_rows, sent):
                    if rows is not None:
                        rows.put(d)
        for positions, rows in self._shared_grads:
            edges = rows.of()  # (edges per leaf, leaves, batch)
            if not len(edges):
                continue
            if not exact:
                per_edge = edges.reshape(-1, edges.shape[2]).sum(axis=1)  # over the batch
                grads[positions] += (
                    per_edge if len(edges) == 1 else per_edge.reshape(len(edges), -1).sum(axis=0)
                )
            else:  # the engine's order: each sample's edges in turn, the last sample first
                terms = edges[:, :, ::-1].transpose(1, 2, 0).reshape(edges.shape[1], -1)
                start = grads[positions][:, None]
                grads[positions] = np.add.accumulate(np.concatenate([start, terms], axis=1), axis=1)[:, -1]
        for positions, weight_grads in summed:
            if self._distinct_weights:
                grads[positions.ravel()] += weight_grads.ravel()
            else:  # a weight used more than once
                np.add.at(grads, positions.ravel(), weight_grads.ravel())

    def summary(self) -> dict[str, int]:
        """Counts that describe the plan."""
        return {
            "nodes": self.nodes,
            "groups": sum(g.product is None for g in self.steps),
            "matrix_products": sum(g.product is not None for g in self.steps),
        }


# --- where the numbers live --------------------------------------------------------------


class _Layout:
    """Rows for the nodes and edges of a plan (``_Group``s and ``_Dense``s), so that most of
    the passes' reads and writes touch consecutive rows: slices, which numpy neither gathers
    nor scatters. The data array holds the inputs first, then the shared leaves the steps
    read, then each step's nodes in step order; the contributions array holds the seed,
    then the edges in the order backward writes them. Nodes nothing reads (the multiplications
    a matrix product replaces, partial sums) and edges nothing writes get no row."""

    def __init__(
        self,
        n: int,
        inputs: list[int],
        shared_idx: Array,
        shared_at: Array,
        steps: list[_Group | _Dense],
        kept: list[int],
        edge_count: int,
        gathers: list[list[_Gather]],
    ) -> None:
        rows = np.full(n, -1, dtype=np.intp)
        count = 0

        def place(nodes: Iterable[int]) -> None:
            nonlocal count
            for i in nodes:
                if rows[i] < 0:
                    rows[i] = count
                    count += 1

        place(inputs)
        is_shared = np.zeros(n, dtype=bool)
        is_shared[shared_idx] = True
        reads = [a.ravel() for g in steps for a in ((g.rest, g.x) if isinstance(g, _Dense) else (g.inputs,))]
        place(i for i in np.concatenate([*reads, kept]).tolist() if is_shared[i])
        read = np.flatnonzero(rows[shared_idx] >= 0)  # the shared leaves that have a row
        self.shared_read = (_Rows(rows[shared_idx[read]]).at, shared_at[read])
        for g in steps:  # the kept nodes are inputs, shared leaves or steps' nodes: all placed now
            place(g.out.tolist())
        self.rows, self.node_count = rows, count
        self._shared_at = shared_at
        # the edges: the seed's row, then each block backward writes, in backward order
        self._gathered = np.zeros(edge_count, dtype=bool)  # the edges some grad reads
        for gather in gathers:
            for part in gather:
                self._gathered[part.edges.ravel()] = True
        erows = np.full(edge_count, -1, dtype=np.intp)
        erows[0], count = 0, 1
        for g in reversed(steps):
            blocks = [g.edges] if isinstance(g, _Group) else [g.rest_edges]
            if isinstance(g, _Dense) and self._read(g.x_edges):  # else W.T @ G is skipped
                blocks.append(g.x_edges)
            for block in blocks:
                erows[block] = np.arange(count, count + len(block))
                count += len(block)
        self._edge_rows, self.edge_count = erows, count

    def _read(self, edges: Array) -> bool:
        """Whether some grad reads any of ``edges``."""
        return bool(self._gathered[edges].any())

    def grads(self, gather: list[_Gather]) -> _Grads:
        """``gather``, its edges as rows of the contributions array."""
        parts = [(part.positions, _Rows(self._edge_rows[part.edges])) for part in gather]
        single = len(gather) == 1 and isinstance(gather[0].positions, slice) and len(gather[0].edges) == 1
        return _Grads(parts, single)

    def step(self, g: _Group | _Dense) -> _Step:
        """``g`` with its nodes and edges as rows."""
        rows, erows = self.rows, self._edge_rows
        if isinstance(g, _Dense):
            return _Step(
                name="matmul",
                kernel=None,
                mask=None,
                n=len(g.out),
                out=_Rows(rows[g.out]),
                inputs=_Rows(rows[g.rest]),
                params=(),
                sends=_Rows(erows[g.rest_edges].reshape(g.rest.shape)),
                send_rows=[],
                grads=self.grads(g.gather),
                product=_Product(
                    w=self._shared_at[g.w],
                    x=_Rows(rows[g.x]),
                    x_sends=_Rows(erows[g.x_edges]) if self._read(g.x_edges) else None,
                ),
            )
        edges = g.edges.reshape(g.inputs.shape)
        return _Step(
            name=g.name,
            kernel=g.kernel,
            mask=g.mask,
            n=len(g.out),
            out=_Rows(rows[g.out]),
            inputs=_Rows(rows[g.inputs]),
            params=tuple(p[:, None] for p in g.params),
            sends=_Rows(erows[edges]),
            send_rows=[_Rows(erows[row]) if self._read(row) else None for row in edges] if g.kernel else [],
            grads=self.grads(g.gather),
        )


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
