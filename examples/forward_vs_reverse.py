"""Why backprop is reverse mode: the gradient of one function of n inputs, by n
forward-mode sweeps and by one reverse sweep, with their operation counts.

f(x1, ..., xn) = tanh(Σ xi·wi) + Σ xi² is one scalar of n inputs. A forward-mode sweep
(``microprop.autograd.forward_tangents``) carries one tangent through every node: with
seed 1 on x_i it gives one number, df/dx_i, so the whole gradient takes n sweeps. One
reverse sweep (``backward()``) gives all n at once. Each sweep does one multiplication
"local derivative × tangent (or grad)" per edge of the graph, so the counts are
n × edges against edges. (Forward mode wins the other way round: one input, many
outputs.)

Run: python examples/forward_vs_reverse.py [--plot docs/forward_vs_reverse.png]
"""

from __future__ import annotations

import argparse
import pathlib

from microprop import Value
from microprop.autograd import forward_tangents


def f(xs: list[Value]) -> Value:
    """tanh(Σ xi·wi) + Σ xi², with fixed weights wi = 1/(i+1)."""
    s = sum((x * (1.0 / (i + 1)) for i, x in enumerate(xs)), Value(0.0))
    return s.tanh() + sum((x * x for x in xs), Value(0.0))


def edges(root: Value) -> int:
    """Edges of the graph: one multiplication local × tangent (or grad) each per sweep."""
    return sum(len(v.parents) for v in root.topo_order())


def compare(n: int) -> dict[str, float]:
    """The gradient both ways at x_i = 0.1·i - 0.5; their counts; the largest difference."""
    xs = [Value(0.1 * i - 0.5, label=f"x{i}") for i in range(n)]
    y = f(xs)
    forward = [forward_tangents(y, {x: 1.0})[y] for x in xs]  # n sweeps
    y.backward()  # one sweep
    e = edges(y)
    return {
        "n": n,
        "edges": e,
        "forward_sweeps": n,
        "forward_mults": n * e,
        "reverse_sweeps": 1,
        "reverse_mults": e,
        "max_difference": max(abs(a - x.grad) for a, x in zip(forward, xs)),
    }


def table(sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)) -> list[dict[str, float]]:
    """``compare`` for each n."""
    return [compare(n) for n in sizes]


def plot(rows: list[dict[str, float]], path: pathlib.Path) -> pathlib.Path:
    """Multiplications per full gradient against n, both modes, on log-log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    ns = [r["n"] for r in rows]
    ax.plot(ns, [r["forward_mults"] for r in rows], "o-", label="forward mode: n sweeps")
    ax.plot(ns, [r["reverse_mults"] for r in rows], "s-", label="reverse mode (backprop): 1 sweep")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n, the number of inputs")
    ax.set_ylabel("multiplications local × tangent/grad")
    ax.set_title("The full gradient of f: ℝⁿ → ℝ")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    """Print the table (and draw it with --plot)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=pathlib.Path, help="write the figure here (needs matplotlib)")
    args = parser.parse_args(argv)
    rows = table()
    print(
        f"{'n':>4} {'edges':>6} {'forward: sweeps':>16} {'mults':>8} {'reverse: sweeps':>16} {'mults':>6}  max |difference|"
    )
    for r in rows:
        print(
            f"{r['n']:>4} {r['edges']:>6} {r['forward_sweeps']:>16} {r['forward_mults']:>8} "
            f"{r['reverse_sweeps']:>16} {r['reverse_mults']:>6}  {r['max_difference']:.1e}"
        )
    if args.plot:
        print(f"wrote {plot(rows, args.plot)}")


if __name__ == "__main__":
    main()
