"""Time micrograd's demo step (forward + backward on the scalar engine) at two or more git
revisions of microprop, in one run, interleaved so that the machine's load hits them alike.

Each revision's ``microprop/`` is exported with ``git archive`` to a temporary directory;
each round starts one child process per revision (in alternating order), which builds
MLP(2, [16, 16, 1]) on 100 fixed points, times ``steps`` steps (build the loss, zero the
grads, ``backward()``, update) after a warm-up step and prints its median CPU time
(``time.process_time``: on a shared machine, time spent waiting for a core is not counted). The report
gives, per revision, the median over rounds, and the median of the per-round ratios to the
first revision (each round's children run back to back, so a ratio compares like with like).

    .venv/bin/python benchmarks/revisions.py main HEAD              # ~1 minute
    .venv/bin/python benchmarks/revisions.py main HEAD --rounds 20 --steps 5
"""

from __future__ import annotations

import argparse
import io
import pathlib
import statistics
import subprocess
import sys
import tarfile
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, math, random, statistics, sys, time
from microprop import Value
from microprop.nn import MLP

steps = int(sys.argv[1])
random.seed(1337)
model = MLP(2, [16, 16, 1])
params = model.parameters()
points = [(math.cos(i / 7.0) + (i % 2), math.sin(i / 7.0) - 0.5 * (i % 2)) for i in range(100)]
labels = [1.0 if i % 2 else -1.0 for i in range(100)]

def step(k):
    scores = [model([Value(a), Value(b)]) for a, b in points]
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    for p in params:
        p.grad = 0.0
    total.backward()
    for p in params:
        p.data -= (1.0 - 0.9 * k / 100) * p.grad

step(0)
times = []
for k in range(1, steps + 1):
    gc.collect()
    t = time.process_time(); step(k); times.append(time.process_time() - t)
print(statistics.median(times))
"""


def export(rev: str, into: pathlib.Path) -> pathlib.Path:
    """``microprop/`` as of ``rev`` (a commit, branch or tag), unpacked under ``into/rev``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "microprop"], check=True, capture_output=True
    ).stdout
    target = into / rev.replace("/", "_")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="+", help="git revisions; the first is the baseline")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per child process")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [export(rev, pathlib.Path(tmp)) for rev in args.revs]
        times: list[list[float]] = [[] for _ in dirs]
        for r in range(args.rounds):
            order = range(len(dirs)) if r % 2 == 0 else reversed(range(len(dirs)))
            for i in order:
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(args.steps)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={"PYTHONPATH": str(dirs[i]), "PATH": "/usr/bin:/bin"},
                )
                times[i].append(float(out.stdout))
    print(f"demo step (build the loss + backward), {args.rounds} rounds x {args.steps} steps per child:")
    for rev, ts in zip(args.revs, times):
        ratio = statistics.median(t / t0 for t, t0 in zip(ts, times[0]))
        print(
            f"  {rev:>12}: median {statistics.median(ts) * 1e3:6.1f} ms, fastest {min(ts) * 1e3:6.1f} ms, "
            f"median ratio to {args.revs[0]} {ratio:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
