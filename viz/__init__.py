"""Graph images of microprop graphs (installed as ``microprop.viz``).

A pure function of the graph: ``draw`` returns a ``graphviz.Digraph`` (it displays
inline in Jupyter), ``to_dot`` returns DOT text (no Graphviz needed), ``save`` writes
.svg/.png/.pdf/.dot by the file name, and ``save_stepper`` writes a self-contained HTML
page that steps through the forward and backward passes (``Stepper(root)`` is the same
stepper as a live notebook widget, with a field and a slider per input). Nodes are numbered in
topological order, so the same graph always gives the same DOT.

>>> from microprop import Value
>>> from microprop.viz import to_dot
>>> a = Value(2.0, label="a"); b = a * a; b.label = "b"
>>> print(to_dot(b).splitlines()[0])
digraph microprop {
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import graphviz

from microprop.engine import Value

from .dot import build
from .render import GraphvizMissing, RenderError, save
from .stepper import save_stepper
from .walk import GraphTooLarge

__all__ = [
    "GraphTooLarge",
    "GraphvizMissing",
    "RenderError",
    "Stepper",
    "draw",
    "save",
    "save_stepper",
    "to_dot",
]


def __getattr__(name: str) -> Any:
    """``Stepper``, the notebook widget, loads anywidget only when asked for."""
    if name == "Stepper":
        try:
            from .widget import Stepper
        except ImportError as err:
            raise ImportError(
                f"microprop.viz.Stepper needs anywidget ({err}): pip install 'microprop[notebook]'"
            ) from err
        return Stepper
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    """
    return build(
        root, view=view, step=step, rankdir=rankdir, theme=theme, collapse=collapse,
        max_nodes=max_nodes, names=names, mark=mark, lang=lang,
    )  # fmt: skip


def to_dot(root: Value, **options: Any) -> str:
    """The DOT text of ``draw(root, **options)``; needs no Graphviz program.

    >>> from microprop import Value
    >>> x = Value(1.0, label="x")
    >>> to_dot(x) == to_dot(x)  # the same graph gives byte-identical DOT
    True
    """
    return draw(root, **options).source
