"""``microprop doctor``: what this installation can do. The renderer that draws images
(Graphviz's ``dot``, else ``graphviz-pure``), the fonts pictures use, and which
optional extras are installed (read from microprop's own package metadata)."""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata

from .. import __version__
from ..i18n import N_, tr
from ._common import subcommand

DESCRIPTION = N_(
    """\
Print what this installation of microprop can do: the program that renders graph
images (Graphviz's dot when it is on PATH, else graphviz-pure, which is installed
with microprop and writes .svg and .png only), the fonts the pictures use (and the
Hangul font of Korean pictures), and the optional extras (demo, test, lint) with the
version of each package or 'missing'.

exit status: 0 when images can be drawn, 1 when no renderer is there."""
)

EXAMPLES = N_(
    """\
  microprop doctor"""
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    parser = subcommand(
        subparsers, "doctor", N_("say which renderer, fonts and extras are there"), DESCRIPTION, EXAMPLES
    )
    parser.set_defaults(func=run)


def _first_line(command: list[str]) -> str:
    """What ``command`` prints first (on stdout or stderr), or ``""``."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else ""
    )


def extras() -> dict[str, list[tuple[str, str]]]:
    """Each optional extra of microprop: its packages with the installed version or
    ``"missing"``, from the installed metadata ({} when microprop is not installed).

    >>> all(version for packages in extras().values() for _, version in packages)
    True
    """
    try:
        requires = metadata.requires("microprop") or []
    except metadata.PackageNotFoundError:
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for requirement in requires:
        match = re.match(r"([A-Za-z0-9_.-]+).*;\s*extra\s*==\s*['\"](\w+)['\"]", requirement)
        if match is None:
            continue
        name, extra = match.groups()
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "missing"
        found.setdefault(extra, []).append((name, version))
    return found


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 when some renderer can draw .svg and .png, else 1."""
    from ..viz.render import PURE_FONT, renderers
    from ..viz.theme import KOREAN_FONT, THEMES

    font = THEMES["light"].font

    print(f"microprop {__version__} (Python {platform.python_version()}, {sys.executable})")
    print(tr("renderers, in the order they are used:"))
    found = renderers()
    for r in found:
        version = _first_line([r.path, "-V"])
        print(
            f"  {r.name:<14} {' '.join('.' + f for f in r.formats):<16} {r.path}  "
            f"({version or tr('version unknown')})"
        )
    if not found:
        print(
            "  "
            + tr(
                "none: 'pip install graphviz-pure', or install Graphviz (e.g. 'sudo apt-get install graphviz')"
            )
        )
    elif found[0].name != "dot":
        print(
            "  " + tr("(no dot on PATH: .pdf needs Graphviz's dot; .svg and .png are drawn by graphviz-pure)")
        )
    fc_match = shutil.which("fc-match")
    system_font = _first_line([fc_match, "-f", "%{family}", font]) if fc_match else ""
    drawn = []
    if any(r.name == "dot" for r in found):
        drawn.append(tr("dot draws it with {font}", font=system_font or tr("the system sans-serif font")))
    if any(r.name == "graphviz-pure" for r in found):
        drawn.append(tr("graphviz-pure draws {font} instead, with its built-in Arimo", font=PURE_FONT))
    print(
        tr(
            "fonts: pictures ask for {font}; {drawn}",
            font=font,
            drawn="; ".join(drawn) or tr("nothing draws it"),
        )
    )
    fc_list = shutil.which("fc-list")
    has_hangul = bool(fc_list and _first_line([fc_list, ":lang=ko", "family"]))
    korean = KOREAN_FONT.split(",")[-1]
    hangul = ""
    if has_hangul:
        hangul = (fc_match and _first_line([fc_match, "-f", "%{family[0]}", f"{korean}:lang=ko"])) or korean
    if hangul and not any(r.name == "dot" for r in found):
        print(
            "  " + tr("Korean pictures (--lang ko) need Graphviz's dot; graphviz-pure has no Hangul glyphs")
        )
    elif hangul:
        print("  " + tr("Korean pictures (--lang ko): Hangul is drawn with {font}", font=hangul))
    else:
        print("  " + tr("Korean pictures (--lang ko): no font with Hangul; install fonts-noto-cjk"))
    print(tr("optional extras (pip install 'microprop[NAME]'):"))
    groups = extras()
    if not groups:
        print("  " + tr("unknown: microprop is not installed as a package here (pip install -e .)"))
    for extra, packages in groups.items():
        listed = ", ".join(f"{name} {version}" for name, version in packages)
        print(f"  {extra:<6} {listed}")
    return 0 if found else 1
