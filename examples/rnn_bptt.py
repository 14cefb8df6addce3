"""Backpropagation through time, on a scalar RNN unrolled over 5 steps.

``h_t = tanh(w·h_{t-1} + u·x_t + b)`` from ``h_0 = 0``, then ``o = v·h_5`` and the loss
``L = (o - y)²``. Unrolled, it is an ordinary graph in which the same ``w``, ``u`` and
``b`` feed every step, so ``backward()`` is backpropagation through time: each shared
parameter's grad is the sum of one contribution per step (``∂L/∂w = Σ_t ∂L/∂a_t ·
h_{t-1}``, a_t the pre-activation). Going back one step multiplies the gradient by
``w·tanh'(a_t) = w·(1 - h_t²)``: with |w| < 1 it shrinks geometrically (and a large w
saturates the tanh, so 1 - h_t² is small and it shrinks all the same), so the early steps
(and the inputs long ago) get the smallest gradients, which is why plain RNNs struggle with
long-range dependencies.

Every node of a step has the step as its scope (``Value.scope``): the graph is drawn with
steps 1 to 4 as one box each (its h_t and grad listed) and the last step and the loss in
full, top to bottom, so that it reads at its natural size; the figure plots
|∂L/∂h_t| for t = 1…5 and each step's share of ∂L/∂w, for a few values of w.

Run: python examples/rnn_bptt.py [--out examples/output/rnn_bptt]
"""

from __future__ import annotations

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")

from microprop import Value

OUT = pathlib.Path(__file__).resolve().parent / "output" / "rnn_bptt"
XS = [1.0, -0.5, 0.8, 0.3, -1.0]
Y = 0.5


def unroll(
    w: float = 0.5, u: float = 0.8, b: float = 0.1, v: float = 1.5, xs: list[float] = XS, y: float = Y
) -> dict:
    """The unrolled RNN and its loss; every node of step t in scope ``t = t``."""
    params = {name: Value(val, label=name) for name, val in (("w", w), ("u", u), ("b", b), ("v", v))}
    h = Value(0.0, label="h0")
    hs, recurrent = [h], []
    for t, x in enumerate(xs, start=1):
        xt = Value(x, label=f"x{t}")
        wh = params["w"] * h
        ux = params["u"] * xt
        a = wh + ux + params["b"]
        h = a.tanh()
        wh.label, ux.label, a.parents[0].label = f"w·h{t - 1}", f"u·x{t}", f"w·h{t - 1} + u·x{t}"
        a.label, h.label = f"a{t}", f"h{t}"
        _scope_step(h, {id(p) for p in params.values()} | {id(hs[-1])}, f"t = {t}")
        hs.append(h)
        recurrent.append(wh)
    o = params["v"] * h
    error = o - y
    error.label, error.parents[1].label = "o - y", "-y"
    loss = error**2
    _scope_step(loss, {id(params["v"]), id(h)}, "output")
    o.label, loss.label = "o", "L"
    return {"loss": loss, "h": hs, "recurrent": recurrent, **params}


def _scope_step(out: Value, stop: set[int], scope: str) -> None:
    """Put the nodes made since ``stop`` (the step's inputs) in ``scope``."""
    stack = [out]
    while stack:
        v = stack.pop()
        if id(v) not in stop and not v.scope:
            v.scope = scope
            stack.extend(v.parents)


def gradients(w: float) -> dict[str, list[float]]:
    """|∂L/∂h_t| for t = 1..5 and each step's contribution to ∂L/∂w (which add up to w.grad)."""
    net = unroll(w=w)
    net["loss"].backward()
    share = [wh.grad * h_prev.data for wh, h_prev in zip(net["recurrent"], net["h"])]
    assert abs(sum(share) - net["w"].grad) <= 1e-12 * max(1.0, abs(net["w"].grad))
    return {"dL/dh": [abs(h.grad) for h in net["h"][1:]], "dL/dw share": share, "dL/dw": [net["w"].grad]}


def plot(results: dict[float, dict], path: pathlib.Path) -> pathlib.Path:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    steps = range(1, len(XS) + 1)
    for w, r in results.items():
        left.semilogy(steps, r["dL/dh"], "o-", label=f"w = {w}")
        right.plot(steps, r["dL/dw share"], "o-", label=f"w = {w} (sum {r['dL/dw'][0]:.3g})")
    left.set(
        title="|∂L/∂h_t|: the gradient reaching step t",
        xlabel="time step t",
        ylabel="|∂L/∂h_t|",
        xticks=list(steps),
    )
    right.axhline(0, color="gray", linewidth=0.8)
    right.set(
        title="step t's contribution to ∂L/∂w",
        xlabel="time step t",
        ylabel="∂L/∂a_t · h_(t-1)",
        xticks=list(steps),
    )
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("a scalar RNN over 5 steps, loss on the last output: backprop through time")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw(out: pathlib.Path) -> pathlib.Path:
    """The unrolled graph, backward view: steps 1 to 4 summarised, step 5 and the loss in full."""
    from microprop.viz import save

    out.mkdir(parents=True, exist_ok=True)
    early = [f"t = {t}" for t in range(1, len(XS))]
    return save(unroll()["loss"], out / "rnn_bptt_graph.png", view="backward", rankdir="TB", collapse=early)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    results = {w: gradients(w) for w in (0.5, 1.0, 2.0)}
    for w, r in results.items():
        print(f"w = {w}: |dL/dh_t| for t = 1..5: {', '.join(f'{g:.3g}' for g in r['dL/dh'])}")
    print(f"wrote {plot(results, args.out / 'rnn_bptt.png')}")
    print(f"wrote {draw(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
