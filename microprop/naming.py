"""How numbers and nodes are written, everywhere learners read them: the step text
(``microprop.explain``), the pictures (``microprop.viz``) and the command line.

>>> from microprop import Value
>>> x = Value(2.0, label="x"); y = (x * -3.0).tanh()
>>> names = node_names(y)
>>> [names[v] for v in y.topo_order()], fmt(y.data), num(y.data), shown(float("inf"))
(['x', 'a', 'b', 'c'], '-0.999988', '-1.0', 'inf ‼')
"""

from __future__ import annotations

import itertools
import math
import re
import string
from collections.abc import Iterator

from .engine import Value

DIGITS = 4  # significant digits drawn in nodes and on edges (text uses fmt's 6)
FLAG = "‼"  # marks nan and inf in pictures: a glyph every renderer's fonts have (⚠ is missing in some)


def fmt(x: float, digits: int = 6) -> str:
    """A float for learners: ``digits`` significant digits, ``-6.0`` not ``-6``.

    >>> fmt(-6.0), fmt(0.70710678118), fmt(float("inf")), fmt(1e-12)
    ('-6.0', '0.707107', 'inf', '1e-12')
    """
    s = f"{x:.{digits}g}"
    if s.lstrip("-").isdigit():
        s += ".0"
    return s


def num(x: float) -> str:
    """A number as drawn: 4 significant digits.

    >>> num(6.881373587), num(-1.5), num(float("nan"))
    ('6.881', '-1.5', 'nan')
    """
    return fmt(x, DIGITS)


def shown(x: float) -> str:
    """A number as drawn in a node, nan and inf flagged with ``FLAG``.

    >>> shown(0.5), shown(float("-inf"))
    ('0.5', '-inf ‼')
    """
    return num(x) if math.isfinite(x) else f"{num(x)} {FLAG}"


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def visible(text: str) -> str:
    r"""A label as text every renderer accepts and a reader can see: control characters
    (which make DOT that ``dot`` rejects) and lone surrogates written as escapes.

    >>> visible("a\x01b"), visible("x\ny"), visible("\ud800")
    ('a\\x01b', 'x\\ny', '\\ud800')
    """
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return _INVISIBLE.sub(
        lambda m: named.get(m[0]) or m[0].encode("unicode_escape", "backslashreplace").decode(), text
    )


def letters() -> Iterator[str]:
    """a, b, ..., z, aa, ab, ...: the names JAX's printer gives, in order.

    >>> list(itertools.islice(letters(), 27))[-2:]
    ['z', 'aa']
    """
    return itertools.chain.from_iterable(
        ("".join(t) for t in itertools.product(string.ascii_lowercase, repeat=n)) for n in itertools.count(1)
    )


def node_names(root: Value, order: list[Value] | None = None) -> dict[Value, str]:
    """A name for every node of the graph: its label, else the next free letter in
    topological order (the same graph always gets the same names). Pass ``order``
    (``root.topo_order()``) when it is already at hand, to walk the graph once.

    >>> x = Value(1.0, label="x"); y = (x * 2).tanh()
    >>> sorted(node_names(y).values())
    ['a', 'b', 'c', 'x']
    """
    order = root.topo_order() if order is None else order
    taken = {v.label for v in order if v.label}
    fresh = (name for name in letters() if name not in taken)
    return {v: v.label or next(fresh) for v in order}
