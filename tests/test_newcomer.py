"""The first ten minutes, as a newcomer meets them: the README's set-up on a fresh copy of
the repository, then the command line from the repository root."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def fresh_copy(target: pathlib.Path) -> pathlib.Path:
    """The repository's tracked files (symlinks kept) copied to ``target``, as a clone has them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src, dst = ROOT / name, target / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, dst)
    return target


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".git").exists(), reason="needs make and a git checkout"
)
def test_readme_setup_then_python_m_microprop_from_the_repository_root(tmp_path: pathlib.Path) -> None:
    """`make demo`'s install step on a fresh copy, then `python -m microprop render` and the
    venv's `microprop` from the repository root: microprop.viz imports and a PNG is drawn."""
    assert "make demo" in README and ". .venv/bin/activate" in README
    repo = fresh_copy(tmp_path / "microprop")
    setup = subprocess.run(
        ["make", ".venv/.installed-demo"], cwd=repo, capture_output=True, text=True, timeout=600
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    python = repo / ".venv" / "bin" / "python"
    drawn = subprocess.run(
        [python, "-m", "microprop", "render", "x*y", "x=1", "y=2", "-o", "f.png"],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert drawn.returncode == 0, drawn.stderr
    assert (repo / "f.png").read_bytes()[:4] == b"\x89PNG"
    where = subprocess.run(
        [python, "-c", "import microprop.viz; print(microprop.viz.__file__)"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert pathlib.Path(where.stdout.strip()).resolve() == (repo / "viz" / "__init__.py").resolve()
    doctor = subprocess.run(
        [repo / ".venv" / "bin" / "microprop", "doctor"], capture_output=True, text=True, check=False
    )
    assert doctor.returncode == 0 and "graphviz-pure" in doctor.stdout


def test_make_demo_ends_by_saying_how_to_reach_the_command() -> None:
    """The last line `make demo` prints names the venv's microprop and how to activate it."""
    # --no-print-directory: under `make test` the inner make would end with "Leaving directory"
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    last = [line for line in dry.stdout.splitlines() if line.strip()][-1]
    assert re.search(r"\.venv/bin/microprop.*\. \.venv/bin/activate", last), last
