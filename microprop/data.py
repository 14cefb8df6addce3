"""Minibatches and random splits: the notes' ``DataLoader`` and ``random_split``.

Full-batch gradient descent computes the loss on every sample before each step;
minibatch SGD steps after each batch, so an epoch of ``n`` samples takes
``ceil(n / batch_size)`` steps, each on a fresh random subset.

>>> X = [[0.0], [1.0], [2.0], [3.0], [4.0]]; y = [0, 1, 0, 1, 0]
>>> [len(xb) for xb, yb in batches(X, y, batch_size=2, rng=0)]
[2, 2, 1]
>>> train, valid = random_split(5, [0.8, 0.2], rng=0)
>>> len(train), len(valid), sorted(train + valid)
(4, 1, [0, 1, 2, 3, 4])
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Rng = random.Random | int | None


def _rng(rng: Rng) -> random.Random:
    """A generator from a seed or a ``random.Random``; ``None`` gives an unseeded one."""
    if rng is None or isinstance(rng, int):
        return random.Random(rng)
    return rng


def _take(rows: Any, index: list[int]) -> Any:
    """``rows[index]``: a numpy array indexed by the list, anything else as a list."""
    if hasattr(rows, "shape"):
        return rows[index]
    return [rows[i] for i in index]


def batches(
    X: Sequence[T],
    y: Sequence[Any],
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = False,
    rng: Rng = None,
) -> Iterator[tuple[Any, Any]]:
    """``(X_batch, y_batch)`` pairs covering the data once (one epoch), as a PyTorch
    ``DataLoader``: shuffled anew on every call unless ``shuffle=False``; the last,
    smaller batch is kept unless ``drop_last``. numpy arrays give numpy batches,
    other sequences give lists. ``rng`` is a seed or a ``random.Random``.

    >>> list(batches([10, 20, 30], ["a", "b", "c"], batch_size=2, shuffle=False))
    [([10, 20], ['a', 'b']), ([30], ['c'])]
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"{n} inputs but {len(y)} targets")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")
    order = list(range(n))
    if shuffle:
        _rng(rng).shuffle(order)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        yield _take(X, index), _take(y, index)


def random_split(n: int, fractions: Sequence[float], rng: Rng = None) -> list[list[int]]:
    """Shuffle ``range(n)`` and cut it into parts, as ``torch.utils.data.random_split``:
    ``fractions`` summing to 1 (each part gets ``floor(n·f)``, and the rest go one each
    to the first parts) or integer lengths summing to n. Returns the index lists.

    >>> [len(part) for part in random_split(10, [0.8, 0.1, 0.1], rng=1)]
    [8, 1, 1]
    >>> [len(part) for part in random_split(7, [0.5, 0.5], rng=1)]
    [4, 3]
    """
    if all(isinstance(f, int) for f in fractions):
        lengths = [int(f) for f in fractions]
        if sum(lengths) != n or min(lengths, default=0) < 0:
            raise ValueError(f"lengths {lengths} do not add up to {n}")
    else:
        if not math.isclose(sum(fractions), 1.0, abs_tol=1e-9) or min(fractions) < 0:
            raise ValueError(f"fractions {list(fractions)} must be at least 0 and add up to 1")
        lengths = [math.floor(n * f) for f in fractions]
        for i in range(n - sum(lengths)):
            lengths[i % len(lengths)] += 1
    order = list(range(n))
    _rng(rng).shuffle(order)
    parts: list[list[int]] = []
    start = 0
    for length in lengths:
        parts.append(order[start : start + length])
        start += length
    return parts
