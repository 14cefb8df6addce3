"""The notebook widget: ``Stepper(root)`` shows the live stepper in Jupyter (Lab,
Notebook 7, VS Code, Colab) through anywidget (``pip install 'microprop[notebook]'``).

Each leaf gets a number field and a slider; a change goes to the kernel, which sets
the leaf's ``data``, recomputes the graph's forward values in place and sends the new
scene (``microprop.viz.scene``), which the front end writes into the drawing without
laying it out again. Any number of steppers can share a notebook: each one is its own
element, its styles are scoped to it, and its keys act only while it has focus. Where
widgets can't run (nbconvert to HTML, a static viewer) the output falls back to the
stepper page's HTML with the values it had.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import anywidget
import traitlets

from microprop.engine import Value
from microprop.i18n import check_lang, current, language, tr

from .scene import MAX_LAYOUT, scene
from .stepper import asset, fragment, front_end_js


def recompute(root: Value) -> None:
    """Every node's ``data`` again from its parents, in topological order (after a leaf
    changed). Grads are left as they were.

    >>> x = Value(2.0); y = x * x + 1; x.data = 3.0; recompute(y); y.data
    10.0
    """
    for node in root.topo_order():
        if node.op is not None:
            node.data = node.op.forward(*(p.data for p in node.parents), *node.params)


class Stepper(anywidget.AnyWidget):
    """The live stepper of ``root`` as a notebook widget.

    ``leaves``: the inputs to offer as fields (default: every labelled leaf);
    ``theme``, ``rankdir``, ``max_nodes``, ``max_layout``, ``names``, ``lang`` as in ``save_stepper``. Changing
    a field changes that leaf's ``data`` and every value computed from it (grads are
    drawn from a fresh backward pass on the side and left as they were).

    >>> from microprop import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
    >>> w = Stepper(y)
    >>> w.values = {"x": 3.0}; y.data, w.scene["data"]["v1"], w.scene["quiz"]
    (9.0, '9.0', None)
    """

    _esm = traitlets.Unicode("").tag(sync=True)
    _css = traitlets.Unicode("").tag(sync=True)
    scene = traitlets.Dict().tag(sync=True)
    dot = traitlets.Dict().tag(sync=True)  # the layout's DOT: sent only when the layout changes
    values = traitlets.Dict().tag(sync=True)
    quiz = traitlets.Bool(False).tag(sync=True)  # the front end's quiz mode wants questions
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        root: Value,
        *,
        leaves: Iterable[Value] | None = None,
        theme: str = "light",
        rankdir: str = "LR",
        max_nodes: int = 400,
        max_layout: int = MAX_LAYOUT,
        names: Mapping[Value, str] | None = None,
        lang: str | None = None,
    ) -> None:
        self._root = root
        self._options: dict[str, Any] = {
            "theme": theme,
            "rankdir": rankdir,
            "max_nodes": max_nodes,
            "max_layout": max_layout,
            "names": names,
            "lang": current() if lang is None else check_lang(lang),
        }
        editable = self._editable(leaves)
        first = scene(root, leaves=editable, **self._options)
        self._leaves = {leaf["name"]: v for leaf, v in zip(first["leaves"], editable)}
        dot = first.pop("dot")
        super().__init__(
            _esm=front_end_js() + "\n" + asset("widget.js"), _css=asset("stepper.css"), scene=first, dot=dot
        )

    def _editable(self, leaves: Iterable[Value] | None) -> list[Value]:
        nodes = self._root.topo_order()
        chosen = [v for v in nodes if v.op is None and v.label] if leaves is None else list(leaves)
        known = set(nodes)
        return [v for v in chosen if v in known]

    @traitlets.observe("values", "quiz")
    def _changed(self, change: dict[str, Any]) -> None:
        values = self.values
        bad = [n for n, x in values.items() if n not in self._leaves or not isinstance(x, (int, float))]
        if bad:
            with language(self._options["lang"]):
                self.error = tr(
                    "not a leaf of this graph, or not a number: {names}", names=", ".join(map(repr, bad))
                )
            return
        for name, x in values.items():
            self._leaves[name].data = float(x) if math.isfinite(x) else x
        recompute(self._root)
        self.error = ""
        new = scene(
            self._root,
            leaves=list(self._leaves.values()),
            have=self.scene["layout"],
            quiz=self.quiz,
            **self._options,
        )
        if "dot" in new:
            self.dot = new.pop("dot")
        self.scene = new

    def __repr__(self) -> str:
        """``Stepper(o: 10 nodes, inputs x1 w1 x2 w2 b)``: what plain-text outputs show."""
        names = self.scene["names"]
        root = names[f"v{len(names) - 1}"]
        return f"Stepper({root}: {len(names)} nodes, inputs {' '.join(self._leaves) or 'none'})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget, and the static stepper as ``text/html`` where widgets can't run."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "text/html": fragment({**self.scene, "dot": self.dot})}, metadata
