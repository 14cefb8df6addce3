"""Fuzz campaign (issue 11): random graphs against finite differences, the numpy replay against
the scalar engine bit for bit (the sign of zero included), and hostile labels through DOT,
Graphviz's ``dot`` (SVG) and the stepper page in headless Chromium.

    .venv/bin/python benchmarks/fuzz.py                        # the short profile, seconds
    .venv/bin/python benchmarks/fuzz.py --profile long --out docs/fuzz.md   # ~15 minutes

The short profile runs in the test suite (``tests/test_fuzz.py``); the long one is run by hand
and its figures go to ``docs/fuzz.md``. Every case comes from ``random.Random(seed + case)``,
so a failure prints the seed and case that reproduce it. Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

from microprop import Value
from microprop.gradcheck import gradcheck
from microprop.replay import trace

inf, nan = math.inf, math.nan

PROFILES = {
    "short": {"graphs": 300, "replays": 300, "labels": 15, "pages": 1},
    "long": {"graphs": 20_000, "replays": 20_000, "labels": 2_000, "pages": 60},
}

# --- random graphs -----------------------------------------------------------------------

#: the steps a recipe is made of; inputs are made positive where the op needs it
KINDS = (
    "add", "mul", "sub", "div", "pow", "powv", "exp", "log", "tanh", "sigmoid",
    "softplus", "relu", "leaky_relu", "elu", "abs", "neg",
)  # fmt: skip
KINKED = {"relu", "leaky_relu", "elu", "abs"}
#: IEEE edge values and ordinary points, for the replay
SPECIALS = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 710.0, -710.0, 1e300, -1e300, 1e-300, inf, -inf, nan)

Recipe = list[tuple[str, int, int, float]]


def recipe(rng: random.Random, leaves: int) -> Recipe:
    """A random graph over ``leaves`` inputs: each step applies an op to earlier nodes."""
    steps: Recipe = []
    for k in range(rng.randint(1, 12)):
        n = leaves + k
        kind = rng.choice(KINDS)
        param = {"pow": rng.choice([-2.0, -1.0, 0.0, 0.5, 1.5, 2.0, 3.0]), "leaky_relu": rng.choice([0.0, 0.01, 0.3]),
                 "elu": rng.choice([0.5, 1.0, 2.0])}.get(kind, 0.0)  # fmt: skip
        steps.append((kind, rng.randrange(n), rng.randrange(n), param))
    return steps


def build(steps: Recipe, leaves: Sequence[Value]) -> Value:
    """The graph of ``steps`` over ``leaves``; its root sums the last three nodes."""
    nodes = list(leaves)
    for kind, i, j, p in steps:
        a, b = nodes[i], nodes[j]
        if kind == "add":
            v = a + b
        elif kind == "mul":
            v = a * b
        elif kind == "sub":
            v = a - b
        elif kind == "div":
            v = a / (b * b + 0.5)
        elif kind == "pow":
            v = (a * a + 0.5) ** p
        elif kind == "powv":
            v = (a * a + 0.5) ** b.tanh()
        elif kind == "exp":
            v = a.tanh().exp()
        elif kind == "log":
            v = (a * a + 0.5).log()
        elif kind == "leaky_relu":
            v = a.leaky_relu(p)
        elif kind == "elu":
            v = a.elu(p)
        elif kind == "neg":
            v = -a
        else:
            v = getattr(a, kind)()
        nodes.append(v)
    tail = nodes[len(leaves) :][-3:]
    return sum(tail[1:], tail[0])


def near_kink(root: Value, margin: float = 1e-3) -> bool:
    """Whether an input of relu, leaky_relu, elu or abs is within ``margin`` of the kink at 0."""
    return any(
        v.op is not None and v.op.name in KINKED and abs(v.parents[0].data) < margin
        for v in root.topo_order()
    )


@dataclasses.dataclass
class Tally:
    """What one part of the campaign checked."""

    name: str
    checked: int = 0
    skipped: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return f"{self.name}: {self.checked} checked{skipped}, {len(self.failures)} failed ({self.seconds:.1f} s)"


def fuzz_gradients(cases: int, seed: int) -> Tally:
    """Random graphs at random points: analytic grads against central differences."""
    tally = Tally("graphs vs finite differences")
    for case in range(cases):
        rng = random.Random(seed + case)
        n = rng.randint(1, 4)
        steps = recipe(rng, n)
        point = [rng.uniform(-2.0, 2.0) for _ in range(n)]
        root = build(steps, [Value(x) for x in point])
        if near_kink(root) or not (math.isfinite(root.data) and abs(root.data) < 1e6):
            tally.skipped += 1
            continue
        fn: Callable[..., Value] = lambda *xs, s=steps: build(s, xs)
        # a genuine bug fails at every step size; a rounding or curvature artefact does not
        reports = [gradcheck(fn, point, eps=eps, raise_on_failure=False) for eps in (1e-6, 1e-4, 1e-7)]
        tally.checked += 1
        if not any(r.ok for r in reports):
            tally.failures.append(f"seed {seed + case}: {steps} at {point}\n{reports[0].text()}")
    return tally


def identical(x: float, y: float) -> bool:
    """The same float bit for bit, the sign of zero included (nan equals nan)."""
    return (x == y and math.copysign(1.0, x) == math.copysign(1.0, y)) or (math.isnan(x) and math.isnan(y))


def fuzz_replay(cases: int, seed: int) -> Tally:
    """Random graphs traced at one point, replayed at another (IEEE edge values included):
    after forward, backward and sync, every node's data and grad are a fresh scalar pass's."""
    tally = Tally("replay vs scalar engine")
    for case in range(cases):
        rng = random.Random(seed + case)
        n = rng.randint(1, 4)
        steps = recipe(rng, n)
        leaves = [Value(rng.choice(SPECIALS)) for _ in range(n)]
        root = build(steps, leaves)
        tape = trace(root)
        moved = [rng.choice(SPECIALS) for _ in range(n)]
        for leaf, x in zip(leaves, moved):
            leaf.data = x
        tape.forward()
        tape.backward()
        tape.sync()
        fresh = build(steps, [Value(x) for x in moved])
        fresh.backward()
        tally.checked += 1
        for i, (got, want) in enumerate(zip(root.topo_order(), fresh.topo_order())):
            if not (identical(got.data, want.data) and identical(got.grad, want.grad)):
                tally.failures.append(f"seed {seed + case}: {steps} at {moved}: node {i} {got!r} vs {want!r}")
                break
    return tally


# --- hostile labels ----------------------------------------------------------------------

PIECES = (
    "<", ">", "&", "&amp;", '"', "'", "\\", "\\N", "\\G", "\\l", "<!--", "-->", "<script>", "</script>",
    "</", "]]>", "{{", "}}", "\x00", "\x01", "\x07", "\x1b", "\x7f", "\t", "\n", "\r", "\u202e", "\u200f",
    "\u200b", "\u2028", "\u2029", "\ufeff", "é", "한", "𝑥", "x₁", " ", "%s", "${x}", "`", "/*", "*/",
    "javascript:", "<b>", "<TD>", "@", "#", ";", "=", "|", "{", "}",
)  # fmt: skip


def hostile_label(rng: random.Random) -> str:
    """A label made of markup, escapes, control characters and scripts, sometimes 300 long."""
    label = "".join(rng.choice(PIECES + ("a", "b", "x")) for _ in range(rng.randint(1, 8)))
    return label * (300 // len(label) + 1) if rng.random() < 0.05 else label


def fuzz_dot(cases: int, seed: int) -> Tally:
    """Hostile labels through to_dot and ``dot -Tsvg``: dot accepts the DOT, the SVG is well formed."""
    from microprop.viz import to_dot

    tally = Tally("labels through DOT and dot -Tsvg")
    dot = shutil.which("dot")
    for case in range(cases):
        rng = random.Random(seed + case)
        labels = [hostile_label(rng) for _ in range(2)]
        x, w = Value(2.0, label=labels[0]), Value(-3.0, label=labels[1])
        y = (x * w + x).tanh()
        y.label = hostile_label(rng)
        y.backward()
        text = to_dot(y)
        if dot is None:
            tally.skipped += 1
            continue
        run = subprocess.run(
            [dot, "-Tsvg"], input=text.encode(), capture_output=True, timeout=60, check=False
        )
        tally.checked += 1
        try:
            if run.returncode != 0:
                raise ValueError(run.stderr.decode(errors="replace").strip())
            ET.fromstring(run.stdout)
        except (ValueError, ET.ParseError) as err:
            tally.failures.append(f"seed {seed + case}: labels {[*labels, y.label]!r}: {err}"[:600])
    return tally


def fuzz_pages(cases: int, seed: int, labels_per_page: int = 6) -> Tally:
    """Stepper pages whose leaves carry hostile labels, in headless Chromium: the page lays
    out and steps, only its own two scripts exist, no dialog, no console error, and each
    leaf's name is shown as text."""
    tally = Tally("labels through the stepper page in Chromium")
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        tally.skipped = cases
        return tally
    from microprop.viz import save_stepper
    from microprop.viz.scene import printable

    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        for case in range(cases):
            rng = random.Random(seed + case)
            labels = [hostile_label(rng) for _ in range(labels_per_page)]
            leaves = [Value(0.5 * (i + 1), label=label) for i, label in enumerate(labels)]
            root = sum((v * v for v in leaves[1:]), leaves[0])
            page_path = save_stepper(root, pathlib.Path(tmp) / f"page{case}.html")
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            tab.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda err, e=errors: e.append(str(err)))
            tab.on("dialog", lambda d, e=errors: (e.append("dialog: " + d.message), d.dismiss()))
            tab.on(
                "request",
                lambda r, e=errors: None if r.url.startswith("file:") else e.append("network: " + r.url),
            )
            tally.checked += 1
            try:
                tab.goto(page_path.as_uri())
                tab.wait_for_selector(".mp-pane:not([hidden]) svg g.node", timeout=30_000)
                tab.get_by_test_id("next").click()
                shown = tab.evaluate(
                    "() => [...document.querySelectorAll('.mp-pane-backward g.node text')].map(t => t.textContent)"
                )
                scripts = tab.locator("script").count()
                texts = {s.replace("\u200b", "") for s in shown}
                missing = [label for label in labels if printable(label).replace("\u200b", "") not in texts]
                if scripts != 2 or errors or missing:
                    problem = f"scripts {scripts}, errors {errors[:3]}, names not shown {missing[:2]!r}"
                    tally.failures.append(f"seed {seed + case}: labels {labels!r}: {problem}"[:600])
            except Exception as err:  # noqa: BLE001 (a timeout: the page did not lay out or step; any error is a finding)
                tally.failures.append(
                    f"seed {seed + case}: labels {labels!r}: {type(err).__name__}: {err}"[:600]
                )
            finally:
                tab.close()
        browser.close()
    return tally


# --- the campaign --------------------------------------------------------------------------


def campaign(
    profile: str = "short", seed: int = 0, parts: Sequence[str] = ("graphs", "replays", "labels", "pages")
) -> list[Tally]:
    """Run the chosen parts of a profile; one Tally per part."""
    sizes = PROFILES[profile]
    runs = {"graphs": fuzz_gradients, "replays": fuzz_replay, "labels": fuzz_dot, "pages": fuzz_pages}
    tallies = []
    for part in parts:
        start = time.perf_counter()
        tally = runs[part](sizes[part], seed)
        tally.seconds = time.perf_counter() - start
        tallies.append(tally)
    return tallies


def report(tallies: list[Tally], profile: str, seed: int) -> str:
    """The campaign's figures as Markdown."""
    lines = [
        f"# Fuzz campaign: profile `{profile}`, seed {seed}",
        "",
        (
            f"`{' '.join(['.venv/bin/python', 'benchmarks/fuzz.py', *sys.argv[1:]])}` on "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, "
            f"{platform.machine()}."
        ),
        "",
        "| part | checked | skipped | failed | seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {t.name} | {t.checked} | {t.skipped} | {len(t.failures)} | {t.seconds:.1f} |" for t in tallies
    ]
    for t in tallies:
        for failure in t.failures[:5]:
            lines += ["", f"{t.name}: `{failure}`"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="short")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", default="graphs,replays,labels,pages")
    parser.add_argument("--out", type=pathlib.Path, help="also write the figures as Markdown")
    args = parser.parse_args(argv)
    tallies = campaign(args.profile, args.seed, args.parts.split(","))
    for t in tallies:
        print(t.line())
        for failure in t.failures[:3]:
            print("   ", failure.replace("\n", "\n    "))
    if args.out:
        args.out.write_text(report(tallies, args.profile, args.seed))
    return 1 if any(t.failures for t in tallies) else 0


if __name__ == "__main__":
    raise SystemExit(main())
