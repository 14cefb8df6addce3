"""The demo step's ``backward()`` before and after a change, measured in one run.

Checks out the ``--before`` revision (default: the last commit before the op-table
refactor of issue 12) into a temporary directory with ``git archive``, then times, in
alternating child processes (so both see the same machine load), one training step
of micrograd's moons demo: MLP(2, [16, 16, 1]) on 100 points, max-margin loss + 1e-4
L2 (~65,000 nodes). Each child reports the median of its repetitions, in CPU time of
the process (the machine is shared: wall time counts other processes' turns), for
the forward (graph building) and for ``backward()``; the table gives the medians over
rounds and the median of the per-round ratios after / before.

Run: .venv/bin/python benchmarks/table_refactor.py [--rounds 7] [--before REV] [--out docs/table_refactor.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "d513d7b"  # main just before issue 12's op-table refactor landed (with issue 11's engine changes)

CHILD = r"""
import gc, json, math, random, sys, time
from microprop import Value
from microprop.nn import MLP

reps = int(sys.argv[1])
rng = random.Random(0)
X = [(rng.uniform(-1.5, 2.5), rng.uniform(-1, 1.5)) for _ in range(100)]
y = [1 if x0 * x0 + x1 > 0.5 else -1 for x0, x1 in X]
model = MLP(2, [16, 16, 1], rng=1337) if "rng" in MLP.__init__.__code__.co_varnames else MLP(2, [16, 16, 1])

def forward():
    scores = [model([Value(a), Value(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters())

fwd, bwd = [], []
for _ in range(reps):
    gc.collect()
    t0 = time.process_time()
    loss = forward()
    t1 = time.process_time()
    loss.backward()
    t2 = time.process_time()
    fwd.append(t1 - t0)
    bwd.append(t2 - t1)
    del loss
fwd.sort(); bwd.sort()
print(json.dumps({"forward": fwd[len(fwd) // 2], "backward": bwd[len(bwd) // 2]}))
"""


def run(tree: Path, reps: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(reps)], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help=f"git revision to compare with (default {BEFORE})")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before, "microprop"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for i in range(args.rounds):
            order = [("before", before), ("after", ROOT)]
            for name, tree in order if i % 2 == 0 else order[::-1]:
                results[name].append(run(tree, args.reps))
    rows = []
    for part in ("forward", "backward"):
        b = median(r[part] for r in results["before"])
        a = median(r[part] for r in results["after"])
        ratio = median(x[part] / y[part] for x, y in zip(results["after"], results["before"]))
        rows.append(f"| {part} | {b * 1e3:.1f} ms | {a * 1e3:.1f} ms | {100 * (ratio - 1):+.1f}% |")
    git_line = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    table = "\n".join(
        [
            f"Demo step (MLP(2, [16, 16, 1]), 100 points, ~65,000 nodes): before = {args.before}, after = {git_line}",
            (
                f"({args.rounds} alternating rounds x {args.reps} repetitions, medians; "
                f"Python {platform.python_version()}, {platform.machine()})"
            ),
            "",
            "| part | before (CPU time) | after | change (median of per-round ratios) |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Command: `.venv/bin/python benchmarks/table_refactor.py --rounds {args.rounds} --reps {args.reps}`",
        ]
    )
    print(table)
    if args.out:
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
