"""microprop.data: minibatches cover the data once per epoch; splits partition the indices."""

from __future__ import annotations

import random

import numpy as np
import pytest

from microprop.data import batches, random_split


def test_batches_cover_every_sample_once() -> None:
    """Shuffled batches of 4 over 10 samples: sizes 4, 4, 2, each sample once, X and y kept paired."""
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    got = list(batches(X, y, batch_size=4, rng=3))
    assert [len(xb) for xb, _ in got] == [4, 4, 2]
    seen = [label for _, yb in got for label in yb]
    assert sorted(seen) == y and seen != y
    assert all(xi[0] == label for xb, yb in got for xi, label in zip(xb, yb))


def test_drop_last_and_no_shuffle() -> None:
    """drop_last leaves out the short batch; shuffle=False keeps the order."""
    got = list(batches(list("abcde"), [1, 2, 3, 4, 5], batch_size=2, shuffle=False, drop_last=True))
    assert got == [(["a", "b"], [1, 2]), (["c", "d"], [3, 4])]


def test_numpy_batches_and_seeds() -> None:
    """numpy inputs give numpy batches; the same seed gives the same order, a Random is used as is."""
    X, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    first = [yb.tolist() for _, yb in batches(X, y, 4, rng=7)]
    assert first == [yb.tolist() for _, yb in batches(X, y, 4, rng=random.Random(7))]
    xb, yb = next(batches(X, y, 4, rng=7))
    assert isinstance(xb, np.ndarray) and xb.shape == (4, 2) and (xb[:, 0] == 2 * yb).all()


def test_batches_bad_input() -> None:
    """Mismatched lengths and a batch size below 1 are refused with the reason."""
    with pytest.raises(ValueError, match="3 inputs but 2 targets"):
        list(batches([1, 2, 3], [1, 2], 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(batches([1], [1], 0))


def test_random_split_like_torch() -> None:
    """Fractions floor each part and hand the rest out from the first part on, as torch does."""
    parts = random_split(10, [0.8, 0.1, 0.1], rng=0)
    assert [len(p) for p in parts] == [8, 1, 1]
    assert sorted(i for p in parts for i in p) == list(range(10))
    assert [len(p) for p in random_split(11, [1 / 3, 1 / 3, 1 / 3], rng=0)] == [4, 4, 3]
    assert [len(p) for p in random_split(5, [2, 3], rng=0)] == [2, 3]
    with pytest.raises(ValueError, match="add up to 1"):
        random_split(5, [0.5, 0.4])
    with pytest.raises(ValueError, match="do not add up to 5"):
        random_split(5, [2, 2])


def test_random_split_lengths_match_torch() -> None:
    """The part sizes are torch.utils.data.random_split's for awkward n and fractions."""
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.8, 0.1, 0.1]), (7, [0.5, 0.5]), (101, [0.7, 0.2, 0.1]), (5, [0.25] * 4)]:
        theirs = torch.utils.data.random_split(range(n), fractions)
        assert [len(p) for p in random_split(n, fractions, rng=0)] == [len(p) for p in theirs]
