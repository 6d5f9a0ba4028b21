"""`pmo-reports init DIR`: a working folder for a PMO's own deployment of the installed command.

The folder holds what the command reads and writes when run inside it: params/ (the defaults,
the function's file and the demo's portfolio files, to replace with the PMO's own), params/
sources/ (the mapping examples for real exports), data/ (the store) and outputs/ (the reports),
with a README that says how to use them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pmo_lib.errors import PMOError
from pmo_lib.params import DEFAULT_PARAMS_DIR

README = """# PMO Reports: {name}

This folder is a PMO Reports deployment. Run every command inside it: the reports read
`params/`, keep their store in `data/pmo.duckdb` and write to `outputs/`.

1. Try it on the demo data: `pmo-reports demo`, then `pmo-reports run`, and open
   `outputs/index.html`.
2. Describe your own portfolios: `params/defaults.yaml` holds every setting with its default
   (currency, fiscal year, thresholds); `params/function.yaml` is the whole IT function; add one
   file per portfolio (`portfolio: <the name in your data>`). The four portfolio files here are
   the demo's: delete them before you load your own data.
3. Load your exports each month: `pmo-reports ingest <folder of CSV/XLSX/Parquet> --as-of
   YYYY-MM-DD` (a folder in the canonical layout), or with a mapping for your tool's export
   (`--mapping params/sources/<yours>.yaml`; the files in `params/sources/` map real public
   exports and show every option).
4. Schedule it, e.g. cron at 06:00 on the 2nd of each month:
   `0 6 2 * * cd {folder} && pmo-reports run >> outputs/run.log 2>&1`
   (exit code 0: every report rendered; 1: some failed, the others are published; 2: nothing
   could run, the message says why).

`pmo-reports --help` lists the commands and their options.
"""


def init_folder(folder: Path | str) -> Path:
    """Write a working folder (see the module); refuses a folder that already has files."""
    folder = Path(folder).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PMOError(
            f"{folder}: already exists and is not an empty folder; give a new folder's name"
        )
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        DEFAULT_PARAMS_DIR, folder / "params", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("data", "outputs"):
        (folder / name).mkdir()
    (folder / "README.md").write_text(
        README.format(name=folder.name, folder=folder), encoding="utf-8"
    )
    return folder
