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
order (the penalty's contributions, then the samples' from the last sample to the first,
onto each leaf's grad as it was). By default BLAS adds each matrix product in its own
order and numpy sums each shared leaf's contributions over the batch before adding the
total to its grad, so those sums, and what depends on them, differ from the engine's in
the last bits (on the moons demo: 1e-15 of the largest grad, 4e-14 of the smallest).

The plan itself (grouping, matrix products, where each number lives) is
``microprop.batch_plan``'s ``Program``.

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

import numpy as np

from .batch_plan import Program
from .engine import Value
from .replay import _watched

Array = np.ndarray


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
        given = set(flat)
        self.shared = [v for v in nodes if v.op is None and v not in given]
        penalty_nodes = [] if penalty is None else penalty.topo_order()
        if penalty is not None:
            penalty_leaves = [v for v in penalty_nodes if v.op is None]
            if given.intersection(penalty_leaves):
                raise ValueError("the penalty must depend on the parameters only, not on the inputs")
            known = set(self.shared)
            self.shared += [v for v in penalty_leaves if v not in known]  # its constants
        at = {v: i for i, v in enumerate(self.shared)}
        self._sample = Program(loss, flat, at, self.watched, exact, nodes)
        self._penalty = None if penalty is None else Program(penalty, [], at, [], exact, penalty_nodes)
        if self._penalty is not None:
            self._penalty.resize(1)
        self.penalty = penalty
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
        data = self._sample.resize(batch)
        self.batch_size = batch
        row = 0
        for a in arrays:  # the inputs' rows come first, in order
            data[row : row + len(a)] = a
            row += len(a)
        shared = np.array([v.data for v in self.shared], dtype=float)
        with np.errstate(all="ignore"):
            self._sample.forward(shared)
            # ((0 + l0) + l1) + ...: the engine's sum(losses)
            total = sum(self._sample.row(self.loss).tolist())
            if self.reduction == "mean":
                total = total * (1.0 / batch)
            if self._penalty is not None:
                self._penalty.forward(shared)
                total = total + float(self._penalty.row(self._penalty.root)[0])
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
        if not self.batch_size:
            raise RuntimeError("call forward() first")
        return self._sample.row(v).copy()

    def backward(self) -> None:
        """Add d (reduced loss + penalty) / d leaf into the ``grad`` of every shared leaf
        (parameters and constants), summed over the last ``forward()``'s batch.

        >>> x, w = Value(0.0), Value(3.0); tape = trace_batch(x * w, inputs=[x])
        >>> _ = tape.forward([1.0, 2.0]); tape.backward(); w.grad
        1.5
        """
        if not self.batch_size:
            raise RuntimeError("call forward() before backward()")
        exact = (
            self._sample.exact
        )  # exact: in the engine's order, from each leaf's grad on; else the sum, added
        grads = np.array([v.grad for v in self.shared], dtype=float) if exact else np.zeros(len(self.shared))
        seed = 1.0 * (1.0 / self.batch_size) if self.reduction == "mean" else 1.0
        with np.errstate(all="ignore"):  # inf - inf is nan, as in the engine
            if self._penalty is not None:  # the engine sends the penalty's grads first
                self._penalty.backward(1.0, grads)
            self._sample.backward(seed, grads)
        if exact:
            for v, x in zip(self.shared, grads.tolist()):
                v.grad = x
        else:
            for v, x in zip(self.shared, grads.tolist()):
                v.grad += x

    # --- what it is ----------------------------------------------------------------------

    def summary(self) -> dict[str, int]:
        """Counts that describe the plan.

        >>> from microprop.nn import Layer
        >>> x = [Value(0.0), Value(0.0)]
        >>> trace_batch(sum(Layer(2, 3, rng=0)(x)), inputs=[x]).summary()["matrix_products"]
        1
        """
        return {
            "inputs": sum(map(len, self._columns)),
            "shared": len(self.shared),
            **self._sample.summary(),
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
