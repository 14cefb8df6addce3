"""The Hessian of Mazur's error with respect to the output weights w5..w8.

Matt Mazur's network (examples/mazur.py) at its starting weights: E_total's second
derivatives in w5, w6, w7, w8, by ``microprop.autograd.hessian`` (grad of grad through
the op table). Each output unit depends on its own two weights only, so the Hessian
is block diagonal; each block is h hᵀ · (σ'² + (o - t) σ''), with σ' = o(1 - o) and
σ'' = σ'(1 - 2o), the closed form printed next to it.

Run: python examples/mazur_hessian.py
"""

from __future__ import annotations

import importlib.util
import pathlib

from microprop import Value
from microprop.autograd import hessian

_spec = importlib.util.spec_from_file_location("mazur", pathlib.Path(__file__).with_name("mazur.py"))
assert _spec and _spec.loader
mazur = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mazur)

WEIGHTS = ("w5", "w6", "w7", "w8")


def error(w5: Value, w6: Value, w7: Value, w8: Value) -> Value:
    """E_total as a function of w5..w8 (the other weights and biases at the post's start)."""
    p = {name: Value(x, label=name) for name, x in mazur.START.items()}
    p.update(w5=w5, w6=w6, w7=w7, w8=w8)
    return mazur.network(p)["E_total"]


def mazur_hessian() -> list[list[float]]:
    """d²E_total / dw_i dw_j for w5..w8 at the starting weights."""
    return hessian(error, [mazur.START[w] for w in WEIGHTS])


def closed_form() -> list[list[float]]:
    """The same Hessian from the formula in the module's docstring."""
    n = mazur.network({name: Value(x) for name, x in mazur.START.items()})
    h = (n["out_h1"].data, n["out_h2"].data)
    h_out = [[0.0] * 4 for _ in range(4)]
    for unit, (o_name, t) in enumerate((("out_o1", mazur.TARGETS[0]), ("out_o2", mazur.TARGETS[1]))):
        o = n[o_name].data
        d1 = o * (1 - o)
        curvature = d1 * d1 + (o - t) * d1 * (1 - 2 * o)
        for i in range(2):
            for j in range(2):
                h_out[2 * unit + i][2 * unit + j] = h[i] * h[j] * curvature
    return h_out


def main() -> None:
    """Print the Hessian and the closed form."""
    for name, row, want in zip(WEIGHTS, mazur_hessian(), closed_form()):
        print(
            f"{name}: "
            + "  ".join(f"{x:+.9f}" for x in row)
            + "   closed form: "
            + "  ".join(f"{x:+.9f}" for x in want)
        )


if __name__ == "__main__":
    main()
