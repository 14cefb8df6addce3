"""microprop against micrograd 0.1.0 and PyTorch, side by side in one process.

Workloads (issue 6):

1. one training step of micrograd's moons demo (MLP(2, [16, 16, 1]), 100 samples,
   max-margin loss + 1e-4 L2, backward, SGD), GC at its default and off;
2. a wide graph: the pairwise sum of tanh(a_i*b_i + c_i) for 100,000 i;
3. a deep chain x -> tanh(x*1.0001 + 0.0001), 300 to 1,000,000 steps;
4. bytes per node (tracemalloc) of the demo graph after forward and after backward;
5. the demo's whole 100-step training loop.

Issue 16 adds the batched replay (``microprop.batch``): one sample's loss graph traced
once and replayed over the 100 samples, each layer one matrix product. It is timed in
alternating rounds with the vectorized PyTorch MLP (workloads 1 and 5), so the two
see the same machine load; ``--json FILE`` writes the headline figures in seconds.

Every object a process holds is walked by each full pass of Python's cyclic GC, so
the order matters: the moons data are made by scikit-learn in a child process, the
pure-Python engines run first, then workload 1 runs again with scikit-learn imported
(as in micrograd's notebook), and torch is imported last. Ratios are against micrograd
measured in the same run, under the same conditions.

Run: .venv/bin/python benchmarks/bench.py [--quick] [--out docs/benchmarks.md] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gc
import itertools
import json
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
from micrograd.engine import Value as MgValue
from micrograd.nn import MLP as MgMLP

from microprop import Value as MpValue
from microprop.nn import MLP as MpMLP

SIZES = [2, 16, 16, 1]  # MLP(2, [16, 16, 1])
WIDE_N = 100_000
CHAIN_STEPS = (300, 1_000, 10_000, 100_000, 1_000_000)
MICROPROP, MICROGRAD = "microprop", "micrograd 0.1.0"
REPLAY, BATCH = "microprop replay, whole graph", "microprop batched replay"
#: the pure-Python engines: name -> (Value class, MLP class)
ENGINES = {MICROPROP: (MpValue, MpMLP), MICROGRAD: (MgValue, MgMLP)}
TORCH_SCALAR, TORCH_VECTOR = "torch scalar", "torch vectorized"
GC_OFF = " (GC off)"


@dataclass(frozen=True)
class Config:
    """How much to measure: full mode, or ``--quick`` (fewer repetitions and steps)."""

    quick: bool
    reps: int  # repetitions behind each median (workloads 2 and 3)
    steps: int  # timed steps per GC setting in workload 1 (after one warm-up step)
    loop_steps: int  # steps the scalar engines run in workload 5, scaled to 100
    chain_steps: tuple[int, ...]

    @classmethod
    def make(cls, quick: bool) -> Config:
        if quick:
            return cls(True, reps=2, steps=3, loop_steps=10, chain_steps=CHAIN_STEPS[:-1])
        return cls(False, reps=5, steps=5, loop_steps=100, chain_steps=CHAIN_STEPS)


@dataclass
class Demo:
    """The moons data set exactly as micrograd's demo notebook makes it."""

    X: np.ndarray
    y: np.ndarray

    @classmethod
    def make(cls) -> Demo:
        """Made in a child process, so scikit-learn's objects stay out of this one's heap."""
        code = (
            "import json, random, numpy as np; from sklearn.datasets import make_moons; "
            "random.seed(1337); np.random.seed(1337); X, y = make_moons(n_samples=100, noise=0.1); "
            "print(json.dumps([X.tolist(), (y * 2 - 1).tolist()]))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        X, y = json.loads(out.stdout)  # floats round-trip exactly through repr
        return cls(np.array(X), np.array(y))


def log(message: str) -> None:
    """Progress, on stderr so that stdout holds only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def gc_mode(enabled: bool) -> Iterator[None]:
    """Run the block with the cyclic GC on or off, starting from a collected heap."""
    gc.collect()
    if not enabled:
        gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


# --- micrograd helpers ------------------------------------------------------------------


def micrograd_tanh(self: MgValue) -> MgValue:
    """tanh for micrograd 0.1.0, which has none, in its own style (a closure per node)."""
    t = math.tanh(self.data)
    out = MgValue(t, (self,), "tanh")

    def _backward() -> None:
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


if not hasattr(MgValue, "tanh"):
    MgValue.tanh = micrograd_tanh


def count_micrograd_ops(root: MgValue) -> int:
    """Op nodes (non-leaves) in a micrograd graph, found without recursion."""
    seen, stack, ops = {root}, [root], 0
    while stack:
        node = stack.pop()
        ops += bool(node._prev)
        for parent in node._prev:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return ops


def count_microprop_ops(root: MpValue) -> int:
    return sum(1 for node in root.topo_order() if node.op is not None)


def load_trace() -> Callable[..., Any] | None:
    """``microprop.replay.trace`` if that module exists yet, else None."""
    try:
        from microprop.replay import trace
    except ImportError as error:
        log(f"microprop.replay not available ({error}); skipping the replay rows")
        return None
    return trace


# --- workload 1 and 5: micrograd's demo, the same code for every scalar engine ---------


def demo_loss(value: Callable[[float], Any], model: Any, demo: Demo) -> tuple[Any, list[Any]]:
    """micrograd's demo loss, as in its notebook; returns (total loss, scores)."""
    inputs = [list(map(value, xrow)) for xrow in demo.X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(demo.y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))  # noqa: UP034 (the notebook's)
    return data_loss + reg_loss, scores


def sgd(model: Any, k: int) -> None:
    """The demo's update, with its learning-rate schedule."""
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad


def train_step(value: Callable[[float], Any], model: Any, demo: Demo, k: int) -> float:
    """One step of the demo loop; returns the loss before the update."""
    total, _ = demo_loss(value, model, demo)
    model.zero_grad()
    total.backward()
    sgd(model, k)
    return float(total.data)


def fresh_model(make: Callable[..., Any]) -> Any:
    """The demo's model: random.seed(1337), then MLP(2, [16, 16, 1])."""
    random.seed(1337)
    return make(SIZES[0], SIZES[1:])


def time_steps(step: Callable[[int], Any], steps: int, gc_enabled: bool) -> float:
    """Median seconds of ``step(k)`` for k = 1..steps, after a warm-up step k = 0."""
    times = []
    with gc_mode(gc_enabled):
        for k in range(steps + 1):
            start = time.perf_counter()
            step(k)
            times.append(time.perf_counter() - start)
    return median(times[1:])


def bench_demo_step(value: Callable[[float], Any], make: Callable[..., Any], demo: Demo, cfg: Config) -> dict:
    """Workload 1 for a scalar engine: median step time with GC on and off."""
    result = {}
    for gc_enabled in (True, False):
        model = fresh_model(make)
        step = functools.partial(train_step, value, model, demo)
        result["gc" if gc_enabled else "nogc"] = time_steps(step, cfg.steps, gc_enabled)
    return result


def bench_replay_step(trace: Callable[..., Any], demo: Demo, cfg: Config) -> dict:
    """Workload 1 replayed: build the graph once, trace it, then time replayed steps."""
    model = fresh_model(MpMLP)
    total, scores = demo_loss(MpValue, model, demo)
    start = time.perf_counter()
    tape = trace(total, watch=scores)
    result: dict[str, Any] = {"trace": time.perf_counter() - start}
    result["grad_error"] = replay_grad_error(tape, total, model)

    def step(k: int) -> None:
        tape.forward()
        model.zero_grad()
        tape.backward()
        sgd(model, k)

    for gc_enabled in (True, False):
        result["gc" if gc_enabled else "nogc"] = time_steps(step, cfg.steps, gc_enabled)
    return result


def replay_grad_error(tape: Any, total: MpValue, model: Any) -> float:
    """Largest relative difference between replayed and scalar-engine parameter grads."""
    model.zero_grad()
    total.backward()
    expected = [p.grad for p in model.parameters()]
    model.zero_grad()
    tape.forward()
    tape.backward()
    got = [p.grad for p in model.parameters()]
    model.zero_grad()
    return max(abs(g - e) / abs(e) if e else abs(g) for g, e in zip(got, expected))


def train_loop(value: Callable[[float], Any], make: Callable[..., Any], demo: Demo, steps: int) -> dict:
    """Workload 5 for a scalar engine: seconds for ``steps`` steps of the demo loop."""
    model = fresh_model(make)
    gc.collect()
    start = time.perf_counter()
    losses = [train_step(value, model, demo, k) for k in range(steps)]
    return {"seconds": time.perf_counter() - start, "steps": steps, "losses": losses}


def replay_loop(trace: Callable[..., Any], demo: Demo, steps: int) -> dict:
    """Workload 5 replayed: build and trace the graph once (timed), then replay every step."""
    model = fresh_model(MpMLP)
    gc.collect()
    start = time.perf_counter()
    total, scores = demo_loss(MpValue, model, demo)
    tape = trace(total, watch=scores)
    losses = []
    for k in range(steps):
        losses.append(float(tape.forward()))
        model.zero_grad()
        tape.backward()
        sgd(model, k)
    return {"seconds": time.perf_counter() - start, "steps": steps, "losses": losses}


def batched_tape(model: Any) -> tuple[Any, list[Any]]:
    """The demo's loss for ONE sample (placeholder inputs), traced for batches; (tape, parameters)."""
    from microprop.batch import trace_batch

    params = model.parameters()
    x, yi = [MpValue(0.0), MpValue(0.0)], MpValue(0.0)
    loss = (1 + -yi * model(x)).relu()
    reg_loss = 1e-4 * sum((p * p for p in params))  # noqa: UP034 (the notebook's)
    return trace_batch(loss, [x, yi], penalty=reg_loss), params


def batched_step(tape: Any, params: list[Any], demo: Demo, k: int) -> float:
    """One demo step replayed over the batch: forward, zero_grad, backward, SGD; the loss."""
    loss = tape.forward(demo.X, demo.y)
    for p in params:
        p.grad = 0.0
    tape.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in params:
        p.data -= learning_rate * p.grad
    return loss


def batched_grad_error(demo: Demo) -> tuple[float, float]:
    """Largest difference of the batched replay's parameter grads from Value.backward()'s:
    relative to each grad, and relative to the largest grad."""
    model = fresh_model(MpMLP)
    total, _ = demo_loss(MpValue, model, demo)
    total.backward()
    expected = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    tape, params = batched_tape(model)
    tape.forward(demo.X, demo.y)
    tape.backward()
    got = np.array([p.grad for p in params])
    diff = np.abs(got - expected)
    relative = np.divide(diff, np.abs(expected), out=diff.copy(), where=expected != 0)  # 0 grads: absolute
    return float(np.max(relative)), float(np.max(diff) / np.max(np.abs(expected)))


def batched_loop(demo: Demo, steps: int) -> dict:
    """Workload 5 batched: build one sample's graph, trace it and train, all timed."""
    model = fresh_model(MpMLP)
    gc.collect()
    start = time.perf_counter()
    tape, params = batched_tape(model)
    losses = [batched_step(tape, params, demo, k) for k in range(steps)]
    return {"seconds": time.perf_counter() - start, "steps": steps, "losses": losses}


def bench_batched(demo: Demo, cfg: Config, results: Results, torch: Any | None = None) -> None:
    """Workloads 1 and 5 for the batched replay and, given torch, the vectorized MLP, in
    alternating rounds (each round: the batched steps, then torch's), medians over rounds."""
    rounds = cfg.reps
    batched_tape(fresh_model(MpMLP))  # the first trace imports microprop.batch: not timed
    model = fresh_model(MpMLP)
    start = time.perf_counter()
    tape, params = batched_tape(model)
    trace_seconds = time.perf_counter() - start
    engines: dict[str, Callable[[int], Any]] = {BATCH: functools.partial(batched_step, tape, params, demo)}
    if torch is not None:
        weights = demo_weights()
        X, y = (torch.tensor(a, dtype=torch.float64) for a in (demo.X, demo.y))
        engines[TORCH_VECTOR] = functools.partial(TorchVectorMLP(torch, weights).step, X, y)
    steps: dict[str, dict[str, list[float]]] = {name: {"gc": [], "nogc": []} for name in engines}
    for gc_enabled in (True, False):
        for _ in range(rounds):
            for name, step in engines.items():
                steps[name]["gc" if gc_enabled else "nogc"].append(
                    time_steps(step, cfg.steps * 4, gc_enabled)
                )
    for name, times in steps.items():
        results.step[name] = {mode: median(t) for mode, t in times.items()}
    results.step[BATCH]["trace"] = trace_seconds
    results.step[BATCH]["grad_error"], results.step[BATCH]["grad_error_max"] = batched_grad_error(demo)
    loops: dict[str, list[dict]] = {name: [] for name in engines}
    for _ in range(rounds):
        loops[BATCH].append(batched_loop(demo, 100))
        if torch is not None:
            loops[TORCH_VECTOR].append(torch_loop(torch, weights, X, y))
    for name, runs in loops.items():
        runs.sort(key=lambda r: r["seconds"])
        results.loop[name] = dict(runs[(len(runs) - 1) // 2], reps=rounds)


def median_run(run: Callable[[], dict], reps: int) -> dict:
    """The run with the median time out of ``reps`` (for the loops that take well under a second)."""
    runs = sorted((run() for _ in range(reps)), key=lambda r: r["seconds"])
    chosen = dict(runs[(len(runs) - 1) // 2])
    chosen["reps"] = reps
    return chosen


# --- workload 2: the wide graph ---------------------------------------------------------


def pairwise_sum(values: list[Any]) -> Any:
    """Sum as a balanced tree of adds (depth log2 n), not an n-long chain."""
    while len(values) > 1:
        pairs = [values[i] + values[i + 1] for i in range(0, len(values) - 1, 2)]
        if len(values) % 2:
            pairs.append(values[-1])
        values = pairs
    return values[0]


def wide_inputs(n: int) -> list[tuple[float, float, float]]:
    rng = random.Random(0)
    return [(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n)]


def wide_forward(leaves: list[tuple[Any, Any, Any]]) -> Any:
    return pairwise_sum([(a * b + c).tanh() for a, b, c in leaves])


def bench_wide(leaf: Callable[[float], Any], inputs: list, cfg: Config, gc_enabled: bool = True) -> dict:
    """Workload 2 for a scalar engine: median forward and backward seconds."""
    forward, backward = [], []
    with gc_mode(gc_enabled):
        for _ in range(cfg.reps):
            leaves = [(leaf(a), leaf(b), leaf(c)) for a, b, c in inputs]
            gc.collect()  # collects even while the GC is disabled
            start = time.perf_counter()
            root = wide_forward(leaves)
            middle = time.perf_counter()
            root.backward()
            end = time.perf_counter()
            forward.append(middle - start)
            backward.append(end - middle)
            del root, leaves
    return {"forward": median(forward), "backward": median(backward)}


# --- workload 3: the deep chain ---------------------------------------------------------


def chain(x: Any, steps: int) -> Any:
    for _ in range(steps):
        x = (x * 1.0001 + 0.0001).tanh()
    return x


def bench_chain(leaf: Callable[[float], Any], cfg: Config, gc_enabled: bool = True) -> dict[int, float | str]:
    """Workload 3 for one engine: median forward+backward seconds per chain length.

    After a RecursionError the longer chains are reported as failing, not tried.
    """
    result: dict[int, float | str] = {}
    for steps in cfg.chain_steps:
        if any(isinstance(r, str) for r in result.values()):
            result[steps] = "fails (RecursionError)"
            continue
        times = []
        with gc_mode(gc_enabled):
            for _ in range(cfg.reps if steps < 1_000_000 else 1):
                gc.collect()
                start = time.perf_counter()
                try:
                    chain(leaf(0.5), steps).backward()
                except RecursionError:
                    result[steps] = "fails (RecursionError)"
                    break
                times.append(time.perf_counter() - start)
        if steps not in result:
            result[steps] = median(times)
    return result


# --- workload 4: memory -----------------------------------------------------------------


def bench_memory(
    value: Callable[[float], Any], make: Callable[..., Any], demo: Demo, count: Callable
) -> dict:
    """Bytes of the demo graph held after forward and after backward, and the peak."""
    model = fresh_model(make)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    total, _ = demo_loss(value, model, demo)
    after_forward = tracemalloc.get_traced_memory()[0] - base
    model.zero_grad()
    total.backward()
    after_backward, peak = (m - base for m in tracemalloc.get_traced_memory())
    tracemalloc.stop()
    ops = count(total)
    return {"ops": ops, "forward": after_forward / ops, "backward": after_backward / ops, "peak": peak / ops}


# --- workload 1 in a bigger heap ---------------------------------------------------------


def with_sklearn(demo: Demo, cfg: Config, results: Results) -> None:
    """Workload 1 again, GC on, after importing scikit-learn as micrograd's notebook does."""
    before = len(gc.get_objects())
    import sklearn.datasets  # noqa: F401

    added = len(gc.get_objects()) - before
    results.sklearn_note = f"importing scikit-learn added {added:,} objects tracked by the GC"
    for name, (value, make) in ENGINES.items():
        log(f"workload 1: {name}, scikit-learn imported")
        model = fresh_model(make)
        step = functools.partial(train_step, value, model, demo)
        results.step_sklearn[name] = time_steps(step, cfg.steps, gc_enabled=True)


# --- PyTorch ----------------------------------------------------------------------------


def import_torch(results: Results) -> Any | None:
    """Import torch (late, see the module docstring); None if it is not importable."""
    before = len(gc.get_objects())
    start = time.perf_counter()
    try:
        import torch
    except ImportError as error:
        log(f"torch not importable ({error}); skipping the torch rows")
        return None
    added = len(gc.get_objects()) - before
    log(f"imported torch {torch.__version__} in {time.perf_counter() - start:.1f} s (+{added:,} GC objects)")
    results.torch_note = f"its import added {added:,} objects tracked by the GC"
    return torch


class TorchScalarMLP:
    """micrograd's MLP with 0-d float64 tensors as its scalars, one op per node.

    Weights are copied from a microprop MLP so every engine starts from the same numbers.
    """

    def __init__(self, torch: Any, weights: Sequence[float]) -> None:
        params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
        self.params = params
        self.layers: list[list[tuple[list[Any], Any]]] = []
        i = 0
        for nin, nout in itertools.pairwise(SIZES):
            layer = []
            for _ in range(nout):
                layer.append((params[i : i + nin], params[i + nin]))
                i += nin + 1
            self.layers.append(layer)

    def __call__(self, x: list[Any]) -> Any:
        for depth, layer in enumerate(self.layers):
            last = depth == len(self.layers) - 1
            acts = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in layer]
            x = acts if last else [a.relu() for a in acts]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Any]:
        return self.params

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


def demo_weights() -> list[float]:
    """The demo model's initial parameters, in micrograd's order."""
    return [p.data for p in fresh_model(MpMLP).parameters()]


def torch_scalar(torch: Any) -> tuple[Callable[[float], Any], Callable[[float], Any]]:
    """Constructors of a 0-d float64 tensor: a constant, and a leaf that needs a grad."""

    def constant(x: float) -> Any:
        return torch.tensor(float(x), dtype=torch.float64)

    def leaf(x: float) -> Any:
        return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)

    return constant, leaf


class TorchVectorMLP:
    """The demo's MLP as matrices: relu(relu(X W1 + b1) W2 + b2) W3 + b3, float64."""

    def __init__(self, torch: Any, weights: Sequence[float]) -> None:
        self.torch = torch
        self.params: list[Any] = []
        i = 0
        for nin, nout in itertools.pairwise(SIZES):
            block = np.array(weights[i : i + nout * (nin + 1)]).reshape(nout, nin + 1)
            i += nout * (nin + 1)
            for array in (block[:, :nin].T, block[:, nin]):  # W is (nin, nout)
                self.params.append(torch.tensor(array.copy(), dtype=torch.float64, requires_grad=True))

    def loss(self, X: Any, y: Any) -> Any:
        h = X
        for i in range(0, len(self.params), 2):
            h = h @ self.params[i] + self.params[i + 1]
            if i < len(self.params) - 2:
                h = h.relu()
        data_loss = (1 - y * h[:, 0]).relu().mean()
        reg_loss = 1e-4 * sum((p * p).sum() for p in self.params)
        return data_loss + reg_loss

    def step(self, X: Any, y: Any, k: int) -> float:
        total = self.loss(X, y)
        for p in self.params:
            p.grad = None
        total.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        with self.torch.no_grad():
            for p in self.params:
                p -= learning_rate * p.grad
        return float(total.detach())


def bench_torch(torch: Any, demo: Demo, inputs: list, cfg: Config, results: Results) -> None:
    """Every torch workload: scalar (op by op, like the scalar engines) and vectorized."""
    constant, leaf = torch_scalar(torch)
    weights = demo_weights()
    log("workload 1: torch scalar")
    make_scalar = lambda nin, nouts: TorchScalarMLP(torch, weights)
    results.step[TORCH_SCALAR] = bench_demo_step(constant, make_scalar, demo, cfg)
    log("workloads 1 and 5: microprop batched replay and torch vectorized, in alternating rounds")
    bench_batched(demo, cfg, results, torch)
    log("workload 2: torch scalar, torch vectorized")
    results.wide[TORCH_SCALAR] = bench_wide(leaf, inputs, cfg)
    results.wide[TORCH_VECTOR] = bench_torch_wide(torch, inputs, cfg)
    log("workload 3: torch scalar")
    results.chain[TORCH_SCALAR] = bench_chain(leaf, cfg)


def torch_loop(torch: Any, weights: Sequence[float], X: Any, y: Any) -> dict:
    """Workload 5 vectorized: 100 steps from the demo's initial weights."""
    model = TorchVectorMLP(torch, weights)
    gc.collect()
    start = time.perf_counter()
    losses = [model.step(X, y, k) for k in range(100)]
    return {"seconds": time.perf_counter() - start, "steps": 100, "losses": losses}


def bench_torch_wide(torch: Any, inputs: list, cfg: Config) -> dict:
    """Workload 2 vectorized: tanh(a*b + c).sum() over 100,000-element tensors."""
    columns = np.array(inputs).T
    forward, backward = [], []
    for _ in range(cfg.reps * 4):
        a, b, c = (torch.tensor(col, dtype=torch.float64, requires_grad=True) for col in columns)
        start = time.perf_counter()
        root = (a * b + c).tanh().sum()
        middle = time.perf_counter()
        root.backward()
        end = time.perf_counter()
        forward.append(middle - start)
        backward.append(end - middle)
    return {"forward": median(forward), "backward": median(backward)}


# --- running it all ---------------------------------------------------------------------


@dataclass
class Results:
    """Every figure, by workload then engine."""

    step: dict[str, dict] = field(default_factory=dict)
    step_sklearn: dict[str, float] = field(default_factory=dict)  # workload 1, GC on, scikit-learn imported
    wide: dict[str, dict] = field(default_factory=dict)
    chain: dict[str, dict] = field(default_factory=dict)
    memory: dict[str, dict] = field(default_factory=dict)
    loop: dict[str, dict] = field(default_factory=dict)
    ops: dict[str, int] = field(default_factory=dict)
    torch_note: str = "torch not importable"
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-minute load average at the start
    notes: list[str] = field(default_factory=list)
    sklearn_note: str = ""


def run_pure_python(demo: Demo, inputs: list, cfg: Config, results: Results) -> None:
    """Every workload for microprop, micrograd and the replay, before torch is imported."""
    trace = load_trace()
    results.ops[MICROPROP] = count_microprop_ops(demo_loss(MpValue, fresh_model(MpMLP), demo)[0])
    results.ops[MICROGRAD] = count_micrograd_ops(demo_loss(MgValue, fresh_model(MgMLP), demo)[0])
    for name, (value, make) in ENGINES.items():
        log(f"workload 1: {name}")
        results.step[name] = bench_demo_step(value, make, demo, cfg)
    if trace is not None:
        log("workload 1: microprop replay")
        results.step[REPLAY] = bench_replay_step(trace, demo, cfg)
    for gc_enabled in (True, False):
        for name, (value, _) in ENGINES.items():
            log(f"workload 2: {name}{'' if gc_enabled else GC_OFF}")
            results.wide[name + ("" if gc_enabled else GC_OFF)] = bench_wide(value, inputs, cfg, gc_enabled)
    for name, (value, _) in ENGINES.items():
        log(f"workload 3: {name}")
        results.chain[name] = bench_chain(value, cfg)
    log("workload 3: microprop, GC off")
    results.chain[MICROPROP + GC_OFF] = bench_chain(MpValue, cfg, gc_enabled=False)
    for name, (value, make) in ENGINES.items():
        log(f"workload 4: {name}")
        count = count_microprop_ops if name == MICROPROP else count_micrograd_ops
        results.memory[name] = bench_memory(value, make, demo, count)
    for name, (value, make) in ENGINES.items():
        log(f"workload 5: {name}, {cfg.loop_steps} steps")
        results.loop[name] = train_loop(value, make, demo, cfg.loop_steps)
    if trace is not None:
        log("workload 5: microprop replay")
        results.loop[REPLAY] = median_run(lambda: replay_loop(trace, demo, 100), cfg.reps)
    else:
        results.notes.append("microprop replay: skipped, `microprop.replay` is not importable yet.")


# --- formatting -------------------------------------------------------------------------


@dataclass
class Table:
    """A titled table that prints as aligned text or as Markdown."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        widths = [max(len(r[i]) for r in [self.headers, *self.rows]) for i in range(len(self.headers))]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
        body = [line(self.headers), line(["-" * w for w in widths]), *map(line, self.rows)]
        return "\n".join([self.title, *body, *(f"  * {n}" for n in self.notes)])

    def markdown(self) -> str:
        row = lambda cells: "| " + " | ".join(cells) + " |"
        body = [row(self.headers), row(["---"] * len(self.headers)), *map(row, self.rows)]
        return "\n".join([f"### {self.title}", "", *body, "", *(f"- {n}" for n in self.notes)])


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_ns(seconds: float) -> str:
    return f"{seconds * 1e9:,.0f} ns"


def ratio(ours: float | str, micrograd: float | str) -> str:
    """'12.3x faster' when ours is smaller than micrograd's, else '1.5x slower'."""
    if not isinstance(ours, float) or not isinstance(micrograd, float) or ours <= 0:
        return "—"
    r = micrograd / ours
    if r >= 1:
        return f"{r:.1f}x faster"
    return f"{1 / r:.1f}x slower"


def versus(name: str, ours: float, reference: float) -> str:
    """The ratio column: 'reference' on micrograd's own rows."""
    return "reference" if name.startswith(MICROGRAD) else ratio(ours, reference)


def step_table(results: Results) -> Table:
    mg = results.step[MICROGRAD]
    rows = []
    for name, r in results.step.items():
        row = [
            name,
            fmt_time(r["gc"]),
            versus(name, r["gc"], mg["gc"]),
            fmt_time(r["nogc"]),
            versus(name, r["nogc"], mg["nogc"]),
        ]
        rows.append(row)
    for name, seconds in results.step_sklearn.items():
        reference = results.step_sklearn.get(MICROGRAD, math.nan)
        rows.append(
            [f"{name}, scikit-learn imported", fmt_time(seconds), versus(name, seconds, reference), "", ""]
        )
    ops = results.ops
    notes = [
        f"op nodes per step: {ops[MICROPROP]:,} (microprop), {ops[MICROGRAD]:,} (micrograd).",
        (
            "A step is the demo's forward (building the graph), zero_grad, backward and SGD update;"
            " median over the timed steps after one warm-up step."
        ),
        (
            "GC off: the demo loop under gc.disable(), re-enabled and collected afterwards"
            " (micrograd's cyclic garbage is then never freed inside the timed steps)."
        ),
    ]
    if REPLAY in results.step:
        r = results.step[REPLAY]
        notes.append(
            f"replay: the graph is built once and traced once ({fmt_time(r['trace'])}); a step is"
            f" tape.forward(), zero_grad, tape.backward() and the SGD update. Largest relative"
            f" difference of its parameter grads from Value.backward(): {r['grad_error']:.1e}."
        )
    if BATCH in results.step:
        r = results.step[BATCH]
        notes.append(
            f"batched replay: ONE sample's loss graph is built and traced for batches ({fmt_time(r['trace'])});"
            " a step is tape.forward(X, y) over the 100 samples (each layer one matrix product),"
            " zero_grad, tape.backward() and the SGD update. Its parameter grads differ from"
            f" Value.backward()'s by at most {r['grad_error']:.1e} of each grad ({r['grad_error_max']:.1e}"
            " of the largest): BLAS adds the matrix products, and numpy the sums over the batch, in"
            " their own order. Timed in alternating"
            " rounds with torch vectorized (median of the rounds' medians)."
        )
    if TORCH_SCALAR in results.step:
        notes.append("torch scalar: the same graph op by op, every scalar a 0-d float64 tensor.")
    return Table(
        "1. micrograd demo: one training step",
        ["engine", "GC on", "vs micrograd", "GC off", "vs micrograd (GC off)"],
        rows,
        notes,
    )


def wide_table(results: Results) -> Table:
    ops = 4 * WIDE_N - 1  # mul, add, tanh per i, and n - 1 adds
    rows = []
    for name, r in results.wide.items():
        f, b = r["forward"], r["backward"]
        mg = results.wide[MICROGRAD + (GC_OFF if name.endswith(GC_OFF) else "")]
        rows.append(
            [
                name,
                fmt_time(f),
                fmt_ns(f / ops),
                versus(name, f, mg["forward"]),
                fmt_time(b),
                fmt_ns(b / ops),
                versus(name, b, mg["backward"]),
            ]
        )
    notes = [
        (
            f"sum over {WIDE_N:,} i of tanh(a_i*b_i + c_i), summed pairwise: {ops:,} op nodes;"
            " leaves made before the timer starts; per node = time / op nodes. GC at its default unless"
            " marked GC off (then compared with micrograd with its GC off)."
        ),
        "micrograd 0.1.0 has no tanh: it gets one in its own style (a closure per node, 1 - t**2).",
    ]
    if TORCH_VECTOR in results.wide:
        notes.append("torch vectorized: tanh(a*b + c).sum() on 100,000-element float64 tensors.")
    headers = ["engine", "forward", "per node", "vs micrograd", "backward", "per node", "vs micrograd"]
    return Table("2. wide graph", headers, rows, notes)


def chain_table(results: Results, cfg: Config) -> Table:
    engines = list(results.chain)
    headers = ["steps", "op nodes"]
    for name in engines:
        headers += [name, "per node"]
    headers.append("microprop vs micrograd")
    rows = []
    for steps in cfg.chain_steps:
        ops = 3 * steps
        row = [f"{steps:,}", f"{ops:,}"]
        for name in engines:
            t = results.chain[name][steps]
            row += [t, ""] if isinstance(t, str) else [fmt_time(t), fmt_ns(t / ops)]
        row.append(ratio(results.chain[MICROPROP][steps], results.chain[MICROGRAD][steps]))
        rows.append(row)
    notes = [
        (
            "forward + backward of x -> tanh(x*1.0001 + 0.0001), GC at its default unless marked GC off;"
            " the 1,000,000-step chain runs once; the ratio column compares with GC on."
        ),
        (
            f"micrograd's backward is recursive: with the default recursion limit ({sys.getrecursionlimit()})"
            " it fails past ~330 steps; longer chains are not tried once one has failed."
        ),
    ]
    if cfg.quick:
        notes.append("--quick: the 1,000,000-step chain is left out.")
    return Table("3. deep chain", headers, rows, notes)


def memory_table(results: Results) -> Table:
    mg = results.memory[MICROGRAD]
    rows = []
    for name, r in results.memory.items():
        share = f"{r['forward'] / mg['forward']:.2f}x micrograd's"
        rows.append(
            [name, f"{r['ops']:,}", f"{r['forward']:.0f}", f"{r['backward']:.0f}", f"{r['peak']:.0f}", share]
        )
    notes = [
        (
            "tracemalloc: bytes allocated by building the demo's loss graph and still held, divided by"
            " its op nodes (the input and constant leaves it creates are in the bytes); peak is over"
            " forward and backward."
        ),
    ]
    headers = [
        "engine",
        "op nodes",
        "B/node after forward",
        "B/node after backward",
        "B/node peak",
        "after forward",
    ]
    return Table("4. memory of the demo graph", headers, rows, notes)


def loop_table(results: Results, cfg: Config) -> Table:
    mg = results.loop[MICROGRAD]
    per_100 = {name: r["seconds"] * 100 / r["steps"] for name, r in results.loop.items()}
    rows = []
    for name, r in results.loop.items():
        rows.append(
            [
                name,
                steps_run(r),
                fmt_time(per_100[name]),
                versus(name, per_100[name], per_100[MICROGRAD]),
                f"{r['losses'][-1]:.12g}",
            ]
        )
    notes = [
        (
            "micrograd's demo loop, 100 steps, GC at its default; replay and batched replay: building and"
            " tracing the graph once is included in their time (batched: one sample's graph); batched and"
            " torch vectorized ran in alternating rounds."
        )
    ]
    if cfg.quick:
        notes.append(
            f"--quick: microprop and micrograd ran {cfg.loop_steps} steps and their time is scaled"
            f" to 100 (an estimate); their final loss is the loss at step {cfg.loop_steps - 1}."
        )
    notes += loss_checks(results, mg["steps"])
    headers = ["engine", "steps run", "100 steps", "vs micrograd", "final loss"]
    return Table("5. the demo's 100-step training loop", headers, rows, notes)


def steps_run(run: dict) -> str:
    """'10 (time x10)', or '100 (median of 5 runs)'."""
    if run["steps"] != 100:
        return f"{run['steps']} (time x{100 / run['steps']:g})"
    return f"100 (median of {run['reps']} runs)" if "reps" in run else "100"


def loss_checks(results: Results, steps: int) -> list[str]:
    """Do the engines train the same model? Compare losses at the last common step."""
    reference = results.loop[MICROPROP]["losses"][steps - 1]
    checks = []
    for name in (MICROGRAD, REPLAY, BATCH, TORCH_VECTOR):
        if name in results.loop:
            other = results.loop[name]["losses"][steps - 1]
            rel = abs(other - reference) / abs(reference)
            verdict = "matches" if rel <= 1e-9 else "DIFFERS from"
            checks.append(
                f"loss at step {steps - 1}: {name} {verdict} microprop's (relative difference {rel:.1e})."
            )
    return checks


def targets(results: Results) -> Table:
    """The issue's targets, each with its measured figure."""
    step, wide, mem, loop = results.step, results.wide, results.memory, results.loop
    rows = [
        target_row("demo step vs micrograd, GC on", step[MICROGRAD]["gc"] / step[MICROPROP]["gc"], 10),
        target_row(
            "demo step vs micrograd with GC off", step[MICROGRAD]["nogc"] / step[MICROPROP]["gc"], 1.3
        ),
    ]
    if results.step_sklearn:
        loaded = results.step_sklearn
        rows += [
            target_row(
                "same, scikit-learn imported: vs micrograd, GC on", loaded[MICROGRAD] / loaded[MICROPROP], 10
            ),
            target_row(
                "same, scikit-learn imported: vs micrograd with GC off",
                step[MICROGRAD]["nogc"] / loaded[MICROPROP],
                1.3,
            ),
        ]
    rows += [
        target_row(
            "wide backward vs micrograd", wide[MICROGRAD]["backward"] / wide[MICROPROP]["backward"], 1.5
        ),
        target_row(
            "bytes/node: micrograd's / microprop's", mem[MICROGRAD]["forward"] / mem[MICROPROP]["forward"], 4
        ),
    ]
    for name in (MICROPROP, MICROPROP + GC_OFF):
        spread = chain_spread(results.chain[name])
        verdict = "met" if spread <= 1.5 else "NOT met"
        rows.append([f"chain per node, slowest / fastest, {name}", f"{spread:.2f}", "flat (~1)", verdict])
    if REPLAY in loop:
        per_100 = lambda name: loop[name]["seconds"] * 100 / loop[name]["steps"]
        rows.append(
            target_row("100-step loop: replay vs micrograd", per_100(MICROGRAD) / per_100(REPLAY), 200)
        )
        if TORCH_VECTOR in loop:
            r = per_100(TORCH_VECTOR) / per_100(REPLAY)
            rows.append(target_row("100-step loop: replay vs torch vectorized", r, 1))
    if BATCH in step and TORCH_VECTOR in step:
        rows.append(
            target_row(
                "demo step: batched replay vs torch vectorized",
                step[TORCH_VECTOR]["gc"] / step[BATCH]["gc"],
                1,
            )
        )
    if BATCH in loop and TORCH_VECTOR in loop:
        rows.append(
            target_row(
                "100-step loop end to end: batched replay vs torch vectorized",
                loop[TORCH_VECTOR]["seconds"] / loop[BATCH]["seconds"],
                1,
            )
        )
    notes = [
        "microprop's figures are at its default GC; micrograd's as named.",
        "measured is the speed ratio (how many times faster); the last two rows are issue 16's.",
    ]
    return Table("Targets (issues 6 and 16)", ["target", "measured", "wanted", "verdict"], rows, notes)


def chain_spread(times: dict[int, float | str]) -> float:
    """Slowest over fastest time per node across the chains of 1,000 steps and more."""
    per_node = [t / (3 * steps) for steps, t in times.items() if isinstance(t, float) and steps >= 1000]
    return max(per_node) / min(per_node)


def target_row(name: str, measured: float, wanted: float) -> list[str]:
    shown = f"{measured:.2f}x" if measured < 10 else f"{measured:.1f}x"
    return [name, shown, f">= {wanted:g}x", "met" if measured >= wanted else "NOT met"]


# --- the report -------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def header(cfg: Config, torch: Any | None, results: Results, load: tuple[float, float]) -> list[str]:
    """Date, machine, versions and the exact command."""
    torch_text = f"{version('torch')}" + (
        f", {torch.get_num_threads()} threads" if torch else " (not imported)"
    )
    return [
        f"Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}",
        (
            f"Python {platform.python_version()}; numpy {np.__version__}; torch {torch_text};"
            f" micrograd {version('micrograd')}; microprop {version('microprop')};"
            f" scikit-learn {version('scikit-learn')}"
        ),
        f"Command: `{shlex.join(sys.orig_argv)}`"
        + (" (quick mode: fewer repetitions and steps)" if cfg.quick else ""),
        (
            f"Load average (1 min) {load[0]:.2f} at the start, {load[1]:.2f} at the end: other processes"
            " running on the machine add noise, mostly to the fastest rows."
        ),
        (
            "Order: the moons data were made by scikit-learn in a child process; microprop, micrograd and"
            " the replay ran every workload in this process's small heap; then workload 1 ran again with"
            f" scikit-learn imported ({results.sklearn_note}); torch was imported last"
            f" ({results.torch_note}). Every full pass of Python's cyclic GC walks every object the"
            " process holds, so a bigger heap makes both pure-Python engines slower with the GC on."
        ),
    ]


def figures(results: Results) -> dict[str, Any]:
    """The headline figures in seconds (GC on), for ``--json``; None where not measured."""
    step = lambda name: results.step[name]["gc"] if name in results.step else None
    loop = lambda name: (
        results.loop[name]["seconds"] * 100 / results.loop[name]["steps"] if name in results.loop else None
    )
    return {
        "scalar_step": step(MICROPROP),
        "micrograd_step": step(MICROGRAD),
        "replay_step": step(BATCH),
        "torch_vector_step": step(TORCH_VECTOR),
        "replay_100_total": loop(BATCH),
        "torch_vector_100_total": loop(TORCH_VECTOR),
        "whole_graph_replay_step": step(REPLAY),
        "whole_graph_replay_100_total": loop(REPLAY),
        "scalar_100_total": loop(MICROPROP),
        "micrograd_100_total": loop(MICROGRAD),
        "batched_trace": results.step[BATCH]["trace"] if BATCH in results.step else None,
        "load_average_start": results.load,
        "load_average_end": os.getloadavg()[0],
    }


def report(results: Results, cfg: Config, torch: Any | None) -> tuple[str, str]:
    """The report as text and as Markdown."""
    tables = [
        step_table(results),
        wide_table(results),
        chain_table(results, cfg),
        memory_table(results),
        loop_table(results, cfg),
        targets(results),
    ]
    head = header(cfg, torch, results, (results.load, os.getloadavg()[0]))
    extra = results.notes
    text = "\n\n".join(["\n".join(head), *(t.text() for t in tables), *extra])
    md_head = ["# Benchmarks", "", *(f"- {line}" for line in head), "", *(f"> {n}" for n in extra)]
    markdown = "\n\n".join(["\n".join(md_head), *(t.markdown() for t in tables)]) + "\n"
    return text, markdown


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions and steps (about two minutes)"
    )
    parser.add_argument(
        "--out", type=Path, help="also write the figures as Markdown here (docs/benchmarks.md)"
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the headline figures (seconds) as JSON"
    )
    args = parser.parse_args(argv)
    cfg = Config.make(args.quick)
    demo, inputs = Demo.make(), wide_inputs(WIDE_N)
    results = Results()
    run_pure_python(demo, inputs, cfg, results)
    with_sklearn(demo, cfg, results)
    torch = import_torch(results)
    if torch is not None:
        bench_torch(torch, demo, inputs, cfg, results)
    else:
        log("workloads 1 and 5: microprop batched replay")
        bench_batched(demo, cfg, results)
    text, markdown = report(results, cfg, torch)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(figures(results), indent=1) + "\n")
        log(f"wrote {args.json}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(markdown)
        log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
