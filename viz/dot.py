"""Build the ``graphviz.Digraph``: value nodes as tables (name | data | grad), op nodes
labelled from the op table, one edge per operand slot, scope clusters, and a frame's
highlights and caption.

>>> from microprop import Value
>>> a = Value(2.0, label="a"); b = a + a
>>> src = build(b).source
>>> src.count("v0 -> o1")  # a + a: both operands drawn
2
"""

from __future__ import annotations

import html
from typing import Mapping

import graphviz

from microprop.engine import Value

from .frames import Frame, backward_frames, backward_pass, final_frame, forward_frames, num
from .theme import Theme, grad_color, grad_scale, is_flagged, legend_label, theme_named
from .walk import Graph, scope_prefixes, walk

VIEWS = ("forward", "backward")
RANKDIRS = ("LR", "TB", "RL", "BT")


def op_label(node: Value) -> str:
    """The op node's text: the op table's label, with its constant parameters.

    >>> x = Value(2.0)
    >>> op_label(x ** 3), op_label(x.tanh()), op_label(x.leaky_relu(0.1))
    ('^3.0', 'tanh', 'LeakyReLU slope=0.1')
    """
    op = node.op
    assert op is not None
    if op.name == "pow":
        return f"{op.label}{num(node.params[0])}"
    params = " ".join(f"{n}={num(v)}" for n, v in zip(op.params, node.params))
    return f"{op.label} {params}" if params else op.label


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _cell(text: str, fill: str, fg: str, bold: bool = False) -> str:
    body = f"<B>{_esc(text)}</B>" if bold else _esc(text)
    return f'<TD BGCOLOR="{fill}"><FONT COLOR="{fg}">{body}</FONT></TD>'


def _value_label(
    graph: Graph, i: int, view: str, frame: Frame, theme: Theme, scale: float, grads: list[float] | None
) -> str:
    node = graph.nodes[i]
    status = frame.status.get(i, "")
    fill = theme.leaf_fill if node.op is None else theme.node_fill
    fg = theme.fg
    if status == "pending" or (status == "partial" and view == "forward"):
        fill, fg = theme.pending_fill, theme.pending_fg
    cells = [_cell(graph.names[node], fill, fg, bold=True)]
    data_text = frame.text[i] if view == "forward" else num(node.data)
    data_fill = theme.flag if is_flagged(node.data) and data_text != "?" else fill
    flag = " ⚠" if data_fill == theme.flag else ""
    cells.append(_cell(f"data {data_text}{flag}", data_fill, fg))
    if view == "backward":
        assert grads is not None
        g = grads[i]
        gtext = frame.text[i]
        if status in ("pending", "partial"):
            gfill = theme.pending_fill
        else:
            gfill = grad_color(theme, g, scale)
        flag = " ⚠" if is_flagged(g) and status == "" else ""
        cells.append(_cell(f"grad {gtext}{flag}", gfill, fg))
    border = (
        f'BORDER="2" COLOR="{theme.accent}"' if status == "current" else f'BORDER="0" COLOR="{theme.border}"'
    )
    return (
        f'<<TABLE {border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"><TR>{"".join(cells)}</TR></TABLE>>'
    )


def _box_label(graph: Graph, key: str, members: list[int], view: str, grads: list[float] | None) -> str:
    """A collapsed scope: its name, size and the values it hands out."""
    inside = set(members)
    outputs = [i for i in members if i == len(graph.nodes) - 1] + [
        e.parent for e in graph.edges if e.parent in inside and e.child not in inside
    ]
    lines = [f"<B>{_esc(key)}</B>", f"{len(members)} nodes"]
    for i in dict.fromkeys(outputs):
        v = graph.nodes[i]
        text = f"{graph.names[v]} = {num(v.data)}"
        if view == "backward" and grads is not None:
            text += f"  grad {num(grads[i])}"
        lines.append(_esc(text))
    return "<" + "<BR/>".join(lines) + ">"


def build(
    root: Value,
    *,
    view: str = "forward",
    step: int | None = None,
    rankdir: str = "LR",
    theme: str = "light",
    collapse: bool = False,
    max_nodes: int = 400,
    names: Mapping[Value, str] | None = None,
) -> graphviz.Digraph:
    """The Digraph of ``root`` (see ``microprop.viz.draw`` for the options)."""
    if view not in VIEWS:
        raise ValueError(f"view must be 'forward' or 'backward', not {view!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, not {rankdir!r}")
    pal = theme_named(theme)
    graph = walk(root, collapse=collapse, max_nodes=max_nodes, names=names)
    grads = None
    if step is not None:
        view = "backward"  # a step is a backward step
    if view == "backward":
        bp = backward_pass(graph, root)
        grads = bp.grads
        if step is None:
            frame = final_frame(graph, bp)
        else:
            frames = backward_frames(graph, root, bp)
            if not isinstance(step, int) or not 0 <= step < len(frames):
                raise ValueError(
                    f"step must be a whole number from 0 to {len(frames) - 1} "
                    f"(this graph has {len(frames) - 1} backward steps), not {step!r}"
                )
            frame = frames[step]
    else:
        n = len(graph.nodes)
        frame = Frame(
            "", None, (), {i: num(v.data) for i, v in enumerate(graph.nodes)}, {i: "" for i in range(n)}
        )
    return _digraph(graph, view, frame, pal, rankdir, grads)


def forward_and_backward_frames(graph: Graph, root: Value) -> tuple[list[Frame], list[Frame], list[float]]:
    """The stepper's frames for both views, and the grads of one fresh pass."""
    bp = backward_pass(graph, root)
    return forward_frames(graph), backward_frames(graph, root, bp), bp.grads


def digraph_for(
    graph: Graph, view: str, frame: Frame, theme: str, rankdir: str, grads: list[float] | None
) -> graphviz.Digraph:
    """The Digraph of an already walked graph in a given frame (the stepper's base)."""
    return _digraph(graph, view, frame, theme_named(theme), rankdir, grads)


def _digraph(
    graph: Graph, view: str, frame: Frame, pal: Theme, rankdir: str, grads: list[float] | None
) -> graphviz.Digraph:
    font = pal.font
    dg = graphviz.Digraph("microprop")
    caption = "\\l".join(_esc_caption(line) for line in frame.caption.splitlines())
    if graph.note:
        caption = (caption + "\\l" if caption else "") + _esc_caption(graph.note)
    dg.attr(
        "graph", rankdir=rankdir, bgcolor=pal.bg, fontname=font, fontcolor=pal.fg, fontsize="12",
        nodesep="0.25" if rankdir in ("LR", "RL") else "0.5", ranksep="0.35",
    )  # fmt: skip
    if caption:
        dg.attr("graph", label=caption + "\\l", labelloc="t", labeljust="l")
    dg.attr("node", fontname=font, fontsize="11", fontcolor=pal.fg, color=pal.border)
    dg.attr("edge", fontname=font, fontsize="10", fontcolor=pal.muted, color=pal.edge, arrowsize="0.7")
    scale = grad_scale(grads) if grads is not None else 1.0

    # which cluster each drawn thing sits in (scope prefixes), outermost first
    places: dict[str, list[tuple[str, dict[str, str]]]] = {"": []}
    children: dict[str, list[str]] = {"": []}

    def place(scope_path: list[str], name: str, attrs: dict[str, str]) -> None:
        parent = ""
        for prefix in scope_path:
            if prefix not in places:
                places[prefix] = []
                children[prefix] = []
                children[parent].append(prefix)
            parent = prefix
        places[parent].append((name, attrs))

    boxes = graph.boxes()
    for i in graph.visible():
        node = graph.nodes[i]
        scope = scope_prefixes(node.scope)
        vid = graph.node_id(i)
        cls = frame.status.get(i, "")
        attrs = {"shape": "plain", "id": vid, "label": _value_label(graph, i, view, frame, pal, scale, grads)}
        if cls:
            attrs["class"] = cls
        place(scope, vid, attrs)
        if node.op is not None:
            op_attrs = {
                "shape": "ellipse", "style": "filled", "fillcolor": pal.op_fill, "id": f"o{i}",
                "label": op_label(node), "margin": "0.04,0.02", "height": "0.3",
            }  # fmt: skip
            if cls == "current":
                op_attrs.update(color=pal.accent, penwidth="2.5", fontcolor=pal.accent)
                op_attrs["class"] = "current"
            elif cls == "pending" and view == "forward":
                op_attrs.update(fontcolor=pal.pending_fg, color=pal.pending_fg)
            place(scope, f"o{i}", op_attrs)
    for key, members in boxes.items():
        current = frame.current in members
        attrs = {
            "shape": "box", "style": "rounded,filled", "id": graph.box_id(key),
            "fillcolor": pal.cluster_fill, "label": _box_label(graph, key, members, view, grads),
            "color": pal.accent if current else pal.cluster_border, "penwidth": "2.5" if current else "1",
        }  # fmt: skip
        place(scope_prefixes(key)[:-1], graph.box_id(key), attrs)

    counter = iter(range(len(places)))
    numbers = {prefix: next(counter) for prefix in places}

    def emit(prefix: str, target: graphviz.Digraph) -> None:
        for name, attrs in places[prefix]:
            target.node(name, **attrs)
        for child in children[prefix]:
            sub = graphviz.Digraph(name=f"cluster_{numbers[child]}")
            sub.attr(
                label=_esc_caption(child.split("/")[-1].strip()), style="rounded,filled",
                fillcolor=pal.cluster_fill, color=pal.cluster_border, fontcolor=pal.muted, fontsize="10",
            )  # fmt: skip
            emit(child, sub)
            target.subgraph(sub)

    emit("", dg)

    if view == "backward":
        dg.node("legend", label=legend_label(pal, scale, num), shape="plain", fontsize="9")

    # edges: each operand slot into its op (in order), then op -> result
    seen_box_edges: set[tuple[str, str]] = set()
    for e in graph.edges:
        pbox, cbox = graph.box_of.get(e.parent), graph.box_of.get(e.child)
        tail = graph.box_id(pbox) if pbox else graph.node_id(e.parent)
        head = graph.box_id(cbox) if cbox else f"o{e.child}"
        if pbox or cbox:
            if pbox != cbox and (tail, head) not in seen_box_edges:
                seen_box_edges.add((tail, head))
                dg.edge(tail, head, id=f"b{e.index}")
        else:
            attrs = {"id": e.id}
            text = frame.edge_text.get(e.index, "")
            if text:  # padded, so the labels of two neighbouring edges don't run together
                attrs["label"] = f'<<TABLE BORDER="0" CELLPADDING="3"><TR><TD>{_esc(text)}</TD></TR></TABLE>>'
            if e.index in frame.hot:
                attrs.update(color=pal.accent, fontcolor=pal.accent, penwidth="2.5", **{"class": "hot"})
            elif view == "backward" and frame.current is not None and not text:
                attrs.update(color=pal.pending_fg, style="dashed")
            dg.edge(tail, head, **attrs)
        if e.slot == len(graph.nodes[e.child].parents) - 1 and not cbox:  # op -> its result
            attrs = {"id": f"r{e.child}"}
            if frame.current == e.child:
                attrs.update(color=pal.accent, penwidth="2.5")
            dg.edge(f"o{e.child}", graph.node_id(e.child), **attrs)
    return dg


def _esc_caption(line: str) -> str:
    """A caption line for a Graphviz escString (backslashes and quotes kept literal)."""
    return line.replace("\\", "\\\\")
