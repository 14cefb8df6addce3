"""A graph laid out for drawing: nodes numbered in topological order, one edge per
operand slot (``a + a`` gives two), clusters from ``Value.scope``, and the
``max_nodes`` guard.

>>> from microprop import Value
>>> a = Value(2.0, label="a"); b = a + a
>>> g = walk(b)
>>> [(g.node_id(e.parent), g.node_id(e.child), e.slot) for e in g.edges]
[('v0', 'v1', 0), ('v0', 'v1', 1)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from microprop.engine import Value
from microprop.i18n import N_, tr
from microprop.naming import node_names

SEP = " / "  # "layer 1 / neuron 3": a scope path


class GraphTooLarge(ValueError):
    """The graph has more nodes than ``max_nodes`` even with its clusters collapsed.

    >>> issubclass(GraphTooLarge, ValueError)
    True
    """


@dataclass(frozen=True)
class Edge:
    """Operand ``slot`` of node ``child`` is node ``parent`` (indices into ``Graph.nodes``).

    >>> Edge(index=3, parent=0, child=2, slot=1).id
    'e3'
    """

    index: int
    parent: int
    child: int
    slot: int

    @property
    def id(self) -> str:
        """The edge's id in DOT and SVG: ``e0``, ``e1``, ..."""
        return f"e{self.index}"


@dataclass
class Graph:
    """What ``draw`` draws: nodes inputs-first, edges, names, and collapsed boxes.

    ``box_of`` maps a node index to the scope box that hides it (only when collapsed);
    ``note`` says why the graph was collapsed, if the guard did it.

    >>> x = Value(1.0, label="x"); y = x * 2; y.scope = "layer 1"
    >>> g = walk(y, collapse=True)
    >>> g.node_id(0), g.visible(), g.boxes(), g.box_id("layer 1")
    ('v0', [0, 1], {'layer 1': [2]}, 'box0')
    """

    nodes: list[Value]
    index: dict[Value, int]
    edges: list[Edge]
    names: Mapping[Value, str]
    box_of: dict[int, str] = field(default_factory=dict)
    note: str = ""

    @staticmethod
    def node_id(i: int) -> str:
        """A value node's id: ``v`` and its topological index."""
        return f"v{i}"

    def visible(self) -> list[int]:
        """Indices of the nodes drawn on their own (not inside a collapsed box)."""
        return [i for i in range(len(self.nodes)) if i not in self.box_of]

    def __post_init__(self) -> None:
        self._boxes: dict[str, list[int]] = {}
        for i, key in sorted(self.box_of.items()):
            self._boxes.setdefault(key, []).append(i)
        self._box_ids = {key: f"box{k}" for k, key in enumerate(self._boxes)}

    def boxes(self) -> dict[str, list[int]]:
        """Each collapsed box and its member nodes, in order of first appearance."""
        return self._boxes

    def box_id(self, key: str) -> str:
        """A box's id, numbered by first appearance: ``box0``, ``box1``, ..."""
        return self._box_ids[key]


def scope_prefixes(scope: str) -> list[str]:
    """Every enclosing cluster of a scope, outermost first.

    >>> scope_prefixes("layer 1 / neuron 3")
    ['layer 1', 'layer 1 / neuron 3']
    >>> scope_prefixes("")
    []
    """
    parts = [p.strip() for p in scope.split(SEP.strip())] if scope else []
    return [SEP.join(parts[: k + 1]) for k in range(len(parts))]


def _boxes(nodes: list[Value], depth: int | None) -> dict[int, str]:
    """The box each scoped node falls in: its full scope, or its first ``depth`` parts."""
    box_of = {}
    for i, v in enumerate(nodes):
        prefixes = scope_prefixes(v.scope)
        if prefixes:
            box_of[i] = prefixes[-1] if depth is None else prefixes[min(depth, len(prefixes)) - 1]
    return box_of


def _count(nodes: list[Value], box_of: dict[int, str]) -> int:
    return len(nodes) - len(box_of) + len(set(box_of.values()))


def walk(
    root: Value,
    *,
    collapse: bool = False,
    max_nodes: int = 400,
    names: Mapping[Value, str] | None = None,
) -> Graph:
    """Number the graph of ``root`` for drawing.

    With ``collapse``, nodes sharing a scope become one box. Above ``max_nodes`` the
    graph is collapsed (innermost scopes first, then outermost); if it is still too
    large, ``GraphTooLarge`` says how large it is and what to do.

    >>> x = Value(1.0, label="x")
    >>> y = x
    >>> for _ in range(5): y = y * 2
    >>> walk(y, max_nodes=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    microprop.viz.walk.GraphTooLarge: the graph has 11 nodes, more than max_nodes=4; ...
    """
    nodes = root.topo_order()
    box_of: dict[int, str] = {}
    note = ""
    if collapse:
        box_of = _boxes(nodes, None)
    if _count(nodes, box_of) > max_nodes:
        for depth in (None, 1):
            box_of = _boxes(nodes, depth)
            if box_of and _count(nodes, box_of) <= max_nodes:
                note = tr(
                    "{count} nodes > max_nodes={max_nodes}: scopes collapsed into {boxes} boxes",
                    count=len(nodes),
                    max_nodes=max_nodes,
                    boxes=len(set(box_of.values())),
                )
                break
        else:
            fields = {"count": len(nodes), "max_nodes": max_nodes}
            if _boxes(nodes, 1):
                message = N_(
                    "the graph has {count} nodes, more than max_nodes={max_nodes} even with its scopes "
                    "collapsed; an image that size is unreadable (and slow for dot). Draw a smaller part of "
                    "it (a sub-expression), give nodes a scope and pass collapse=True, or raise max_nodes."
                )
            else:
                message = N_(
                    "the graph has {count} nodes, more than max_nodes={max_nodes}; an image that size is "
                    "unreadable (and slow for dot). Draw a smaller part of it (a sub-expression), give nodes "
                    "a scope and pass collapse=True, or raise max_nodes."
                )
            raise GraphTooLarge(tr(message, **fields))
    index = {v: i for i, v in enumerate(nodes)}
    edges: list[Edge] = []
    for i, v in enumerate(nodes):
        for slot, p in enumerate(v.parents):
            edges.append(Edge(len(edges), index[p], i, slot))
    all_names = node_names(root, nodes)
    if names is not None:  # the caller's names win; the rest keep their letters
        all_names.update((v, n) for v, n in names.items() if v in index)
    return Graph(nodes, index, edges, all_names, box_of, note)


def layout_cost(graph: Graph) -> int:
    """The nodes Graphviz lays out for the stepper's drawing of ``graph``: a node per
    value and per op, plus one hidden node per rank each edge crosses (dot routes a long
    edge through a chain of them, and its crossing minimization grows fast with them).
    Ranks are the latest each node can take (a leaf sits just before its first consumer,
    as dot places it), so a weight shared by many layers costs its long edges.

    >>> x = Value(1.0, label="x"); y = x
    >>> for _ in range(3): y = (y * 2).tanh()
    >>> layout_cost(walk(y))  # a chain: 10 values and 6 ops, no long edge
    16
    >>> w = Value(0.5, label="w"); y = w
    >>> for _ in range(3): y = (y * w).tanh()
    >>> layout_cost(walk(y))  # 13 nodes; w's edges to layers 2 and 3 pass 4 and 8 hidden ones
    25
    """
    rank = [0] * len(graph.nodes)  # a value's rank; its op node sits one rank before it
    consumers: list[list[int]] = [[] for _ in graph.nodes]
    for e in graph.edges:
        consumers[e.parent].append(e.child)
    cost = 0
    for i in range(len(graph.nodes) - 1, -1, -1):  # outputs first
        if consumers[i]:
            rank[i] = min(rank[c] - 2 for c in consumers[i])  # before the consumer's op node
        cost += 1 if graph.nodes[i].op is None else 2
    for e in graph.edges:
        cost += rank[e.child] - 1 - rank[e.parent] - 1  # hidden nodes between value and op node
    return cost
