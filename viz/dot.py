"""Build the ``graphviz.Digraph``: value nodes as tables (name | data | grad), op nodes
labelled from the op table, one edge per operand slot, scope clusters, and a frame's
highlights and caption.

>>> from microprop import Value
>>> a = Value(2.0, label="a"); b = a + a
>>> src = draw(b).source
>>> src.count("v0 -> o1")  # a + a: both operands drawn
2
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

import graphviz

from microprop.engine import Value
from microprop.i18n import language, ntr, tr
from microprop.naming import FLAG, num, shown, visible

from .frames import Frame, backward_frame, backward_pass, data_frame, final_frame
from .theme import Theme, for_language, grad_color, grad_scale, is_flagged, legend_label, theme_named
from .walk import Graph, scope_prefixes, walk

VIEWS = ("forward", "backward")
RANKDIRS = ("LR", "TB", "RL", "BT")
BOX_OUTPUTS = 4  # values listed in a collapsed box


def op_label(node: Value) -> str:
    """The op node's text: the op table's label, with its constant parameters.

    >>> x = Value(2.0)
    >>> op_label(x ** 3), op_label(x.tanh()), op_label(x.leaky_relu(0.1))
    ('^3.0', 'tanh', 'LeakyReLU slope=0.1')
    """
    op = node.op
    assert op is not None
    if op.operator and node.params:  # an operator with a constant parameter: ^3.0
        return f"{op.label}{num(node.params[0])}"
    params = " ".join(f"{n}={num(v)}" for n, v in zip(op.params, node.params))
    return f"{op.label} {params}" if params else op.label


def _esc(text: str) -> str:
    """Text for an HTML-like label: control characters shown as escapes, markup escaped,
    and a zero-width space after each backslash (dot reads ``\\N`` as the node's id even
    in HTML labels)."""
    return html.escape(visible(text), quote=True).replace("\\", "\\\u200b")


def _cell(text: str, fill: str, fg: str, bold: bool = False) -> str:
    body = f"<B>{_esc(text)}</B>" if bold else _esc(text)
    return f'<TD BGCOLOR="{fill}"><FONT COLOR="{fg}">{body}</FONT></TD>'


def _value_label(
    graph: Graph,
    i: int,
    view: str,
    frame: Frame,
    theme: Theme,
    scale: float,
    grads: list[float] | None,
    mark: str | None = None,
) -> str:
    node = graph.nodes[i]
    status = frame.status.get(i, "")
    fill = theme.leaf_fill if node.op is None else theme.node_fill
    fg = theme.fg
    if status == "pending" or (status == "partial" and view == "forward"):
        fill, fg = theme.pending_fill, theme.pending_fg
    cells = [_cell(graph.names[node], fill, fg, bold=True)]
    data_text = frame.text[i] if view == "forward" else shown(node.data)  # flagged: "-inf ‼"
    data_fill = theme.flag if is_flagged(node.data) and data_text != "?" else fill
    cells.append(_cell(tr("data {value}", value=data_text), data_fill, fg))
    if view == "backward":
        assert grads is not None
        g = grads[i]
        gtext = frame.text[i]
        if status in ("pending", "partial"):
            gfill = theme.pending_fill
        else:
            gfill = grad_color(theme, g, scale)
        cells.append(_cell(tr("grad {value}", value=gtext), gfill, fg))
    if mark is not None:
        cells.append(_cell(f"≠ {mark}", theme.flag, fg, bold=True))
    border = (
        f'BORDER="2" COLOR="{theme.accent}"'
        if status == "current" or mark is not None
        else f'BORDER="0" COLOR="{theme.border}"'
    )
    return (
        f'<<TABLE {border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"><TR>{"".join(cells)}</TR></TABLE>>'
    )


def _box_outputs(graph: Graph) -> dict[str, list[int]]:
    """For each collapsed box, the members it hands out (used outside it, or the root)."""
    outputs: dict[str, dict[int, None]] = {key: {} for key in graph.boxes()}
    root = len(graph.nodes) - 1
    if root in graph.box_of:
        outputs[graph.box_of[root]][root] = None
    for e in graph.edges:
        key = graph.box_of.get(e.parent)
        if key is not None and graph.box_of.get(e.child) != key:
            outputs[key][e.parent] = None
    return {key: list(members) for key, members in outputs.items()}


def _box_label(graph: Graph, key: str, outputs: list[int], view: str, grads: list[float] | None) -> str:
    """A collapsed scope: its name, size and the values it hands out."""
    size = len(graph.boxes()[key])
    lines = [f"<B>{_esc(key)}</B>", _esc(ntr("{n} node", "{n} nodes", size))]
    for i in outputs[:BOX_OUTPUTS]:
        v = graph.nodes[i]
        text = f"{graph.names[v]} = {num(v.data)}"
        if view == "backward" and grads is not None:
            text += "  " + tr("grad {value}", value=num(grads[i]))
        lines.append(_esc(text))
    if len(outputs) > BOX_OUTPUTS:
        lines.append(_esc(tr("… and {count} more outputs", count=len(outputs) - BOX_OUTPUTS)))
    return "<" + "<BR/>".join(lines) + ">"


def draw(
    root: Value,
    *,
    view: str = "forward",
    step: int | None = None,
    rankdir: str = "LR",
    theme: str = "light",
    collapse: bool = False,
    max_nodes: int = 400,
    names: Mapping[Value, str] | None = None,
    mark: Any = None,
    lang: str | None = None,
) -> graphviz.Digraph:
    """The graph of ``root`` as a ``graphviz.Digraph``.

    ``view="forward"``: each value as ``name | data``, each op as a node labelled from
    the op table. ``view="backward"``: also each grad (coloured by sign and size, with
    a legend) and each edge into an op labelled ``local × upstream = contribution``.
    ``step=k`` draws backward step ``k`` (0 = before the first): the node being
    stepped and the edges it sends grads along highlighted, grads not yet known ``?``,
    and ``microprop.explain``'s text for the step as the caption. The backward views
    come from one fresh ``backward()`` run on the side: the graph's grads are left as
    they were. ``rankdir="TB"`` draws top to bottom; ``theme="dark"``; ``collapse``
    draws each ``Value.scope`` as one box; above ``max_nodes`` nodes scopes are
    collapsed, or ``GraphTooLarge`` is raised; ``names`` maps nodes to names
    (default: labels, then ``a, b, c...`` in topological order). ``mark`` flags nodes:
    pass a ``GradcheckReport`` (``gradcheck(..., raise_on_failure=False)``) and draw
    ``report.root`` to see each input whose gradient disagrees, with the numeric
    derivative it should have had, or pass any iterable of Values. ``lang`` (``"en"`` or
    ``"ko"``; default: the language in effect) picks the words of captions, cells and
    legend, and for Korean a font with Hangul (``theme.KOREAN_FONT``).

    >>> from microprop import Value
    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> g = draw(y, view="backward")
    >>> "3.0 × 1.0 = 3.0" in g.source, x.grad  # labelled edges; x.grad untouched
    (True, 0.0)
    >>> x = Value(2.0, label="x")
    >>> draw(x.exp(), view="backward", theme="dark").name
    'microprop'
    >>> "기울기 1.0" in draw(x.exp(), view="backward", lang="ko").source
    True
    """
    with language(lang):
        if view not in VIEWS:
            raise ValueError(
                tr(
                    "view must be one of {choices}, not {view}",
                    choices="'forward', 'backward'",
                    view=repr(view),
                )
            )
        if rankdir not in RANKDIRS:
            raise ValueError(
                tr(
                    "rankdir must be one of {choices}, not {rankdir}",
                    choices=", ".join(RANKDIRS),
                    rankdir=repr(rankdir),
                )
            )
        pal = for_language(theme_named(theme))  # dot renders with fontconfig: name the Hangul font
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
                last = len(bp.steps)
                if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= last:
                    raise ValueError(
                        tr(
                            "step must be a whole number from 0 to {last} "
                            "(this graph has {last} backward steps), not {step}",
                            last=last,
                            step=repr(step),
                        )
                    )
                frame = backward_frame(graph, root, bp, step)
        else:
            frame = data_frame(graph)
        return _digraph(graph, view, frame, pal, rankdir, grads, marks_for(graph, mark))


def marks_for(graph: Graph, mark: Any) -> dict[int, str]:
    """Node index -> the text flagging it: from a ``GradcheckReport`` (each input whose
    gradient disagrees, with the numeric derivative it should have had) or from any
    iterable of Values (flagged as ``check``).

    >>> from microprop.gradcheck import gradcheck
    >>> report = gradcheck(lambda x: x * Value(x.data), [3.0], raise_on_failure=False)
    >>> marks_for(walk(report.root), report)
    {0: 'numeric 6.0'}
    """
    if mark is None:
        return {}
    if hasattr(mark, "failures") and hasattr(mark, "inputs"):  # a gradcheck report
        pairs = [(mark.inputs[c.index], tr("numeric {value}", value=num(c.numeric))) for c in mark.failures]
    else:
        pairs = [(node, tr("check")) for node in mark]
    return {graph.index[node]: text for node, text in pairs if node in graph.index}


def digraph_for(
    graph: Graph, view: str, frame: Frame, theme: str, rankdir: str, grads: list[float] | None
) -> graphviz.Digraph:
    """The Digraph of an already walked graph in a given frame (the stepper's base).

    >>> from .frames import final_frame
    >>> x = Value(2.0, label="x"); y = x * x; g = walk(y); bp = backward_pass(g, y)
    >>> "grad 4.0" in digraph_for(g, "backward", final_frame(g, bp), "light", "LR", bp.grads).source
    True
    """
    return _digraph(graph, view, frame, theme_named(theme), rankdir, grads)


def _digraph(
    graph: Graph,
    view: str,
    frame: Frame,
    pal: Theme,
    rankdir: str,
    grads: list[float] | None,
    marks: Mapping[int, str] | None = None,
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
        dg.attr("graph", label=graphviz.nohtml(caption + "\\l"), labelloc="t", labeljust="l")
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
        attrs = {
            "shape": "plain",
            "id": vid,
            "label": _value_label(graph, i, view, frame, pal, scale, grads, (marks or {}).get(i)),
        }
        if cls:
            attrs["class"] = cls
        place(scope, vid, attrs)
        if node.op is not None:
            op_attrs = {
                "shape": "ellipse", "style": "filled", "fillcolor": pal.op_fill, "id": f"o{i}",
                "label": graphviz.nohtml(op_label(node)), "margin": "0.04,0.02", "height": "0.3",
            }  # fmt: skip
            if cls == "current":
                op_attrs.update(color=pal.accent, penwidth="2.5", fontcolor=pal.accent)
                op_attrs["class"] = "current"
            elif cls == "pending" and view == "forward":
                op_attrs.update(fontcolor=pal.pending_fg, color=pal.pending_fg)
            place(scope, f"o{i}", op_attrs)
    outputs = _box_outputs(graph)
    for key, members in boxes.items():
        current = frame.current in members
        attrs = {
            "shape": "box", "style": "rounded,filled", "id": graph.box_id(key),
            "fillcolor": pal.cluster_fill, "label": _box_label(graph, key, outputs[key], view, grads),
            "color": pal.accent if current else pal.cluster_border, "penwidth": "2.5" if current else "1",
        }  # fmt: skip
        place(scope_prefixes(key)[:-1], graph.box_id(key), attrs)

    counter = iter(range(len(places)))
    numbers = {prefix: next(counter) for prefix in places}

    def emit(prefix: str, target: graphviz.Digraph) -> None:
        for name, attrs in places[prefix]:
            target.node(name, **attrs)
        for child in sorted(children[prefix], key=_natural):  # layer 1, 2, ... 10; neuron 1, 2, ...
            sub = graphviz.Digraph(name=f"cluster_{numbers[child]}")
            sub.attr(
                label=graphviz.nohtml(_esc_caption(child.split("/")[-1].strip())), style="rounded,filled",
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
            flagged = any(w in ("nan", "inf", "-inf") for w in text.split())
            if text:  # padded, so the labels of two neighbouring edges don't run together
                cell = (
                    f'<TD BGCOLOR="{pal.flag}">{_esc(text)} {FLAG}</TD>'
                    if flagged
                    else f"<TD>{_esc(text)}</TD>"
                )
                attrs["label"] = f'<<TABLE BORDER="0" CELLPADDING="3"><TR>{cell}</TR></TABLE>>'
            if flagged:
                attrs.update(color=pal.flag, penwidth="2")
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


def _natural(text: str) -> list[Any]:
    """A sort key that orders numbers by value: ``layer 2`` before ``layer 10``.

    >>> sorted(["neuron 10", "neuron 2", "neuron 1"], key=_natural)
    ['neuron 1', 'neuron 2', 'neuron 10']
    """
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text)]


def _esc_caption(line: str) -> str:
    """A caption line for a Graphviz escString (control characters shown as escapes,
    backslashes and quotes kept literal)."""
    return visible(line).replace("\\", "\\\\")
