"""The language of learner-facing text: English (the default) or Korean.

Every sentence a learner reads is a whole message with named placeholders, written in
English in the code (``tr("{name} is given twice", name="x")``) and translated in the
gettext catalogue ``microprop/locale/ko/LC_MESSAGES/microprop.po``; the compiled ``.mo``
next to it ships in the wheel. ``make messages`` extracts the messages with Babel and
compiles the catalogue (docs/glossary.ko.md fixes the Korean terms).

The language is, first to last: the ``lang=`` argument of a public function (or
``--lang`` on the command line), the ``MICROPROP_LANG`` variable, the locale
(``LANG=ko_KR.UTF-8`` means Korean), else English.

>>> with language("ko"):
...     tr("{name} is given twice ({first}, then {second})", name="'x'", first="x=1", second="x=2")
"'x'이(가) 두 번 주어졌습니다 (x=1, 그다음 x=2)"
>>> with language("en"):
...     tr("{name} is given twice ({first}, then {second})", name="'x'", first="x=1", second="x=2")
"'x' is given twice (x=1, then x=2)"
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import os
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager

LANGUAGES = ("en", "ko")
DOMAIN = "microprop"
LOCALE_DIR = pathlib.Path(__file__).with_name("locale")

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("microprop_lang", default=None)


def check_lang(lang: str) -> str:
    """``lang`` itself when microprop speaks it, else ``ValueError``.

    >>> check_lang("ko")
    'ko'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be one of 'en', 'ko', not 'fr'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of 'en', 'ko', not {lang!r}")
    return lang


def from_environment(environ: dict[str, str] | None = None) -> str:
    """The language the environment asks for: ``MICROPROP_LANG``, then the locale
    variables in gettext's order (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); English unless
    one of them starts with ``ko``.

    >>> from_environment({"LANG": "ko_KR.UTF-8"}), from_environment({"LANG": "C.UTF-8"})
    ('ko', 'en')
    >>> from_environment({"MICROPROP_LANG": "en", "LANG": "ko_KR.UTF-8"})
    'en'
    """
    env = os.environ if environ is None else environ
    for var in ("MICROPROP_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "").strip()
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def current() -> str:
    """The language now in effect (see the module's docstring for the order).

    >>> with language("ko"):
    ...     current()
    'ko'
    """
    return _chosen.get() or from_environment()


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` inside the block; ``None`` keeps the language already in effect.

    >>> with language(None) as lang:
    ...     lang in LANGUAGES
    True
    """
    if lang is None:
        yield current()
        return
    token = _chosen.set(check_lang(lang))
    try:
        yield lang
    finally:
        _chosen.reset(token)


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English is the messages themselves)."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def tr(message: str, /, **fields: object) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled from ``fields``.

    >>> tr("score: {right} of {total} right", right=2, total=3)
    'score: 2 of 3 right'
    """
    return catalogue(current()).gettext(message).format(**fields)


def template(message: str, /) -> str:
    """``message`` in the current language, its ``{placeholders}`` left for another
    program to fill (the browser front end).

    >>> with language("ko"):
    ...     template("score: {right} of {total} right")
    '점수: {total}문제 중 {right}문제 정답'
    """
    return catalogue(current()).gettext(message)


def ntr(singular: str, plural: str, n: int, /, **fields: object) -> str:
    """Like ``tr``, choosing the singular or plural form by ``n`` (also a field).

    >>> ntr("{n} value", "{n} values", 1), ntr("{n} value", "{n} values", 3)
    ('1 value', '3 values')
    """
    return catalogue(current()).ngettext(singular, plural, n).format(n=n, **fields)


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it yet (module constants
    are translated where they are used: ``tr(CONSTANT)``)."""
    return message
