#!/usr/bin/env python3
"""PMO Reports command line, from a source checkout: the same as the installed `pmo-reports`
command (pmo_lib.cli), which says what each sub-command does (`--help`)."""

from pmo_lib.cli import command, main  # noqa: F401  (main: the command as a function)

if __name__ == "__main__":
    command()
