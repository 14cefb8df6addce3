"""Subcommands of the ``microprop`` command line, one module each (see ``microprop.cli``)."""
