"""``python -m microprop``: the same as the ``microprop`` command."""

from .cli import entry_point

if __name__ == "__main__":
    entry_point()
