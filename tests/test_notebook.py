"""The lab notebook, executed with nbclient in a real kernel: it runs, prints the
lecture's numbers, and each Stepper output carries the widget view and its fallback."""

from __future__ import annotations

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("anywidget")

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "examples" / "notebooks" / "backprop_lab.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def executed():
    """The notebook after running every cell (one kernel for the module)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return nb


def outputs(nb) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def text(nb) -> str:
    return "".join(out.get("text", "") for out in outputs(nb) if out.output_type == "stream")


def test_notebook_prints_the_lecture_numbers(executed) -> None:
    """The neuron's grads, the accumulation cases and a training run that lowers the loss."""
    printed = text(executed)
    for line in ("x1.grad = -1.5000", "w1.grad = 1.0000", "x2.grad = 0.5000", "b.grad = 0.5000",
                 "a.grad = 2.0", "a.grad = -3.0  b.grad = -8.0", "after two passes: 12.0", "after zeroing:   6.0"):  # fmt: skip
        assert line in printed
    losses = [float(line.split("loss ")[1]) for line in printed.splitlines() if line.startswith("step ")]
    assert losses[-1] < losses[0] / 2
    assert not [out for out in outputs(executed) if out.output_type == "error"]


def test_stepper_outputs_carry_widget_and_fallback(executed) -> None:
    """Each displayed Stepper is a widget view with a text/html fallback (the static stepper)."""
    shown = [out for out in outputs(executed) if out.output_type in ("execute_result", "display_data")]
    steppers = [out for out in shown if WIDGET in out["data"]]
    assert len(steppers) == 4
    for out in steppers:
        assert out["data"][WIDGET]["model_id"]
        assert "micropropStepper.mount" in out["data"]["text/html"]
        assert out["data"]["text/plain"].startswith("Stepper(")
