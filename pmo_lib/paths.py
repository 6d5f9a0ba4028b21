"""Where the project's folders are: a source checkout's, or an installed package's. Standard
library only: the command line finds the notebooks before it imports anything heavy."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# A source checkout has notebooks/ and params/ at its top. An installed wheel carries them in the
# package (pmo_lib/notebooks, pmo_lib/default_params) and works in the current folder, which
# `pmo-reports init` sets up: its params/, data/ and outputs/.
IN_CHECKOUT = (PACKAGE_DIR.parent / "pyproject.toml").exists() and (
    PACKAGE_DIR.parent / "notebooks"
).is_dir()
PROJECT_ROOT = PACKAGE_DIR.parent if IN_CHECKOUT else Path.cwd()
NOTEBOOKS_DIR = PACKAGE_DIR.parent / "notebooks" if IN_CHECKOUT else PACKAGE_DIR / "notebooks"
DEFAULT_PARAMS_DIR = (
    PACKAGE_DIR.parent / "params" if IN_CHECKOUT else PACKAGE_DIR / "default_params"
)
