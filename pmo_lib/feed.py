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

`pmo-reports ingest --feed DIR [DIR ...]` loads the feeds of several functions into one store,
the Global PMO's: one snapshot per as-of date the feeds carry, each holding every function
whose feed has that date. Names and IDs are made the enterprise's own, so that two functions'
"Data & Analytics" portfolios or PRJ-00001 projects stay apart: a portfolio becomes
"<function> › <portfolio>", an ID "<function-slug>/<id>". The store's `functions` table records
which function each portfolio belongs to; the reports roll up enterprise → function → portfolio
from it (spend's roll-up, the summary's comparison).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from pmo_lib import data, store
from pmo_lib.errors import PMOError
from pmo_lib.hierarchy import SEPARATOR
from pmo_lib.schema import ID_LENGTH, TABLES

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


# -- the enterprise: several functions' feeds in one store ---------------------------------
@dataclass(frozen=True)
class EnterpriseSnapshot:
    as_of: date
    frames: dict[str, pd.DataFrame]  # every table, every function's rows, names qualified
    functions: pd.DataFrame  # function, portfolio (qualified): which function each belongs to
    source: str  # the feeds it came from, as the snapshot records it
    notes: list[str]  # what reading the feeds ignored


def _slug(function: str) -> str:
    from pmo_lib.scopes import slugify

    return slugify(function)


def qualified(frames: dict[str, pd.DataFrame], function: str) -> dict[str, pd.DataFrame]:
    """One function's tables as the enterprise store holds them: portfolio names under the
    function's ("Group IT › Data & Analytics"), IDs under its slug ("group-it/PRJ-00001")."""
    prefix = f"{_slug(function)}/"
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        for column in TABLES[name].columns:
            if column.name not in frame:
                continue
            values = frame[column.name]
            if column.name == "portfolio":
                frame[column.name] = (function + SEPARATOR + values).where(values.notna())
            elif column.max_length == ID_LENGTH:
                frame[column.name] = (prefix + values).where(values.notna())
        out[name] = frame
    return out


def read_feed(folder: Path) -> tuple[dict, dict[str, pd.DataFrame], list[str]]:
    """A feed's manifest and its tables, checked as an ingest checks a folder of exports (every
    problem named with its file, row and column)."""
    from pmo_lib import validate

    manifest = read_manifest(folder)
    for key in ("function", "as_of"):
        if not str(manifest.get(key) or "").strip():
            raise PMOError(f"{folder}/{MANIFEST}: no '{key}'; write the feed again with export")
    frames, notes = validate.load_folder(Path(folder))
    return manifest, frames, [f"{folder}: {note}" for note in notes]


def enterprise_snapshots(folders: list[Path]) -> list[EnterpriseSnapshot]:
    """The enterprise's snapshots from these feeds, oldest first: per as-of date, every function
    whose feed has it. Two feeds of one function for one date are refused, naming both."""
    if not folders:
        raise PMOError("ingest --feed: give one or more feed folders (pmo-reports export --to)")
    by_day: dict[date, dict[str, tuple[Path, dict, dict]]] = {}
    notes: list[str] = []
    slugs: dict[str, str] = {}
    for folder in folders:
        manifest, frames, said = read_feed(folder)
        notes += said
        function, day = manifest["function"].strip(), date.fromisoformat(manifest["as_of"])
        slug = _slug(function)
        if slugs.setdefault(slug, function) != function:
            raise PMOError(
                f"ingest --feed: the functions '{slugs[slug]}' and '{function}' would share the"
                f" ID prefix '{slug}/'; give one of them another name in its function.yaml title"
            )
        held = by_day.setdefault(day, {})
        if function in held:
            raise PMOError(
                f"ingest --feed: {held[function][0]} and {folder} are both {function}'s feed of"
                f" {day}; give one of them"
            )
        held[function] = (Path(folder), manifest, qualified(frames, function))
    out = []
    for day in sorted(by_day):
        held = by_day[day]
        frames = {
            name: pd.concat([f[name] for _, _, f in held.values() if name in f], ignore_index=True)
            for name in TABLES
            if any(name in f for _, _, f in held.values())
        }
        portfolios = [
            (function, portfolio)
            for function, (_, _, f) in held.items()
            for portfolio in sorted(
                set(f["projects"]["portfolio"].dropna())
                | set(f.get("demand", pd.DataFrame(columns=["portfolio"]))["portfolio"].dropna())
            )
        ]
        source = "feeds: " + "; ".join(
            f"{function} (written {m.get('written_at', '?')})"
            for function, (_, m, _) in sorted(held.items())
        )
        out.append(
            EnterpriseSnapshot(
                day,
                frames,
                pd.DataFrame(portfolios, columns=["function", "portfolio"], dtype="str"),
                source,
                notes if not out else [],
            )
        )
    return out


def check_replaces_whole(fed: list[EnterpriseSnapshot], target) -> None:
    """A snapshot is replaced whole: refuse feeds that would drop, without a word, a function
    the store's snapshot of that date holds."""
    if not store.exists(target):
        return
    try:
        stored = {pd.Timestamp(d).date() for d in store.list_snapshots(target)["as_of"]}
    except PMOError:
        return  # not a store yet: writing says what is wrong
    for snap in fed:
        if snap.as_of not in stored:
            continue
        had = set(store.load_functions(target, snap.as_of).values())
        given = set(snap.functions["function"])
        if had - given:
            raise PMOError(
                f"ingest --feed: the store's snapshot of {snap.as_of} holds"
                f" {', '.join(sorted(had - given))} too, and a snapshot is replaced whole; give"
                " that function's feed of the same date as well"
            )


def dates_by_function(fed: list[EnterpriseSnapshot]) -> dict[str, list[str]]:
    """Each function's as-of dates in these feeds (to say when they do not line up)."""
    out: dict[str, list[str]] = {}
    for snap in fed:
        for function in sorted(set(snap.functions["function"])):
            out.setdefault(function, []).append(snap.as_of.isoformat())
    return out
