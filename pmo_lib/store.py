"""The DuckDB store: snapshots of the canonical tables, each under its as_of date.

Only this module (and pmo_lib.data above it) touches storage. Ingest is all-or-nothing;
loads are scoped in SQL to one portfolio (or all) and one as_of. Beside each snapshot, its
ingest log (pmo_lib.ingest_log: rows a mapped ingest left out, cells it blanked) in the table
ingest_log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pmo_lib import ingest_log
from pmo_lib.errors import PMOError
from pmo_lib.schema import DUCKDB_TYPES, TABLES

log = logging.getLogger(__name__)

DEFAULT_STORE = Path("data/pmo.duckdb")

# How each table's rows are tied to a portfolio ($p NULL = the whole function).
_PROJECTS_IN_SCOPE = (
    "SELECT project_id FROM projects WHERE as_of = $a AND ($p IS NULL OR portfolio = $p)"
)
_DEMAND_IN_SCOPE = (
    "SELECT demand_id FROM demand WHERE as_of = $a AND ($p IS NULL OR portfolio = $p)"
)
SCOPE_FILTERS: dict[str, str] = {
    "projects": "$p IS NULL OR portfolio = $p",
    "demand": "$p IS NULL OR portfolio = $p",
    "demand_stage_history": f"$p IS NULL OR demand_id IN ({_DEMAND_IN_SCOPE})",
    "financials": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "milestones": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "risks": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "artifacts": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    # A resource belongs to a portfolio by home portfolio, or by working on its projects.
    "resources": (
        "$p IS NULL OR portfolio = $p OR resource_id IN (SELECT resource_id FROM allocations"
        f" WHERE as_of = $a AND project_id IN ({_PROJECTS_IN_SCOPE}))"
    ),
    # Project work on the portfolio's projects, plus non-project work of its home resources.
    "allocations": (
        f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE}) OR (project_id IS NULL AND"
        " resource_id IN (SELECT resource_id FROM resources WHERE as_of = $a AND portfolio = $p))"
    ),
}
assert set(SCOPE_FILTERS) == set(TABLES), "every table needs a portfolio scope"


def fingerprint(frames: dict[str, pd.DataFrame], log: pd.DataFrame | None = None) -> str:
    """A content hash of a snapshot's tables (and its ingest log, when it has entries), stable
    across runs and machines."""
    digest = hashlib.sha256()
    parts = dict(frames)
    if log is not None and len(log):
        parts["ingest_log"] = log
    for name in sorted(parts):
        frame = parts[name]
        digest.update(name.encode())
        digest.update(",".join(map(str, frame.columns)).encode())
        if len(frame):
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


_LOG_TYPES = {**dict.fromkeys(ingest_log.COLUMNS, "VARCHAR"), "row": "BIGINT"}
_LOG_COLUMNS = ", ".join(f'"{c}"' for c in ingest_log.COLUMNS)  # table, row, column: keywords


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        columns = ", ".join(f"{c.name} {DUCKDB_TYPES[c.type]}" for c in table.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {table.name} (as_of DATE NOT NULL, {columns})")
    con.execute(
        "CREATE TABLE IF NOT EXISTS snapshots (as_of DATE PRIMARY KEY, ingested_at TIMESTAMP,"
        " source VARCHAR, fingerprint VARCHAR, row_counts VARCHAR)"
    )
    columns = ", ".join(f'"{c}" {t}' for c, t in _LOG_TYPES.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS ingest_log (as_of DATE NOT NULL, {columns})")


def write_snapshot(
    store: Path | str,
    frames: dict[str, pd.DataFrame],
    as_of: date,
    source: str,
    log: pd.DataFrame | None = None,
) -> dict[str, int]:
    """Replace the snapshot as_of with frames and its ingest log (None: no entries), in one
    transaction: all of it lands or none.

    Tables absent from frames are stored empty for this as_of. Returns row counts per table.
    """
    if log is not None and list(log.columns) != list(ingest_log.COLUMNS):
        raise ValueError(f"log: expected the columns {', '.join(ingest_log.COLUMNS)}")
    store = Path(store)
    existed = store.exists()
    store.parent.mkdir(parents=True, exist_ok=True)
    counts = {name: len(frames.get(name, ())) for name in TABLES}
    try:
        con = duckdb.connect(str(store))
    except duckdb.Error as exc:
        raise PMOError(f"{store}: cannot open the store for writing: {exc}") from exc
    try:
        con.execute("BEGIN TRANSACTION")
        _create_schema(con)
        for name, table in TABLES.items():
            con.execute(f"DELETE FROM {name} WHERE as_of = ?", [as_of])
            frame = frames.get(name)
            if frame is None or frame.empty:
                continue
            columns = ", ".join(table.column_names)
            con.register("incoming", frame[table.column_names])
            con.execute(
                f"INSERT INTO {name} (as_of, {columns}) SELECT ?::DATE, {columns} FROM incoming",
                [as_of],
            )
            con.unregister("incoming")
        con.execute("DELETE FROM ingest_log WHERE as_of = ?", [as_of])
        if log is not None and len(log):
            con.register("incoming_log", log.astype(ingest_log.DTYPES))
            con.execute(
                f"INSERT INTO ingest_log (as_of, {_LOG_COLUMNS})"
                f" SELECT ?::DATE, {_LOG_COLUMNS} FROM incoming_log",
                [as_of],
            )
            con.unregister("incoming_log")
        con.execute("DELETE FROM snapshots WHERE as_of = ?", [as_of])
        con.execute(
            "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)",
            [
                as_of,
                datetime.now().replace(microsecond=0),
                source,
                fingerprint(frames, log),
                json.dumps(counts),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        con.close()
        if not existed:
            store.unlink(missing_ok=True)
        raise
    con.close()
    return counts


def connect_read_only(store: Path | str) -> duckdb.DuckDBPyConnection:
    store = Path(store)
    if not store.exists():
        raise PMOError(
            f"{store}: no store there; run `python run_reports.py demo` for demo data, or"
            " `python run_reports.py ingest FOLDER --as-of YYYY-MM-DD` to load your exports"
        )
    try:
        return duckdb.connect(str(store), read_only=True)
    except duckdb.Error as exc:
        raise PMOError(f"{store}: not a PMO Reports store ({exc})") from exc


def list_snapshots(store: Path | str) -> pd.DataFrame:
    """The snapshots in the store, oldest first: as_of, ingested_at, source, fingerprint."""
    with connect_read_only(store) as con:
        try:
            return con.execute(
                "SELECT as_of, ingested_at, source, fingerprint FROM snapshots ORDER BY as_of"
            ).df()
        except duckdb.CatalogException as exc:
            raise PMOError(f"{store}: not a PMO Reports store (no snapshots table)") from exc


def load_tables(store: Path | str, as_of: date, portfolio: str | None) -> dict[str, pd.DataFrame]:
    """Every table's rows for one snapshot, scoped in the query to one portfolio (None = all)."""
    frames = {}
    with connect_read_only(store) as con:
        for name, table in TABLES.items():
            columns = ", ".join(table.column_names)
            query = f"SELECT {columns} FROM {name} WHERE as_of = $a AND ({SCOPE_FILTERS[name]})"
            frames[name] = _typed(con.execute(query, {"a": as_of, "p": portfolio}).df(), name)
    return frames


def load_ingest_log(store: Path | str, as_of: date) -> pd.DataFrame:
    """The ingest log of one snapshot (pmo_lib.ingest_log.COLUMNS), in the order written;
    empty for a snapshot without entries, or a store older than the log."""
    with connect_read_only(store) as con:
        has_log = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ingest_log'"
        ).fetchone()[0]
        if not has_log:
            return ingest_log.empty()
        frame = con.execute(
            f"SELECT {_LOG_COLUMNS} FROM ingest_log WHERE as_of = $a ORDER BY rowid", {"a": as_of}
        ).df()
    return frame.astype(ingest_log.DTYPES) if len(frame) else ingest_log.empty()


def row_counts(store: Path | str, as_of: date, portfolio: str | None) -> dict[str, int]:
    """Rows per table in one snapshot, scoped to one portfolio (None = all)."""
    with connect_read_only(store) as con:
        return {
            name: con.execute(
                f"SELECT count(*) FROM {name} WHERE as_of = $a AND ({SCOPE_FILTERS[name]})",
                {"a": as_of, "p": portfolio},
            ).fetchone()[0]
            for name in TABLES
        }


def load_financial_history(store: Path | str, up_to: date, portfolio: str | None) -> pd.DataFrame:
    """Financial rows of every snapshot up to up_to, with their as_of, each scoped to the projects
    the portfolio had in that snapshot."""
    columns = ", ".join(f"f.{c}" for c in TABLES["financials"].column_names)
    query = (
        f"SELECT f.as_of, {columns} FROM financials f WHERE f.as_of <= $a AND ($p IS NULL OR EXISTS ("
        "SELECT 1 FROM projects p WHERE p.as_of = f.as_of AND p.project_id = f.project_id AND p.portfolio = $p))"
        " ORDER BY f.as_of"
    )
    with connect_read_only(store) as con:
        frame = con.execute(query, {"a": up_to, "p": portfolio}).df()
    return _typed(frame, "financials").astype({"as_of": "datetime64[us]"})


def resource_load(store: Path | str, as_of: date, resource_ids: list[str]) -> pd.DataFrame:
    """Every hour booked to each of these people per month, in any portfolio: totals only, so a
    portfolio's report sees how loaded its people are without seeing other portfolios' projects."""
    with connect_read_only(store) as con:
        con.register("wanted", pd.DataFrame({"resource_id": pd.Series(resource_ids, dtype="str")}))
        frame = con.execute(
            "SELECT resource_id, period, SUM(planned_hours) AS planned_hours FROM allocations"
            " WHERE as_of = $a AND resource_id IN (SELECT resource_id FROM wanted) GROUP BY resource_id, period",
            {"a": as_of},
        ).df()
    return frame.astype(
        {"resource_id": "str", "period": "datetime64[us]", "planned_hours": "float64"}
    )


def portfolios_with_data(store: Path | str, as_of: date) -> list[str]:
    with connect_read_only(store) as con:
        rows = con.execute(
            "SELECT DISTINCT portfolio FROM (SELECT portfolio FROM projects WHERE as_of = $a"
            " UNION SELECT portfolio FROM demand WHERE as_of = $a) ORDER BY 1",
            {"a": as_of},
        ).fetchall()
    return [r[0] for r in rows]


def _typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """DuckDB hands back object/float columns for empty or all-null data: give the model's dtypes."""
    return frame.astype(TABLES[name].dtypes)


def redact(source: str) -> str:
    """A source for display: any password in a URL (scheme://user:secret@host) replaced by ***."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", str(source))
