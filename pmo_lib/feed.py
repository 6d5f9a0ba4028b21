"""The enterprise feed: one snapshot of this IT function, as the Global PMO reads it.

`pmo-reports export --as-of D --to DIR` writes, for the snapshot D (default: the latest):

- `<table>.parquet`: every canonical table's rows of that snapshot (all portfolios), in the
  model's columns and types (pmo_lib/schema.py);
- `headlines.parquet`: the headline figures of the function and of each portfolio, long:
  scope, portfolio (blank for the function), figure, value (blank where the data cannot
  support the figure), under the names the reports' manifests use;
- `feed.json`: the feed's version, the function's name, the as-of date, where the data came
  from (redacted), when it was written, and per file its rows and columns (name, type,
  required) — the schema a reader checks before loading.

The folder is written beside DIR and renamed into place, so a reader never sees half a feed.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd

from pmo_lib import data, store
from pmo_lib.errors import PMOError
from pmo_lib.schema import TABLES

FEED_VERSION = 1
MANIFEST = "feed.json"


def _figures(snapshot_data: data.PortfolioData, config) -> dict:
    from pmo_lib.metrics import health, summary

    past = health.Past.of(data.all_snapshots(snapshot_data))
    load = data.resource_load(snapshot_data)
    return summary.figures(snapshot_data.current, load, config.portfolio, config, past)


def headlines(source, as_of: str | None, configs: list) -> pd.DataFrame:
    """The headline figures per scope (the function's, then each portfolio's), long."""
    rows = []
    for config in configs:
        scope = data.load_portfolio(config.portfolio, as_of, source)
        for figure, value in _figures(scope, config).items():
            blank = value is None or (isinstance(value, float) and pd.isna(value))
            rows.append(
                {
                    "scope": config.slug,
                    "portfolio": config.portfolio,
                    "figure": figure,
                    "value": None if blank else float(value),
                }
            )
    return pd.DataFrame(rows, columns=["scope", "portfolio", "figure", "value"]).astype(
        {"scope": "str", "portfolio": "str", "figure": "str", "value": "float64"}
    )


def export(source, as_of: str | None, folder: Path, configs: list, function_name: str) -> dict:
    """Write the feed of one snapshot to folder (created; an existing feed there is replaced,
    any other non-empty folder refused). Returns the feed's manifest."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise PMOError(
            f"export --to {folder}: the folder holds other files; give a new or empty folder"
            " (or one an earlier export wrote)"
        )
    path = data.resolve_source(source)
    snapshots = store.list_snapshots(path)
    day, _ = data.resolve_as_of(snapshots, as_of, path)
    row = snapshots[pd.to_datetime(snapshots["as_of"]) == day].iloc[0]
    tables = store.load_tables(path, day.date(), None)
    figures = headlines(path, day.date().isoformat(), configs)
    staging = folder.with_name(f".{folder.name}.writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = {}
    for name, frame in tables.items():
        frame.to_parquet(staging / f"{name}.parquet", index=False)
        files[name] = {
            "file": f"{name}.parquet",
            "rows": len(frame),
            "columns": [
                {"name": c.name, "type": c.type, "required": c.required}
                for c in TABLES[name].columns
            ],
        }
    figures.to_parquet(staging / "headlines.parquet", index=False)
    manifest = {
        "feed_version": FEED_VERSION,
        "function": function_name,
        "as_of": day.date().isoformat(),
        "source": store.redact(str(row["source"])),
        "written_at": datetime.now().isoformat(timespec="seconds"),
        "tables": files,
        "headlines": {
            "file": "headlines.parquet",
            "rows": len(figures),
            "scopes": sorted(set(figures["scope"])),
            "columns": ["scope", "portfolio", "figure", "value"],
        },
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(folder)
    return manifest


def read_manifest(folder: Path) -> dict:
    """A feed's manifest, checked: a folder without one, or of a newer version, is said."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise PMOError(f"{folder}: not a PMO Reports feed (no {MANIFEST})")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("feed_version", 0) > FEED_VERSION:
        raise PMOError(
            f"{folder}: feed version {manifest['feed_version']} is newer than this command reads"
            f" ({FEED_VERSION}); upgrade pmo-reports"
        )
    return manifest
