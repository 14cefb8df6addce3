"""The neuron from the micrograd lecture: o = tanh(x1*w1 + x2*w2 + b), backward by hand,
with its graph drawn forward (values) and backward (grads and each edge's contribution).

Run: python examples/lecture_neuron.py [OUT_DIR]      (default: examples/output/lecture_neuron/)
Published numbers: o = 0.7071; grads x1 -1.5, w1 1.0, x2 0.5, w2 0.0, b 0.5.
"""

from __future__ import annotations

import pathlib
import sys

from microprop import Value, expr
from microprop.explain import explain

OUT = pathlib.Path(__file__).resolve().parent / "output" / "lecture_neuron"


def lecture_neuron() -> dict[str, Value]:
    """The lecture's neuron (``microprop.expr.lecture_neuron``); its nodes by name."""
    return {v.label: v for v in expr.lecture_neuron().topo_order()}


def render(o: Value, out_dir: str | pathlib.Path) -> list[pathlib.Path]:
    """Write the forward and backward graph images of ``o`` into ``out_dir``."""
    from microprop import viz

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        viz.save(o, out / "lecture_neuron_forward.png", view="forward"),
        viz.save(o, out / "lecture_neuron_backward.png", view="backward"),
    ]


def main(out_dir: str | pathlib.Path = OUT) -> None:
    """Print the step-by-step backward pass, then draw the graph."""
    nodes = lecture_neuron()
    print(explain(nodes["o"]))
    for path in render(nodes["o"], out_dir):
        print(f"wrote {path}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
