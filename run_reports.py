#!/usr/bin/env python3
"""PMO Reports command line, from a source checkout: the same as the installed `pmo-reports`
command (pmo_lib.cli), which says what each sub-command does (`--help`)."""

import sys

from pmo_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
