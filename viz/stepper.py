"""The stepper page (work in progress)."""
from __future__ import annotations
import os, pathlib
from microprop.engine import Value


def save_stepper(root: Value, path: str | os.PathLike[str], **options: object) -> pathlib.Path:
    """Write the HTML stepper page (placeholder)."""
    raise NotImplementedError
