"""Regenerate the README's pictures of the lecture neuron (needs Graphviz's dot).

Run: python docs/make_images.py
Writes docs/neuron_forward.png (left to right, the default), docs/neuron_backward.png and
docs/neuron_step5.png (top to bottom: narrow enough to read on a README page).
"""

from __future__ import annotations

import pathlib

from microprop.viz import save

from microprop import Value

DOCS = pathlib.Path(__file__).resolve().parent


def lecture_neuron() -> Value:
    """o = tanh(x1*w1 + x2*w2 + b) with the lecture's labels."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1w1x2w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def main() -> None:
    """Write the three PNGs and print their paths."""
    o = lecture_neuron()
    for name, options in (
        ("neuron_forward.png", {}),
        ("neuron_backward.png", {"view": "backward", "rankdir": "TB"}),
        ("neuron_step5.png", {"step": 5, "rankdir": "TB"}),
    ):
        print(save(o, DOCS / name, **options))


if __name__ == "__main__":
    main()
