"""Derivatives as values: ``grad`` (reverse mode, optionally building a differentiable
graph), ``hessian``, ``hvp`` and ``jvp`` (forward mode).

``Value.backward()`` fills each node's ``grad`` with a float. ``grad(...,
create_graph=True)`` instead returns the derivatives as ordinary graph nodes, built from
the same op-table rows (each row's partials run on Values), so they can be
differentiated again, drawn, explained and stepped through. ``jvp`` sweeps the other
way: each node's tangent is the sum of local partial × input tangent, inputs first.

>>> from microprop import Value
>>> x = Value(0.5, label="x")
>>> y = x.tanh()
>>> (dy,) = grad(y, x, create_graph=True)
>>> (d2y,) = grad(dy, x)
>>> round(dy.data, 6), round(d2y.data, 6)
(0.786448, -0.726862)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .engine import VALUES, Value

Number = int | float
Values = Value | Sequence[Value]


def _as_list(values: Values) -> list[Value]:
    return [values] if isinstance(values, Value) else list(values)


def _order(outputs: Sequence[Value]) -> list[Value]:
    """Every node the outputs depend on, inputs first (one topological order for all)."""
    seen: set[Value] = set()
    order: list[Value] = []
    for root in outputs:
        for node in root.topo_order():
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _masked(node: Value, slot: int) -> bool:
    """Whether the node's row sends exactly 0 to input ``slot`` here (``Op.mask``)."""
    op = node.op
    mask = op.mask if op is not None else None
    return mask is not None and bool(mask(node.data, *(p.data for p in node.parents), *node.params)[slot])


def _is_one(x: object) -> bool:
    return type(x) is float and x == 1.0


def grad(
    outputs: Values,
    inputs: Values,
    grad_outputs: Sequence[Value | Number] | None = None,
    create_graph: bool = False,
) -> tuple[Value, ...]:
    """d outputs / d inputs, one Value per input, as ``torch.autograd.grad``.

    ``grad_outputs`` weight each output (default 1.0 each: the grads of their sum).
    Nothing is written into any ``.grad``. With ``create_graph=True`` the results are
    graph nodes built from the op table (differentiable again, drawable, explainable);
    otherwise they are new leaves holding the numbers ``backward()`` would give. An
    input the outputs do not depend on gets 0.0 (as torch's ``materialize_grads``).

    >>> x = Value(3.0, label="x")
    >>> y = x * x * x
    >>> (dy,) = grad(y, x, create_graph=True)
    >>> (d2y,) = grad(dy, x, create_graph=True)
    >>> (d3y,) = grad(d2y, x)
    >>> dy.data, d2y.data, d3y.data, x.grad
    (27.0, 18.0, 6.0, 0.0)
    """
    outs, ins = _as_list(outputs), _as_list(inputs)
    seeds = [1.0] * len(outs) if grad_outputs is None else list(grad_outputs)
    if len(seeds) != len(outs):
        raise ValueError(f"grad_outputs has {len(seeds)} entries for {len(outs)} outputs")
    grads: dict[Value, Value | float] = {}

    def send(node: Value, contribution: Value | float) -> None:
        total = grads.get(node)
        if total is None:  # as backward(): a grad starts at 0.0, then adds
            grads[node] = contribution if create_graph else 0.0 + contribution
        else:
            grads[node] = total + contribution

    for root, seed in zip(outs, seeds):
        send(root, seed if create_graph and isinstance(seed, Value) else float(seed))
    for node in reversed(_order(outs)):
        g = grads.get(node)
        op = node.op
        if g is None or op is None:
            continue
        parents = node.parents
        if create_graph:
            if not op.generic:
                raise TypeError(
                    f"the {op.name!r} row's partials take no m=: write them over the primitives "
                    f"m (as the table's rows are) to differentiate them again"
                )
            locals_ = op.partials(node, *parents, *node.params, m=VALUES)
        else:
            locals_ = op.partials(node.data, *(p.data for p in parents), *node.params)
        for slot, (parent, local) in enumerate(zip(parents, locals_)):
            # the chain rule; × 1.0 is left out, so the grad graph has no idle nodes
            sent = local if _is_one(g) else g if _is_one(local) else local * g
            number = sent.data if isinstance(sent, Value) else sent
            if number != number and _masked(node, slot):  # noqa: PLR0124 - nan
                sent = 0.0  # exactly 0 whatever arrived, as backward() and PyTorch
            send(parent, sent)
    result = []
    for x in ins:
        g = grads.get(x, 0.0)
        result.append(g if isinstance(g, Value) else Value(g))
    return tuple(result)


def _leaves(inputs: Sequence[Value | Number]) -> list[Value]:
    return [x if type(x) is Value else Value(x, label=f"x{i}") for i, x in enumerate(inputs)]  # type: ignore[arg-type]


def hessian(fn: Callable[..., Value], inputs: Sequence[Number]) -> list[list[float]]:
    """The matrix of second derivatives d²fn / d inputs[i] d inputs[j], by grad of grad.

    >>> hessian(lambda x, y: x * x * y + y.exp(), [1.0, 0.0])
    [[0.0, 2.0], [2.0, 1.0]]
    """
    xs = _leaves(inputs)
    first = grad(fn(*xs), xs, create_graph=True)
    return [[g.data for g in grad(d, xs)] for d in first]


def hvp(fn: Callable[..., Value], inputs: Sequence[Number], v: Sequence[Number]) -> list[float]:
    """The Hessian of ``fn`` at ``inputs`` times the vector ``v``, without forming the
    Hessian: one grad of (grad · v).

    >>> hvp(lambda x, y: x * x * y + y.exp(), [1.0, 0.0], [1.0, 0.0])
    [0.0, 2.0]
    """
    xs = _leaves(inputs)
    first = grad(fn(*xs), xs, create_graph=True)
    return [g.data for g in grad(first, xs, grad_outputs=[float(t) for t in v])]


def forward_tangents(outputs: Values, seeds: dict[Value, float]) -> dict[Value, float]:
    """Forward mode over a built graph: every node's tangent, given its leaves' (a leaf
    not in ``seeds`` is a constant: tangent 0). Each node's pair (data, tangent) is a dual
    number; its tangent is Σ local partial × input tangent, from the op table's row.

    >>> x = Value(2.0); y = x * x + x
    >>> forward_tangents(y, {x: 1.0})[y]
    5.0
    """
    tangent: dict[Value, float] = {}
    for node in _order(_as_list(outputs)):
        op = node.op
        if op is None:
            tangent[node] = float(seeds.get(node, 0.0))
            continue
        parents = node.parents
        locals_ = op.partials(node.data, *(p.data for p in parents), *node.params)
        total = 0.0
        for slot, (parent, local) in enumerate(zip(parents, locals_)):
            sent = local * tangent[parent]
            if sent != sent and _masked(node, slot):  # noqa: PLR0124 - nan
                sent = 0.0
            total += sent
        tangent[node] = total
    return tangent


def jvp(
    fn: Callable[..., Value | Sequence[Value]], primals: Sequence[Number], tangents: Sequence[Number]
) -> tuple[float | list[float], float | list[float]]:
    """``(outputs, output_tangents)``: fn at ``primals`` and its directional derivative
    along ``tangents`` (the Jacobian times that vector), by one forward-mode sweep.

    >>> jvp(lambda x, y: x * y + x.exp(), [0.0, 3.0], [1.0, 0.0])
    (1.0, 4.0)
    """
    if len(primals) != len(tangents):
        raise ValueError(f"{len(primals)} primals but {len(tangents)} tangents")
    xs = _leaves(primals)
    out = fn(*xs)
    outs = _as_list(out)
    tangent = forward_tangents(outs, dict(zip(xs, map(float, tangents))))
    if isinstance(out, Value):
        return out.data, tangent[out]
    return [o.data for o in outs], [tangent[o] for o in outs]
