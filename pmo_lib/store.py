"""The store: snapshots of the canonical tables, each under its as_of date, in a DuckDB file (the
embedded default) or a PostgreSQL database (a source `postgresql://user@host:5432/db`; psycopg 3,
the `postgres` extra). The SQL is written once, for both: PgConnection speaks the part of
DuckDB's Python API used here, and the few dialect differences (a row's hash, whether a table
exists, a file's checksums) are functions below that ask which one they talk to.

Only this module (and pmo_lib.data above it) touches storage. Ingest is all-or-nothing;
loads are scoped in SQL to one portfolio (or all) and one as_of. Beside each snapshot, its
ingest log (pmo_lib.ingest_log: rows a mapped ingest left out, cells it blanked) in the table
ingest_log.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import duckdb
import pandas as pd
import pyarrow as pa

from pmo_lib import ingest_log
from pmo_lib.errors import PMOError, no_space, no_space_text
from pmo_lib.schema import DUCKDB_TYPES, OPTIONAL_TABLES, TABLES

log = logging.getLogger(__name__)

# Arrow's memory from the C library's allocator, not its bundled mimalloc, which keeps what it
# freed: the 100x pages peaked 40-135 MB higher with it (executive summary 1,005 MB against 870)
# and ran no faster. A pool named in $ARROW_DEFAULT_MEMORY_POOL is left as it is.
if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
    pa.set_memory_pool(pa.system_memory_pool())

DEFAULT_STORE = Path("data/pmo.duckdb")
WAIT_ENV = "PMO_STORE_WAIT"  # seconds to wait for a store another process holds (default 10)
DEFAULT_WAIT = 10.0


class StoreBusy(PMOError):
    """Another process holds the store's lock (DuckDB allows one writer, or many readers)."""


class StoreDamaged(PMOError):
    """The store file cannot be read: cut short, a block's checksum does not match, not DuckDB."""


class NoSpace(PMOError):
    """The disk (or a file-size limit) ran out while writing."""


_LOCKED = "Could not set lock on file"
_DAMAGE = {
    "Could not read enough bytes": "the file is cut short",
    "Corrupt database file": "a block's checksum does not match its contents",
    "not a valid DuckDB database file": "it is not a DuckDB database file",
    "Failed to read database header": "its header cannot be read",
}


def trouble(store: Path | str, exc: BaseException, writing: bool = False) -> PMOError | None:
    """What a storage error means for the user, said once (None: nothing known)."""
    store = redact(str(store))
    text = str(exc)
    if no_space(exc) and writing:
        return NoSpace(
            f"{store}: {no_space_text(exc)} while writing the store; nothing of this"
            " snapshot was loaded. Free some space, then ingest again"
        )
    if no_space(exc):
        return NoSpace(f"{store}: {no_space_text(exc)} for DuckDB's temporary files: {text}")
    for marker, cause in _DAMAGE.items():
        if marker in text:
            first = text.strip().splitlines()[0] if text.strip() else ""
            return StoreDamaged(
                f"{store}: the store is damaged: {cause} (DuckDB: {first}). Restore it from a"
                " backup, or rebuild it from the exports: `python run_reports.py ingest FOLDER"
                " --as-of YYYY-MM-DD` for each snapshot into a new store (`python run_reports.py"
                " demo` for the demo data)"
            )
    if _LOCKED in text:
        pid = re.search(r"PID (\d+)", text)
        who = f" (pid {pid.group(1)})" if pid else ""
        doing = "reading or writing" if writing else "writing"
        return StoreBusy(
            f"{store}: store busy: another process{who} is {doing} it; waited"
            f" {wait_seconds():g} s. Run again when it has finished"
        )
    return None


def wait_seconds() -> float:
    """How long to wait for a store another process holds: $PMO_STORE_WAIT, else 10 s."""
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


def _connect(store: Path | str, read_only: bool) -> duckdb.DuckDBPyConnection | PgConnection:
    """Open the store, waiting (with backoff, up to wait_seconds()) while another process holds
    its lock: an ingest that takes a few seconds does not fail the reports that run meanwhile.
    A PostgreSQL server needs no waiting: its readers see the last committed snapshot."""
    if is_server(store):
        return PgConnection(str(store), read_only=read_only)
    deadline, delay = time.monotonic() + wait_seconds(), 0.05
    said = False
    while True:
        try:
            return duckdb.connect(str(store), read_only=read_only)
        except duckdb.Error as exc:
            left = deadline - time.monotonic()
            if _LOCKED not in str(exc) or left <= 0:
                raise
            if not said:  # why it waits, said once (the command line shows it)
                log.info(
                    "%s: another process is using the store; waiting up to %g s for it",
                    store,
                    wait_seconds(),
                )
                said = True
        time.sleep(min(delay, left))
        delay = min(2 * delay, 1.0)


# -- PostgreSQL -----------------------------------------------------------------------------------
SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server(store: Path | str) -> bool:
    """Whether the store is a PostgreSQL database (a URL) rather than a DuckDB file."""
    return str(store).startswith(SERVER_SCHEMES)


def exists(store: Path | str) -> bool:
    """Whether there is a store to read: a file, or a server database with a snapshots table."""
    if not is_server(store):
        return Path(store).exists()
    con = _connect(store, read_only=True)
    try:
        return _has_table(con, "snapshots")
    finally:
        con.close()


class _PgResult:
    def __init__(self, cursor) -> None:
        self._cursor = cursor

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def df(self) -> pd.DataFrame:
        columns = [d.name for d in self._cursor.description]
        return pd.DataFrame(self._cursor.fetchall(), columns=columns)


_PG_TYPES = {"b": "BOOLEAN", "i": "BIGINT", "u": "BIGINT", "f": "DOUBLE PRECISION"}


class PgConnection:
    """A PostgreSQL connection (psycopg 3, autocommit: BEGIN and COMMIT are said, as to DuckDB)
    with the part of DuckDB's Python API this module uses: execute with $name or ? parameters,
    register a DataFrame as a temporary table, fetchall, fetchone and df."""

    def __init__(self, url: str, read_only: bool = False) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise PMOError(
                f"{redact(url)}: a PostgreSQL store needs psycopg: pip install"
                " 'pmo-reports[postgres]'"
            ) from exc
        try:
            # client-side parameters: "$p IS NULL" with p None needs no type from the server
            self._con = psycopg.connect(
                url, autocommit=True, connect_timeout=10, cursor_factory=psycopg.ClientCursor
            )
            if read_only:  # every read of one connection sees the same committed snapshot
                self._con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        except psycopg.Error as exc:  # a bad URL too (its message may quote the password)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            secret = urlsplit(url).password or ""
            reason = redact(first).replace(secret, "***") if secret else redact(first)
            raise PMOError(f"{redact(url)}: cannot connect to the store ({reason})") from None

    def execute(self, sql: str, params: dict | list | None = None) -> _PgResult:
        if params is not None:
            sql = sql.replace("%", "%%")
        if isinstance(params, dict):
            sql = re.sub(r"\$([A-Za-z_]\w*)", r"%(\1)s", sql)
        elif params is not None:
            sql = sql.replace("?", "%s")
        cursor = self._con.cursor()
        cursor.execute(sql, params)
        return _PgResult(cursor)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        columns = ", ".join(f'"{c}" {_pg_type(frame[c])}' for c in frame.columns)
        self._con.execute(f"CREATE TEMP TABLE {name} ({columns})")
        names = ", ".join(f'"{c}"' for c in frame.columns)
        rows = _python_rows(frame)
        with self._con.cursor().copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def unregister(self, name: str) -> None:
        self._con.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        self._con.close()


def _pg_type(column: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(column):
        return "TIMESTAMP"
    return _PG_TYPES.get(column.dtype.kind, "TEXT")


def _python_rows(frame: pd.DataFrame) -> Iterator[list]:
    """The frame's rows as Python values (None for a missing one), as psycopg writes them."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            values = [None if pd.isna(v) else v.to_pydatetime() for v in column]
        else:
            values = [None if pd.isna(v) else v for v in column.astype(object)]
            values = [v.item() if hasattr(v, "item") else v for v in values]
        columns.append(values)
    return (list(row) for row in zip(*columns, strict=True))


def _has_table(con, name: str) -> bool:
    if isinstance(con, PgConnection):
        return con.execute("SELECT to_regclass($n) IS NOT NULL", {"n": name}).fetchone()[0]
    query = "SELECT count(*) FROM duckdb_tables() WHERE table_name = $n AND NOT temporary"
    return bool(con.execute(query, {"n": name}).fetchall()[0][0])


def _row_hash(con, alias: str) -> str:
    """SQL for a 60-bit hash of a whole row, summed without overflow (for scope_prints)."""
    if isinstance(con, PgConnection):
        return f"('x' || substr(md5({alias}::text), 1, 15))::bit(60)::bigint::numeric"
    return f"hash({alias})::HUGEINT"


# PostgreSQL keeps no insertion order: its tables number their rows as written (pmo_row), and
# reads return them in that order, as DuckDB returns them.
def _row_column(con) -> str:
    return ", pmo_row BIGINT" if isinstance(con, PgConnection) else ""


def _row_into(con) -> str:
    return ", pmo_row" if isinstance(con, PgConnection) else ""


def _row_number(con) -> str:
    return ", row_number() OVER ()" if isinstance(con, PgConnection) else ""


def _sum(con) -> str:
    """The SQL sum of money: DuckDB's Kahan sum (as pandas adds), PostgreSQL's own."""
    return "sum" if isinstance(con, PgConnection) else "fsum"


def _order(con) -> str:
    return "pmo_row" if isinstance(con, PgConnection) else "rowid"


def _in_written_order(con) -> str:
    """Rows in the order the ingest wrote them, on both stores (DuckDB returns a filtered
    table's rows in an order of its own, which differs between its .df() and Arrow results)."""
    return f" ORDER BY {_order(con)}"


def _sql_type(con, kind: str) -> str:
    return (
        "DOUBLE PRECISION"
        if isinstance(con, PgConnection) and kind == "float"
        else (DUCKDB_TYPES[kind])
    )


def version(store: Path | str) -> tuple:
    """What changes whenever the store's contents do: a file's time and size (and its write-ahead
    log's: a commit stays there until DuckDB checkpoints it into the file), a server's snapshots
    (each one's date, fingerprint and time of ingest)."""
    if not is_server(store):
        stat = Path(store).stat()
        try:
            wal = Path(f"{store}.wal").stat()
            logged = (wal.st_mtime_ns, wal.st_size)
        except OSError:
            logged = None
        return (stat.st_mtime_ns, stat.st_size, logged)
    with reading(store) as con:
        rows = con.execute(
            "SELECT as_of, fingerprint, ingested_at FROM snapshots ORDER BY as_of"
        ).fetchall()
    return tuple(map(str, rows))


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
    "benefits": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "decisions": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "actions": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "change_requests": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    "status_reports": f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})",
    # Either end in the portfolio: a dependency across portfolios shows in both.
    "dependencies": (
        f"$p IS NULL OR project_id IN ({_PROJECTS_IN_SCOPE})"
        f" OR supplier_project_id IN ({_PROJECTS_IN_SCOPE})"
    ),
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


def _create_schema(con: duckdb.DuckDBPyConnection | PgConnection) -> None:
    for table in TABLES.values():
        columns = ", ".join(f"{c.name} {_sql_type(con, c.type)}" for c in table.columns)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {table.name}"
            f" (as_of DATE NOT NULL, {columns}{_row_column(con)})"
        )
    con.execute(
        "CREATE TABLE IF NOT EXISTS snapshots (as_of DATE PRIMARY KEY, ingested_at TIMESTAMP,"
        " source VARCHAR, fingerprint VARCHAR, row_counts VARCHAR)"
    )
    columns = ", ".join(f'"{c}" {t}' for c, t in _LOG_TYPES.items())
    con.execute(
        f"CREATE TABLE IF NOT EXISTS ingest_log (as_of DATE NOT NULL, {columns}{_row_column(con)})"
    )
    con.execute(  # an enterprise store's functions: which function each portfolio belongs to
        "CREATE TABLE IF NOT EXISTS functions (as_of DATE NOT NULL, function VARCHAR NOT NULL,"
        " portfolio VARCHAR NOT NULL)"
    )


def write_snapshot(
    store: Path | str,
    frames: dict[str, pd.DataFrame],
    as_of: date,
    source: str,
    log: pd.DataFrame | None = None,
    functions: pd.DataFrame | None = None,
) -> dict[str, int]:
    """Replace the snapshot as_of with frames, its ingest log (None: no entries) and, in an
    enterprise store, its portfolios' functions (function, portfolio; None: none), in one
    transaction: all of it lands or none.

    Tables absent from frames are stored empty for this as_of. Returns row counts per table.
    """
    if log is not None and list(log.columns) != list(ingest_log.COLUMNS):
        raise ValueError(f"log: expected the columns {', '.join(ingest_log.COLUMNS)}")
    server = is_server(store)
    if not server:
        store = Path(store)
        store.parent.mkdir(parents=True, exist_ok=True)
    existed = server or store.exists()
    counts = {name: len(frames.get(name, ())) for name in TABLES}
    try:
        con = _connect(store, read_only=False)
    except duckdb.Error as exc:
        if not existed:
            _remove(store)
        problem = trouble(store, exc, writing=True)
        raise problem or PMOError(f"{store}: cannot open the store for writing: {exc}") from exc
    try:
        if existed and not server:
            _verify(con)  # refuse to add to a damaged store
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
                f"INSERT INTO {name} (as_of, {columns}{_row_into(con)}) SELECT ?::DATE,"
                f" {columns}{_row_number(con)} FROM incoming",
                [as_of],
            )
            con.unregister("incoming")
        con.execute("DELETE FROM ingest_log WHERE as_of = ?", [as_of])
        if log is not None and len(log):
            con.register("incoming_log", log.astype(ingest_log.DTYPES))
            con.execute(
                f"INSERT INTO ingest_log (as_of, {_LOG_COLUMNS}{_row_into(con)})"
                f" SELECT ?::DATE, {_LOG_COLUMNS}{_row_number(con)} FROM incoming_log",
                [as_of],
            )
            con.unregister("incoming_log")
        con.execute("DELETE FROM functions WHERE as_of = ?", [as_of])
        if functions is not None and len(functions):
            con.register("incoming_functions", functions[["function", "portfolio"]].astype(str))
            con.execute(
                "INSERT INTO functions (as_of, function, portfolio) SELECT ?::DATE, function,"
                " portfolio FROM incoming_functions",
                [as_of],
            )
            con.unregister("incoming_functions")
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
    except BaseException as exc:
        # A failed COMMIT (a full disk) has already ended the transaction: the first error is
        # the one to report, not "cannot rollback - no transaction is active".
        with contextlib.suppress(Exception):
            con.execute("ROLLBACK")
        with contextlib.suppress(Exception):
            con.close()
        if not existed:
            _remove(store)
        problem = trouble(store, exc, writing=True) if isinstance(exc, Exception) else None
        if problem is not None:
            raise problem from exc
        if server and type(exc).__module__.startswith("psycopg"):
            raise PMOError(
                f"{redact(str(store))}: the snapshot of {as_of} was not written, and the store is"
                f" as it was: {str(exc).strip().splitlines()[0]}"
            ) from exc
        raise
    try:
        con.close()
    except duckdb.Error as exc:  # the checkpoint at close found the disk full: the WAL holds it
        log.warning("%s: %s", store, exc)
    return counts


def clear(store: Path | str) -> None:
    """Remove every snapshot: a store file (with its write-ahead log), or a database's tables."""
    if not is_server(store):
        _remove(Path(store))
        return
    con = _connect(store, read_only=False)
    try:
        con.execute("BEGIN")
        for name in [*TABLES, "snapshots", "ingest_log", "functions"]:
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute("COMMIT")
    finally:
        con.close()


def _remove(store: Path) -> None:
    """A store this write created, with its write-ahead log."""
    store.unlink(missing_ok=True)
    Path(f"{store}.wal").unlink(missing_ok=True)


def _verify(con: duckdb.DuckDBPyConnection) -> None:
    """Read every block of every table (DuckDB checks each block's checksum as it reads it): a
    store cut short or with a flipped bit is found here, not half-way through a run."""
    if isinstance(con, PgConnection):
        return  # the server keeps its own pages' checksums
    tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    for (name,) in tables:
        con.execute(f'SELECT count(*), sum(hash(t)) FROM "{name}" t').fetchall()


def verify(store: Path | str) -> None:
    """Raise StoreDamaged when any stored block cannot be read back as written."""
    with reading(store) as con:
        _verify(con)


def connect_read_only(store: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection, once no other process writes the store (waiting up to
    wait_seconds()); a busy or damaged store is a PMOError that says so."""
    if is_server(store):
        return _connect(store, read_only=True)
    store = Path(store)
    if not store.exists():
        raise PMOError(
            f"{store}: no store there; run `python run_reports.py demo` for demo data, or"
            " `python run_reports.py ingest FOLDER --as-of YYYY-MM-DD` to load your exports"
        )
    try:
        return _connect(store, read_only=True)
    except duckdb.Error as exc:
        raise trouble(store, exc) or PMOError(f"{store}: cannot open the store ({exc})") from exc


@contextlib.contextmanager
def reading(store: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """connect_read_only as a block: an error reading a damaged block inside it says so.

    One DuckDB read at a time in a process: the filter panel's prefetch thread and the
    analyst's cells both read, and DuckDB's Python client, opening and closing connections to
    one file from two threads, once lost its pandas scan mid-read ("Table Function with name
    pandas_scan does not exist", seen in JupyterLab). A PostgreSQL server needs no such care."""
    with contextlib.nullcontext() if is_server(store) else _DUCKDB_READS:
        con = connect_read_only(store)
        if not is_server(store):
            _hold(store)  # joins the database con opened
        try:
            yield con
        except duckdb.Error as exc:
            problem = trouble(store, exc)
            if problem is None:
                raise
            raise problem from exc
        finally:
            con.close()
            if not is_server(store):
                _let_go(store)


_DUCKDB_READS = threading.RLock()
_HELD: dict[str, list] = {}  # a held DuckDB file -> [its open connection or None, holders]


@contextlib.contextmanager
def held(store: Path | str | None) -> Iterator[None]:
    """Keep a DuckDB file open for a block of reads (a page's section), from its first read
    (a block that reads nothing opens nothing): each later read's connection joins the open
    database (0.03 ms) instead of opening the file again (15 ms, and 3 ms to close: 1.4 s of
    the 100x executive summary's 76 reads). What a read brought into DuckDB's memory is let go
    after it (_let_go), as when each read opened its own. The block's reads see one state of
    the store; another process's ingest waits for the block as it waits for any read (up to
    wait_seconds()). Nothing is held for a server."""
    key = str(store) if store is not None and not is_server(store) else None
    if key is None:
        yield
        return
    with _DUCKDB_READS:
        entry = _HELD.setdefault(key, [None, 0])
        entry[1] += 1
    try:
        yield
    finally:
        with _DUCKDB_READS:
            entry[1] -= 1
            if not entry[1]:
                del _HELD[key]
                if entry[0] is not None:
                    entry[0].close()


def _hold(store: Path | str) -> None:
    """Open a held file's connection at its block's first read (see held), beside the read's
    own (which opened the database: this one joins it)."""
    entry = _HELD.get(str(store))
    if entry is not None and entry[0] is None:
        with contextlib.suppress(duckdb.Error):  # the read itself says what is wrong
            entry[0] = _connect(store, read_only=True)


def _let_go(store: Path | str) -> None:
    """Empty a held database's buffer memory after a read (DuckDB gives up its cached blocks
    when its memory limit drops below them): without this a held 100x store kept 50-130 MB of
    blocks a page had read once."""
    entry = _HELD.get(str(store))
    if entry is None or entry[0] is None:
        return
    with contextlib.suppress(duckdb.Error):
        entry[0].execute("SET memory_limit = '1MB'")
    with contextlib.suppress(duckdb.Error):
        entry[0].execute("RESET memory_limit")


def _per_version(function):
    """Remember a small read of a DuckDB file until the file changes (store.version): a report
    asks for the snapshots' list, the ingest log and the functions several times, and each
    connection costs 12 ms. A server is asked each time."""
    kept: dict[tuple, object] = {}
    lock = threading.Lock()

    @functools.wraps(function)
    def cached(store: Path | str, *args):
        try:
            key = (str(store), version(store), args) if not is_server(store) else None
        except OSError:
            key = None  # no such file: the read says so
        if key is None:
            return function(store, *args)
        with lock:
            found = kept.get(key, _MISSING)
        if found is _MISSING:
            found = function(store, *args)
            with lock:
                kept[key] = found
                while len(kept) > 64:
                    kept.pop(next(iter(kept)))
        if isinstance(found, pd.DataFrame):
            return found.copy(deep=False)
        return dict(found) if isinstance(found, dict) else found  # a tuple as it is

    cached.cache_clear = kept.clear
    return cached


_MISSING = object()


@_per_version
def list_snapshots(store: Path | str) -> pd.DataFrame:
    """The snapshots in the store, oldest first: as_of, ingested_at, source, fingerprint and
    row_counts (JSON: table -> rows in the whole snapshot, as written)."""
    with reading(store) as con:
        if not _has_table(con, "snapshots"):
            raise PMOError(f"{redact(str(store))}: not a PMO Reports store (no snapshots table)")
        frame = con.execute(
            "SELECT as_of, ingested_at, source, fingerprint, row_counts FROM snapshots"
            " ORDER BY as_of"
        ).df()
    return frame.astype({"as_of": "datetime64[us]", "ingested_at": "datetime64[us]"})


@_per_version
def stored_tables(store: Path | str) -> tuple[str, ...]:
    """The model's tables the store holds (_stored_tables), asked once per state of a DuckDB
    file: 53 reads of the 100x summary asked 5 ms each."""
    with reading(store) as con:
        return tuple(_stored_tables(con))


def _stored_tables(con) -> list[str]:
    """The model's tables this store holds: all, less the optional tables a store written
    before them lacks (read as empty). One query on DuckDB (a query each took 0.4 s of the
    100x summary's reads)."""
    if isinstance(con, PgConnection):
        return [n for n in TABLES if n not in OPTIONAL_TABLES or _has_table(con, n)]
    held = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
        ).fetchall()
    }
    return [n for n in TABLES if n not in OPTIONAL_TABLES or n in held]


def load_tables(
    store: Path | str, as_of: date, portfolio: str | None, names: Iterable[str] | None = None
) -> dict[str, pd.DataFrame]:
    """These tables' rows (default: every table's) for one snapshot, scoped in the query to one
    portfolio (None = all)."""
    wanted = list(TABLES if names is None else names)
    stored = stored_tables(store)
    with reading(store) as con:
        return {
            name: _model_rows(con, name, "TRUE", {"a": as_of, "p": portfolio})
            if name in stored
            else _empty(name)  # an optional table an older store lacks
            for name in wanted
        }


def rows_where(
    store: Path | str, as_of: date, portfolio: str | None, name: str, where: str
) -> pd.DataFrame:
    """A table's rows of one snapshot in a portfolio's scope (None = all) that also meet where,
    SQL over the table's columns ($a: the as-of date): load_tables' columns, dtypes and order,
    for a check that lists a few rows of a million (the data-quality checks' first cut)."""
    if name not in stored_tables(store):  # an optional table an older store lacks
        return _empty(name)
    with reading(store) as con:
        return _model_rows(con, name, where, {"a": as_of, "p": portfolio})


def _model_rows(con, name: str, where: str, params: dict) -> pd.DataFrame:
    """A table's rows in the scope meeting where (_scoped_rows), in the model's dtypes."""
    return _typed(_frame(con, _scoped_rows(con, name, where), params, model=True), name)


def _scoped_rows(con, name: str, where: str) -> str:
    """SQL for a table's rows of snapshot $a in portfolio $p's scope meeting where, as written."""
    columns = ", ".join(TABLES[name].column_names)
    return (
        f"SELECT {columns} FROM {name} WHERE as_of = $a AND ({SCOPE_FILTERS[name]})"
        f" AND ({where})" + _in_written_order(con)
    )


def financial_months(store: Path | str, as_of: date, portfolio: str | None) -> pd.DataFrame:
    """One snapshot's financial rows in a portfolio's scope (None = all), summed per project and
    month in the query (metrics.spend.project_months' columns and figures; Kahan sums on DuckDB,
    as pandas adds): a fifth of the rows, and no text but the project's."""
    with reading(store) as con:
        add = _sum(con)
        sums = ", ".join(
            f"coalesce({add}(amount) FILTER (WHERE measure = '{m}'), 0) AS {m}"
            for m in ("plan", "actual", "forecast")
        )
        query = (
            f"SELECT project_id, period, {sums},"
            " count(*) FILTER (WHERE measure = 'actual') > 0 AS booked FROM financials"
            f" WHERE as_of = $a AND ({SCOPE_FILTERS['financials']})"
            " AND project_id IS NOT NULL AND period IS NOT NULL"
            " GROUP BY project_id, period ORDER BY project_id, period"
        )
        frame = _frame(con, query, {"a": as_of, "p": portfolio}, dates=True)
    return frame.astype(MONTH_DTYPES)


MONTH_DTYPES = {  # financial_months' columns (and metrics.spend.project_months')
    "project_id": "str",
    "period": "datetime64[us]",
    "plan": "float64",
    "actual": "float64",
    "forecast": "float64",
    "booked": "bool",
}


def booked_months(
    store: Path | str, as_of: date, portfolio: str | None, by: str = "resource_id"
) -> pd.DataFrame:
    """One snapshot's bookings in a portfolio's scope summed per person (by resource_id) or
    project (by project_id) and month in the query (metrics.resourcing.booked_months' columns
    and figures): planned hours, timesheet hours (blank where none is given), and the planned
    hours on projects and on other work. At 100x, 450,000 person-months of 1.1 M rows."""
    if by not in ("resource_id", "project_id"):
        raise ValueError(f"booked_months: by {by!r}")
    with reading(store) as con:
        add = _sum(con)
        query = (
            f"SELECT {by}, period, coalesce({add}(planned_hours), 0) AS planned_hours,"
            f" {add}(actual_hours) AS actual_hours,"
            f" coalesce({add}(planned_hours) FILTER (WHERE project_id IS NOT NULL), 0)"
            " AS project_hours,"
            f" coalesce({add}(planned_hours) FILTER (WHERE project_id IS NULL), 0) AS bau_hours"
            f" FROM allocations WHERE as_of = $a AND ({SCOPE_FILTERS['allocations']})"
            f" AND {by} IS NOT NULL AND period IS NOT NULL GROUP BY {by}, period"
            f" ORDER BY {by}, period"
        )
        frame = _frame(con, query, {"a": as_of, "p": portfolio}, dates=True)
    return frame.astype(booked_dtypes(by))


def booked_dtypes(by: str) -> dict[str, str]:
    """booked_months' columns (and metrics.resourcing.booked_months')."""
    hours = ("planned_hours", "actual_hours", "project_hours", "bau_hours")
    return {by: "str", "period": "datetime64[us]", **dict.fromkeys(hours, "float64")}


def rows_among(
    store: Path | str, as_of: date, portfolio: str | None, name: str, column: str, values
) -> pd.DataFrame:
    """A table's rows of one snapshot in a portfolio's scope whose column holds one of values:
    load_tables' columns, dtypes and order (the bookings of the over-allocated people)."""
    if name not in stored_tables(store):  # an optional table an older store lacks
        return _empty(name)
    with reading(store) as con:
        con.register("wanted", pd.DataFrame({"value": pd.Series(list(values), dtype="str")}))
        try:
            where = f"{column} IN (SELECT value FROM wanted)"
            return _model_rows(con, name, where, {"a": as_of, "p": portfolio})
        finally:
            con.unregister("wanted")


def financial_checks(
    store: Path | str, as_of: date, portfolio: str | None, last_closed: date
) -> pd.DataFrame:
    """The project-months the spend page's hygiene checks list (metrics.spend.project_checks'
    columns and counts): a forecast row not zero (a blank one counts) in a closed month (up to
    last_closed), or a negative amount; counted in the query, a few rows of a million."""
    with reading(store) as con:
        add = _sum(con)
        stale = (
            "count(*) FILTER (WHERE measure = 'forecast' AND period <= $c"
            " AND amount IS DISTINCT FROM 0)"
        )
        query = (
            f"SELECT project_id, period, {stale} AS stale_forecast_rows,"
            " count(*) FILTER (WHERE amount < 0) AS negative_rows,"
            f" coalesce({add}(amount) FILTER (WHERE amount < 0), 0) AS negative_amount"
            f" FROM financials WHERE as_of = $a AND ({SCOPE_FILTERS['financials']})"
            " AND project_id IS NOT NULL AND period IS NOT NULL GROUP BY project_id, period"
            f" HAVING {stale} > 0 OR count(*) FILTER (WHERE amount < 0) > 0"
            " ORDER BY project_id, period"
        )
        frame = _frame(con, query, {"a": as_of, "p": portfolio, "c": last_closed}, dates=True)
    return frame.astype(CHECK_DTYPES)


CHECK_DTYPES = {  # financial_checks' columns (and metrics.spend.project_checks')
    "project_id": "str",
    "period": "datetime64[us]",
    "stale_forecast_rows": "int64",
    "negative_rows": "int64",
    "negative_amount": "float64",
}


def financial_mix(
    store: Path | str,
    as_of: date,
    portfolio: str | None,
    by: str,
    year: tuple[date, date],
    last_closed: date,
) -> pd.DataFrame:
    """One snapshot's FY Plan and Outlook per cost category or expense type (by; blank as
    "(not given)") over the fiscal year (first and last month), summed in the query as
    metrics.spend.fy_by_project sums them by that column: a forecast of a closed month counts
    where its project has no actual row that month; months up to last_closed are closed."""
    if by not in ("cost_category", "expense_type"):
        raise ValueError(f"financial_mix: by {by!r}")
    with reading(store) as con:
        add = _sum(con)
        query = (
            "WITH f AS (SELECT project_id, period, measure, amount, "
            f"{by} AS k FROM financials WHERE as_of = $a AND ({SCOPE_FILTERS['financials']})"
            " AND period >= $s AND period <= $e),"
            " booked AS (SELECT DISTINCT project_id, period FROM f"
            " WHERE measure = 'actual' AND period <= $c)"
            f" SELECT coalesce(f.k, '(not given)') AS {by},"
            f" coalesce({add}(f.amount) FILTER (WHERE f.measure = 'plan'), 0) AS fy_plan,"
            f" coalesce({add}(f.amount) FILTER (WHERE (f.measure = 'actual' AND f.period <= $c)"
            " OR (f.measure = 'forecast' AND (f.period > $c OR b.project_id IS NULL))), 0)"
            " AS fy_outlook"
            " FROM f LEFT JOIN booked b ON b.project_id = f.project_id AND b.period = f.period"
            " GROUP BY 1 ORDER BY 1"
        )
        params = {"a": as_of, "p": portfolio, "s": year[0], "e": year[1], "c": last_closed}
        frame = _frame(con, query, params)
    return frame.astype({by: "str", "fy_plan": "float64", "fy_outlook": "float64"})


@_per_version
def load_ingest_log(store: Path | str, as_of: date) -> pd.DataFrame:
    """The ingest log of one snapshot (pmo_lib.ingest_log.COLUMNS), in the order written;
    empty for a snapshot without entries, or a store older than the log."""
    with reading(store) as con:
        has_log = _has_table(con, "ingest_log")
        if not has_log:
            return ingest_log.empty()
        frame = con.execute(
            f"SELECT {_LOG_COLUMNS} FROM ingest_log WHERE as_of = $a ORDER BY {_order(con)}",
            {"a": as_of},
        ).df()
    return frame.astype(ingest_log.DTYPES) if len(frame) else ingest_log.empty()


@_per_version
def load_functions(store: Path | str, as_of: date) -> dict[str, str]:
    """Portfolio -> its function, in a store that enterprise feeds filled (ingest --feed); empty
    for one function's own store, or a store older than the table."""
    with reading(store) as con:
        if not _has_table(con, "functions"):
            return {}
        rows = con.execute(
            "SELECT portfolio, function FROM functions WHERE as_of = $a ORDER BY portfolio",
            {"a": as_of},
        ).fetchall()
    return dict(rows)


def dependency_ends(store: Path | str, as_of: date, ends: pd.DataFrame) -> pd.DataFrame:
    """For these (project_id, milestone) ends of dependencies, whatever their portfolio: the
    project's name, portfolio and status and the milestone's dates; nothing else of the other
    portfolio (a blank milestone: the project's row alone)."""
    columns = [
        "project_id",
        "milestone",
        "project_name",
        "portfolio",
        "status",
        "forecast_finish",
        "baseline_date",
        "forecast_date",
        "actual_date",
    ]
    if ends.empty:
        return pd.DataFrame(columns=columns)
    wanted = ends[["project_id", "milestone"]].astype(object).drop_duplicates()
    with reading(store) as con:
        con.register("wanted_ends", wanted.astype({"project_id": "str", "milestone": "str"}))
        frame = _frame(
            con,
            "SELECT w.project_id, w.milestone, p.project_name, p.portfolio, p.status,"
            " p.forecast_finish, m.baseline_date, m.forecast_date, m.actual_date"
            " FROM wanted_ends w JOIN projects p ON p.project_id = w.project_id AND p.as_of = $a"
            " LEFT JOIN milestones m ON m.project_id = w.project_id AND m.milestone = w.milestone"
            " AND m.as_of = $a",
            {"a": as_of},
        )
        con.unregister("wanted_ends")
    return frame[columns]


def row_counts(
    store: Path | str, as_of: date, portfolio: str | None, names: Iterable[str] | None = None
) -> dict[str, int]:
    """Rows per table (these tables, default all) in one snapshot, scoped to one portfolio
    (None = all)."""
    stored = stored_tables(store)
    with reading(store) as con:
        return {
            name: con.execute(
                f"SELECT count(*) FROM {name} WHERE as_of = $a AND ({SCOPE_FILTERS[name]})",
                {"a": as_of, "p": portfolio},
            ).fetchone()[0]
            if name in stored
            else 0
            for name in (TABLES if names is None else names)
        }


def resource_load(store: Path | str, as_of: date, resource_ids: list[str]) -> pd.DataFrame:
    """Every hour booked to each of these people per month, in any portfolio: totals only, so a
    portfolio's report sees how loaded its people are without seeing other portfolios' projects."""
    with reading(store) as con:
        con.register("wanted", pd.DataFrame({"resource_id": pd.Series(resource_ids, dtype="str")}))
        frame = _frame(
            con,
            "SELECT resource_id, period, SUM(planned_hours) AS planned_hours FROM allocations"
            " WHERE as_of = $a AND resource_id IN (SELECT resource_id FROM wanted)"
            " GROUP BY resource_id, period ORDER BY resource_id, period",
            {"a": as_of},
            dates=True,
        )
    return frame.astype(
        {"resource_id": "str", "period": "datetime64[us]", "planned_hours": "float64"}
    )


_RESOURCE_LOAD = (  # the bookings of the scope's people, in any portfolio
    "resource_id IN (SELECT r.resource_id FROM resources r WHERE r.as_of = $a AND ("
    + SCOPE_FILTERS["resources"]
    + "))"
)


def scope_prints(store: Path | str, up_to: date, portfolios: list[str | None]) -> dict:
    """A content hash per portfolio (None = the whole function) of what its reports read: its
    rows (SCOPE_FILTERS) of every table in every snapshot up to up_to, the hours its people
    have booked in any portfolio (resource_load), and the ingest log's entries about it. A
    change to one portfolio's rows changes its print and the function's, not the others'."""
    return scope_prints_and_rows(store, up_to, portfolios)[0]


def scope_prints_and_rows(
    store: Path | str, up_to: date, portfolios: list[str | None], by_date: bool = False
) -> tuple[dict, dict]:
    """scope_prints, and each portfolio's rows per table in the snapshot of up_to (row_counts),
    counted by the same queries (the plan of 48 portfolios asked row_counts 49 times: 2 s).
    by_date: each portfolio's print at every snapshot up to up_to instead ({portfolio:
    {YYYY-MM-DD: print}}, each the print scope_prints gives with that date as up_to: what an
    answer about an earlier snapshot depends on), from the same queries."""
    rows_now = {p: dict.fromkeys(TABLES, 0) for p in portfolios}
    lines: dict[str | None, list[tuple[date, bytes]]] = {p: [] for p in portfolios}
    filters = {name: SCOPE_FILTERS[name] for name in TABLES}
    filters["resource_load"] = _RESOURCE_LOAD
    filters["ingest_log"] = "$p IS NULL OR portfolio = $p"
    with reading(store) as con:
        dates = {up_to} | {
            pd.Timestamp(row[0]).date()
            for row in con.execute(
                "SELECT as_of FROM snapshots WHERE as_of <= $u", {"u": up_to}
            ).fetchall()
        }
        if not _has_table(con, "ingest_log"):
            del filters["ingest_log"]
        for name in set(TABLES) - set(_stored_tables(con)):
            del filters[name]
        for name, rows in _scope_rows(con, filters, up_to, portfolios):
            for portfolio, as_of, count, total in sorted(rows, key=lambda r: str(r[:2])):
                day = pd.Timestamp(as_of).date()
                lines[portfolio].append((day, f"{name}|{as_of}|{count}|{total};".encode()))
                if name in TABLES and day == up_to:
                    rows_now[portfolio][name] = count

    def printed(portfolio: str | None, until: date) -> str:
        digest = hashlib.sha256()
        for day, line in lines[portfolio]:
            if day <= until:
                digest.update(line)
        return digest.hexdigest()[:16]

    if by_date:
        every = sorted(dates)
        return {p: {d.isoformat(): printed(p, d) for d in every} for p in portfolios}, rows_now
    return {p: printed(p, up_to) for p in portfolios}, rows_now


def _scope_rows(con, filters: dict[str, str], up_to: date, portfolios: list[str | None]):
    """(name, [(portfolio, as_of, rows, sum of the rows' hashes)]) per filter. DuckDB answers
    each table in one query, every scope and snapshot at once (the filters made correlated);
    PostgreSQL does not decorrelate those, so it is asked per scope and snapshot."""
    row_hash = _row_hash(con, "t")
    table = {"resource_load": "allocations"}
    if isinstance(con, PgConnection):
        dates = [
            r[0]
            for r in con.execute(
                "SELECT as_of FROM snapshots WHERE as_of <= $u ORDER BY as_of", {"u": up_to}
            ).fetchall()
        ]
        for name, where in filters.items():
            query = (
                f"SELECT count(*), sum({row_hash}) FROM {table.get(name, name)} t"
                f" WHERE as_of = $a AND ({where})"
            )
            rows = []
            for portfolio in portfolios:
                for day in dates:
                    count, total = con.execute(query, {"a": day, "p": portfolio}).fetchall()[0]
                    if count:
                        rows.append((portfolio, day, count, total))
            yield name, rows
        return
    named = [p for p in portfolios if p is not None]
    for name, where in filters.items():
        rows = []
        if None in portfolios:  # the function: no scope to join (at 100x: 0.1 s, not 1.5 s)
            whole = (  # "$p IS NULL OR ...": every row, and no subquery for DuckDB to plan
                "TRUE"
                if where.startswith("$p IS NULL OR ")
                else where.replace("$p", "NULL").replace("$a", "t.as_of")
            )
            query = (
                f"SELECT t.as_of, count(*), sum({row_hash}) FROM {table.get(name, name)} t"
                f" WHERE t.as_of <= $u AND ({whole}) GROUP BY t.as_of"
            )
            rows += [(None, *row) for row in con.execute(query, {"u": up_to}).fetchall()]
        joined = _joined_scopes(where, table.get(name, name), row_hash)
        if joined:  # each row's portfolios by joins, every scope at once
            query = (
                f"SELECT portfolio, as_of, count(*), sum(h) FROM ({joined}) j"
                " WHERE portfolio IN (SELECT scope_portfolio FROM wanted) GROUP BY 1, 2"
            )
            chunks = [named] if named else []
        else:
            correlated = where.replace("$p", "s.scope_portfolio").replace("$a", "t.as_of")
            query = (
                f"SELECT s.scope_portfolio, t.as_of, count(*), sum({row_hash})"
                f" FROM {table.get(name, name)} t, wanted s WHERE t.as_of <= $u AND"
                f" ({correlated}) GROUP BY s.scope_portfolio, t.as_of"
            )
            # a few portfolios at a time: DuckDB holds every row once per scope joined (48
            # portfolios of the 1,000-page benchmark at once: 2.5 GB; 8: 1 GB; 4: 0.6 GB, as
            # fast; 2: 0.35 GB, a fifth slower)
            step = _SCOPES_AT_ONCE
            chunks = [named[start : start + step] for start in range(0, len(named), step)]
        for chunk in chunks:
            scoped = pd.Series(chunk, dtype="object")
            con.register("wanted", pd.DataFrame({"scope_portfolio": scoped}))
            rows += con.execute(query, {"u": up_to}).fetchall()
        yield name, rows


_SCOPES_AT_ONCE = 4


def _parents(key: str, table: str) -> str:
    """Each key's portfolios in each snapshot (an id two portfolios share: both)."""
    return f"(SELECT DISTINCT as_of, {key}, portfolio FROM {table} WHERE as_of <= $u)"


def _joined_scopes(where: str, table: str, row_hash: str) -> str | None:
    """For a scope filter whose rows belong to their parent row's portfolio (a project's rows,
    a request's history, a booking: its project's or, unassigned, its person's home; a person:
    their home's and those of the projects they are booked on; the bookings of those people),
    SQL of (portfolio, as_of, h: the row's hash) per row and portfolio, by joins that read each
    row once; None for another filter (asked per scope). The correlated filters joined every row
    with every scope: at 48 portfolios, 0.6 s each for financials and allocations; tested
    equal (tests/test_batch.py)."""

    def by(key: str, parents: str, extra: str = "") -> str:
        return (
            f"SELECT p.portfolio, t.as_of, {row_hash} AS h FROM {table} t"
            f" JOIN {_parents(key, parents)} p ON p.as_of = t.as_of AND p.{key} = t.{key}"
            f" WHERE t.as_of <= $u{extra}"
        )

    if where == SCOPE_FILTERS["financials"]:
        return by("project_id", "projects")
    if where == SCOPE_FILTERS["demand_stage_history"]:
        return by("demand_id", "demand")
    if where == SCOPE_FILTERS["allocations"]:  # the two kinds of booking are apart
        unassigned = by("resource_id", "resources", " AND t.project_id IS NULL")
        return f"{by('project_id', 'projects')} UNION ALL {unassigned}"
    # a person (a row of resources) is in their home's scope and in those they are booked in
    booked = (
        f"SELECT DISTINCT a.as_of, a.resource_id, p.portfolio FROM allocations a"
        f" JOIN {_parents('project_id', 'projects')} p"
        " ON p.as_of = a.as_of AND p.project_id = a.project_id WHERE a.as_of <= $u"
    )
    members = (
        "SELECT rowid AS rid, portfolio FROM resources WHERE as_of <= $u UNION"
        f" SELECT r.rowid, b.portfolio FROM resources r JOIN ({booked}) b"
        " ON b.as_of = r.as_of AND b.resource_id = r.resource_id WHERE r.as_of <= $u"
    )
    if where == SCOPE_FILTERS["resources"]:
        return (
            f"SELECT m.portfolio, t.as_of, {row_hash} AS h FROM resources t"
            f" JOIN ({members}) m ON m.rid = t.rowid"
        )
    if where == _RESOURCE_LOAD:
        people = (
            "SELECT DISTINCT r.as_of, r.resource_id, m.portfolio FROM resources r"
            f" JOIN ({members}) m ON m.rid = r.rowid"
        )
        return (
            f"SELECT p.portfolio, t.as_of, {row_hash} AS h FROM {table} t"
            f" JOIN ({people}) p ON p.as_of = t.as_of AND p.resource_id = t.resource_id"
            " WHERE t.as_of <= $u"
        )
    return None


def portfolios_with_data(store: Path | str, as_of: date) -> list[str]:
    with reading(store) as con:
        rows = con.execute(
            "SELECT DISTINCT portfolio FROM (SELECT portfolio FROM projects WHERE as_of = $a"
            " UNION SELECT portfolio FROM demand WHERE as_of = $a) AS named ORDER BY 1",
            {"a": as_of},
        ).fetchall()
    return [r[0] for r in rows]


def _frame(con, query: str, params: dict, model: bool = False, dates: bool = False) -> pd.DataFrame:
    """A query's rows as a frame. From DuckDB through Arrow: its .df() hands pandas Python
    strings, which pandas 3 turns into Arrow strings one by one (3 of the 11 s of a health page
    at 100× the demo). dates: its dates as datetime64, not Python dates (a sum per month that
    becomes datetime64 next: 0.16 s of the 100x summary parsed them back)."""
    if isinstance(con, PgConnection):
        return con.execute(query, params).df()
    rows = con.sql(query, params=params).to_arrow_table()
    if not rows.num_rows:  # its columns hold no Arrow chunk, which breaks pandas' merges
        return con.execute(query, params).df()
    if not model:
        return rows.to_pandas(date_as_object=not dates)
    # a model table's dates as datetime64 and numbers as its nullable types straight from
    # Arrow: cast from Python dates and floats they took a third of a small store's reads
    return rows.to_pandas(date_as_object=False, types_mapper=_NULLABLE.get)


_NULLABLE = {
    pa.float64(): pd.Float64Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.int32(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def _typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The model's dtypes (DuckDB hands back object/float columns for empty or all-null data,
    Arrow dates in milliseconds): only the columns that differ are cast."""
    differ = {
        column: dtype
        for column, dtype in TABLES[name].dtypes.items()
        if frame[column].dtype != dtype
    }
    return frame.astype(differ) if differ else frame


def _empty(name: str) -> pd.DataFrame:
    """A table's columns, no rows, in the model's dtypes."""
    return _typed(pd.DataFrame(columns=TABLES[name].column_names), name)


# -- showing a source ------------------------------------------------------------------------
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# Query parameters and key=value settings that hold a secret.
_SECRET_KEYS = frozenset(
    [
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "token",
        "access_token",
        "auth_token",
        "api_key",
        "apikey",
        "access_key",
        "secret_key",
        "client_secret",
        "sig",
        "signature",
    ]
)
_SECRET_SETTING = re.compile(
    r"\b(" + "|".join(sorted(_SECRET_KEYS, key=len, reverse=True)) + r")(\s*=\s*)"
    r"('[^']*'|\"[^\"]*\"|[^\s&;,)#]+)",
    re.IGNORECASE,
)


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # not parseable as a URL (a bad port, brackets): hide all but the scheme
        return url.split("://", 1)[0] + "://***"
    netloc = parts.netloc
    if "@" in netloc:  # user:password@host; the password may hold '@' and ':' itself
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:***@{host}" if colon else netloc
    query = "".join(  # parameters split at & and ; (kept), each secret's value hidden
        f"{key}=***" if eq and unquote_plus(key).strip().lower() in _SECRET_KEYS else part
        for part in re.split(r"([&;])", parts.query)
        for key, eq, _ in [part.partition("=")]
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact(source: str) -> str:
    """A source for display, every secret replaced by ***: the password of a URL
    (scheme://user:secret@host, where the password may hold @ and :), a query parameter
    (?password=..., token, api_key, ...) and a key=value setting (password=... in a DSN)."""
    text = _URL.sub(lambda m: _redact_url(m.group(0)), str(source))
    return _SECRET_SETTING.sub(
        lambda m: m.group(0) if m.group(3) == "***" else f"{m.group(1)}{m.group(2)}***", text
    )


def display_source(source: str | Path) -> str:
    """A source as a page shows it: redacted, and a local path relative to the project, or by
    its name alone outside it (a reader has no business with the server's folders). A mapped
    ingest's '(mapping x.yaml)' is kept."""
    from pmo_lib.params import PROJECT_ROOT

    text = redact(str(source))
    if "://" in text:
        return text
    path, mapping = re.fullmatch(r"(.*?)((?: \(mapping [^()]*\))?)", text, re.S).groups()
    return shown_path(path, PROJECT_ROOT) + mapping


def shown_path(path: str | Path, root: Path) -> str:
    """A local path relative to root when it lies inside it, else its name alone."""
    given = Path(path)
    if not given.is_absolute():
        return str(given)
    try:
        return str(given.resolve().relative_to(root.resolve()))
    except (ValueError, OSError):
        return given.name or str(given)
