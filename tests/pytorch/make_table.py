"""Write ``ops_float64.tsv``: every op row's value and grads in PyTorch 2.13, float64, at a grid of
IEEE edge inputs (±0, ±1e-300, ±1e300, ±inf, nan) and ordinary points, seeded with 1, inf and nan.

Run once, with torch installed (``pip install torch==2.13.0``); the table is committed, and
``tests/test_pytorch_table.py`` compares microprop against it without needing torch:

    .venv/bin/python tests/pytorch/make_table.py

Each point is computed on 0-d tensors (``requires_grad=True``), one op at a time, as a scalar
engine would; ``out.backward(seed)``. Floats are written with ``float.hex`` (exact; ``inf``,
``nan``, ``-0x0.0p+0``). A leaf's grad is written as PyTorch holds it (a single contribution,
so possibly -0.0). Columns: op, inputs, params, seed, value, grads (lists comma-separated).
"""

from __future__ import annotations

import itertools
import math
import pathlib

import torch
import torch.nn.functional as F

inf, nan = math.inf, math.nan
EDGES = (0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, inf, -inf, nan)
ORDINARY = (0.5, -0.5, 1.0, -1.0, 2.5, -3.0)
EXTRA = (-40.0, 25.0, 710.0, -800.0, 5e-324)  # elu' far left, softplus above 20, exp's overflow, subnormal
SEEDS = (1.0, inf, nan)

# name: (torch function of (tensors..., params...), arity, parameter sets)
FUNCTIONS = {
    "add": (lambda a, b: a + b, 2, [()]),
    "mul": (lambda a, b: a * b, 2, [()]),
    "pow": (lambda a, p: a**p, 1, [(p,) for p in (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 2.5, 1 / 3)]),
    "powv": (torch.pow, 2, [()]),
    "exp": (torch.exp, 1, [()]),
    "log": (torch.log, 1, [()]),
    "tanh": (torch.tanh, 1, [()]),
    "sigmoid": (torch.sigmoid, 1, [()]),
    "softplus": (F.softplus, 1, [()]),
    "relu": (torch.relu, 1, [()]),
    "leaky_relu": (F.leaky_relu, 1, [(0.01,), (0.0,), (0.5,)]),
    "elu": (F.elu, 1, [(1.0,), (0.5,), (2.0,)]),
    "abs": (torch.abs, 1, [()]),
    # torch.heaviside has no derivative: detached, nothing flows back (grad 0), as microprop's masked 0
    "step": (lambda a: torch.heaviside(a.detach(), torch.zeros((), dtype=torch.float64)), 1, [()]),
    "threshold": (F.threshold, 1, [(0.5, -1.0), (0.0, 0.0), (-2.0, 3.0)]),
}


def row(name: str, inputs: tuple[float, ...], params: tuple[float, ...], seed: float) -> str:
    fn = FUNCTIONS[name][0]
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = fn(*tensors, *params)
    if out.requires_grad:
        out.backward(torch.tensor(seed, dtype=torch.float64))
    grads = [0.0 if t.grad is None else t.grad.item() for t in tensors]  # None: nothing flowed back

    def hexes(xs: tuple[float, ...] | list[float]) -> str:
        return ",".join(float.hex(float(x)) for x in xs)

    return "\t".join([name, hexes(inputs), hexes(params), float.hex(seed), float.hex(out.item()), hexes(grads)])


def main() -> None:
    unary = EDGES + ORDINARY + EXTRA
    binary = EDGES + ORDINARY
    lines = [f"# {__doc__.splitlines()[0]}", f"# torch {torch.__version__}", "op\tinputs\tparams\tseed\tvalue\tgrads"]
    for name, (_, arity, param_sets) in FUNCTIONS.items():
        points = itertools.product(binary, repeat=2) if arity == 2 else ((x,) for x in unary)
        for inputs in points:
            for params in param_sets:
                for seed in SEEDS:
                    lines.append(row(name, inputs, params, seed))
    path = pathlib.Path(__file__).with_name("ops_float64.tsv")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 3} rows to {path}")


if __name__ == "__main__":
    main()
