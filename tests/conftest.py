"""Shared test settings: hypothesis profiles and the system programs some tests need."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import settings

# "ci" is the default: at least 300 examples per property. "fuzz" is for bug hunts:
#   HYPOTHESIS_PROFILE=fuzz .venv/bin/python -m pytest tests/test_ops.py
settings.register_profile("ci", max_examples=300, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("fuzz", max_examples=20_000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

INSTALL_HINT = {
    "dot": "Graphviz's 'dot' is not installed (sudo apt-get install graphviz)",
    "chromium": "Chromium is not installed (sudo apt-get install chromium)",
}


def require_program(name: str) -> str:
    """The program's path; skip the test when it is missing, but fail under CI,
    whose set-up (make test) installs it."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{INSTALL_HINT[name]}, and CI must run this test")
        pytest.skip(INSTALL_HINT[name])
    return path


@pytest.fixture(autouse=True)
def english_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests expect English unless they ask for Korean: a Korean locale on the machine
    running them (LANG=ko_KR.UTF-8) must not change the output they compare."""
    for var in ("MICROPROP_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def dot_program() -> str:
    """Path of Graphviz's dot (skips locally when missing)."""
    return require_program("dot")


@pytest.fixture
def chromium_program() -> str:
    """Path of Debian's chromium (skips locally when missing)."""
    return require_program("chromium")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (each test opens its own tab), skipped
    when playwright or Chromium is missing."""
    from browser import launch  # browser.py imports this module

    yield from launch()


@pytest.fixture(scope="session")
def artifacts_dir() -> str:
    """Where tests leave screenshots and renders to look at: test-artifacts/."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path
