"""Published numbers reproduced: the micrograd README example and the lecture neuron."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

from microprop import Value

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_micrograd_readme_example() -> None:
    """micrograd's README expression gives g = 24.7041, a.grad = 138.8338, b.grad = 645.5773."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def load_example(name: str):
    """Import examples/NAME.py as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lecture_neuron() -> None:
    """The lecture neuron: o = 0.7071; grads x1 -1.5, w1 1.0, x2 0.5, w2 0.0, b 0.5."""
    nodes = load_example("lecture_neuron").lecture_neuron()
    nodes["o"].backward()
    assert nodes["o"].data == pytest.approx(0.7071067811865476, abs=1e-12)
    grads = {name: nodes[name].grad for name in ("x1", "w1", "x2", "w2", "b")}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}, abs=1e-9)
