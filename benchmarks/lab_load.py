"""Load on `microprop lab`: N concurrent evaluations of the lecture neuron, all at once.

Starts `microprop lab --no-browser` on a free port, sends --requests POSTs of the lecture
neuron preset (each a full scene with its quiz) with --concurrency in flight, and prints
how many succeeded, the latency percentiles and the throughput. Exit 1 on any error.

Run: .venv/bin/python benchmarks/lab_load.py            (200 at once, ~10 s on 2 cores)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import statistics
import subprocess
import sys
import time

import httpx

from microprop.lab import PRESETS


def start() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "microprop", "lab", "--no-browser"], stdout=subprocess.PIPE, text=True
    )
    match = re.search(r"http://\S+", proc.stdout.readline() if proc.stdout else "")
    if match is None:
        proc.kill()
        raise SystemExit("the lab did not print its URL")
    return proc, match.group(0)


async def load(url: str, requests: int, concurrency: int) -> tuple[list[float], list[str]]:
    base, token = url.split("/?token=")
    neuron = PRESETS[0]
    body = {"expr": neuron["expr"], "values": neuron["values"]}
    gate = asyncio.Semaphore(concurrency)
    times: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one() -> None:
            async with gate:
                t0 = time.perf_counter()
                try:
                    r = await client.post(f"/api/scene?token={token}", json=body)
                    if r.status_code != 200 or r.json()["names"]["v9"] != "o":
                        errors.append(f"status {r.status_code}")
                except httpx.HTTPError as err:
                    errors.append(repr(err))
                times.append(time.perf_counter() - t0)

        await asyncio.gather(*(one() for _ in range(requests)))
    return times, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    proc, url = start()
    try:
        t0 = time.perf_counter()
        times, errors = asyncio.run(load(url, args.requests, args.concurrency))
        wall = time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    ms = sorted(t * 1000 for t in times)
    print(f"{args.requests} evaluations of the lecture neuron, {args.concurrency} at once: "
          f"{args.requests - len(errors)} ok, {len(errors)} errors")  # fmt: skip
    print(f"latency ms: median {statistics.median(ms):.0f}, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f}, "
          f"max {ms[-1]:.0f}; wall {wall:.2f} s, {args.requests / wall:.0f} evaluations/s")  # fmt: skip
    for err in errors[:5]:
        print("  error:", err)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
