"""Colours: a light and a dark palette, and the grad colour scale with its legend.

Grads are coloured on a diverging scale: positive grads towards blue, negative
towards orange, by magnitude relative to the largest finite grad in the picture;
nan and inf are flagged in a colour of their own.

>>> grad_color(THEMES["light"], 0.0, 2.0) == THEMES["light"].node_fill
True
>>> grad_color(THEMES["light"], float("nan"), 2.0) == THEMES["light"].flag
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from microprop.i18n import current, tr

#: the fonts Korean pictures use: DejaVu Sans (as English pictures) and Hangul from Noto Sans CJK KR
#: (Debian's fonts-noto-cjk; `.ci/system-deps.sh hangul` installs it)
KOREAN_FONT = "DejaVu Sans,Noto Sans CJK KR"

from microprop.naming import FLAG


@dataclass(frozen=True)
class Theme:
    """One palette (hex colours) and the font every label uses.

    >>> THEMES["light"].bg, THEMES["dark"].font
    ('#ffffff', 'DejaVu Sans')
    """

    name: str
    bg: str
    fg: str
    muted: str
    node_fill: str
    leaf_fill: str
    op_fill: str
    border: str
    edge: str
    accent: str
    accent_fill: str
    pending_fill: str
    pending_fg: str
    pos: str
    neg: str
    flag: str
    cluster_fill: str
    cluster_border: str
    # DejaVu Sans for dot and the stepper page (which lays out in the browser with the
    # same font); graphviz-pure, which has no metrics for it, draws Helvetica (its Arimo)
    font: str = "DejaVu Sans"


THEMES: dict[str, Theme] = {
    "light": Theme(
        name="light", bg="#ffffff", fg="#1f2328", muted="#57606a", node_fill="#f6f8fa",
        leaf_fill="#fff8e1", op_fill="#ffffff", border="#6e7781", edge="#6e7781",
        accent="#d1242f", accent_fill="#ffebe9", pending_fill="#eeeeee", pending_fg="#9a9a9a",
        pos="#4c8bf5", neg="#f08c2e", flag="#ffd33d", cluster_fill="#f3f6fb",
        cluster_border="#b6c2d1",
    ),
    "dark": Theme(
        name="dark", bg="#0d1117", fg="#e6edf3", muted="#9198a1", node_fill="#161b22",
        leaf_fill="#2b2410", op_fill="#0d1117", border="#8b949e", edge="#8b949e",
        accent="#ff7b72", accent_fill="#3d1f1f", pending_fill="#21262d", pending_fg="#6e7681",
        pos="#1f6feb", neg="#bd561d", flag="#9e6a03", cluster_fill="#111822",
        cluster_border="#30363d",
    ),
}  # fmt: skip


def theme_named(name: str) -> Theme:
    """The palette called ``name``, or a ValueError listing the choices.

    >>> theme_named("dark").bg
    '#0d1117'
    """
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}") from None


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def mix(c0: str, c1: str, t: float) -> str:
    """The colour a fraction ``t`` of the way from ``c0`` to ``c1``.

    >>> mix("#000000", "#ffffff", 0.5)
    '#808080'
    """
    t = min(1.0, max(0.0, t))
    r, g, b = (round(a + (b - a) * t) for a, b in zip(_rgb(c0), _rgb(c1)))
    return f"#{r:02x}{g:02x}{b:02x}"


def is_flagged(x: float) -> bool:
    """True for nan and ±inf, which the pictures flag.

    >>> is_flagged(float("-inf")), is_flagged(1e308)
    (True, False)
    """
    return not math.isfinite(x)


def grad_scale(grads: list[float]) -> float:
    """The largest finite |grad| (1.0 if there is none): the end of the colour scale.

    >>> grad_scale([0.5, -1.5, float("inf")])
    1.5
    """
    finite = [abs(g) for g in grads if math.isfinite(g)]
    return max(finite) if finite and max(finite) > 0 else 1.0


def grad_color(theme: Theme, grad: float, scale: float) -> str:
    """The fill for a node with this grad: square-root scale so small grads still show.

    >>> grad_color(THEMES["light"], 1.0, 1.0) == THEMES["light"].pos
    True
    """
    if is_flagged(grad):
        return theme.flag
    t = math.sqrt(min(1.0, abs(grad) / scale))
    return mix(theme.node_fill, theme.pos if grad > 0 else theme.neg, t)


def legend_label(theme: Theme, scale: float, fmt: Callable[[float], str]) -> str:
    """An HTML-like Graphviz label: the grad colour scale from -scale to +scale.

    >>> "grad colour" in legend_label(THEMES["light"], 2.0, str)
    True
    """
    stops = (-1.0, -0.5, 0.0, 0.5, 1.0)
    cells = "".join(
        f'<TD BGCOLOR="{grad_color(theme, s * scale, scale)}" WIDTH="34">{fmt(s * scale)}</TD>' for s in stops
    )
    title = tr("grad colour")
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" COLOR="{theme.border}">'
        f'<TR><TD COLSPAN="5" BORDER="0">{title}</TD></TR><TR>{cells}</TR>'
        f'<TR><TD COLSPAN="5" BORDER="0" BGCOLOR="{theme.flag}">nan / inf {FLAG}</TD></TR></TABLE>>'
    )


def for_language(theme: Theme) -> Theme:
    """``theme`` with the font for the language in effect (``KOREAN_FONT`` for Korean).

    >>> from microprop.i18n import language
    >>> with language("ko"):
    ...     for_language(THEMES["light"]).font
    'DejaVu Sans,Noto Sans CJK KR'
    """
    return replace(theme, font=KOREAN_FONT) if current() == "ko" else theme
