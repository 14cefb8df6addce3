"""The fuzz campaign's short profile (benchmarks/fuzz.py), in seconds: the long one is run by hand."""

from __future__ import annotations

import pathlib
import sys

import pytest
from conftest import require_program

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "benchmarks"))
import fuzz  # noqa: E402


def run(part: str) -> fuzz.Tally:
    tally = fuzz.campaign("short", seed=0, parts=[part])[0]
    assert not tally.failures, "\n\n".join(tally.failures[:5])
    return tally


def test_random_graphs_match_finite_differences() -> None:
    """300 random graphs (every op, composed) at random points: analytic grads agree with central differences."""
    assert run("graphs").checked > 250


def test_replay_matches_the_scalar_engine_bit_for_bit() -> None:
    """300 random graphs replayed at IEEE edge values: every node's data and grad after sync() are the
    scalar engine's, the sign of zero included."""
    assert run("replays").checked == 300


def test_hostile_labels_through_dot() -> None:
    """Random labels of markup, escapes and control characters make DOT that dot turns into well-formed SVG."""
    require_program("dot")
    assert run("labels").checked == 15


@pytest.mark.browser
def test_hostile_labels_through_the_stepper_page() -> None:
    """A stepper page whose leaves carry random hostile labels lays out, steps and shows each name as text."""
    pytest.importorskip("playwright.sync_api")
    require_program("chromium")
    assert run("pages").checked == 1
