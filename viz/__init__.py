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

from typing import Any

from microprop.engine import Value

from .dot import draw
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


def to_dot(root: Value, **options: Any) -> str:
    """The DOT text of ``draw(root, **options)``; needs no Graphviz program.

    >>> from microprop import Value
    >>> x = Value(1.0, label="x")
    >>> to_dot(x) == to_dot(x)  # the same graph gives byte-identical DOT
    True
    """
    return draw(root, **options).source
