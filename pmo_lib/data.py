"""Load one portfolio's data for a report: the as_of snapshot and the one before it."""

from __future__ import annotations

import functools
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pmo_lib import store
from pmo_lib.errors import PMOError, env_number
from pmo_lib.kernels import SOURCE_ENV
from pmo_lib.params import PROJECT_ROOT

CACHE_ENV = "PMO_CACHE_MB"  # the most the snapshot cache holds
_PROJECT_CHILDREN = (
    "financials",
    "milestones",
    "risks",
    "artifacts",
    "benefits",
    "decisions",
    "actions",
    "change_requests",
    "status_reports",
)


class Tables(Mapping[str, pd.DataFrame]):
    """A snapshot's tables by name, each read (or narrowed) the first time it is asked for and
    then kept: a health page never holds the million rows of allocations it does not show."""

    def __init__(
        self,
        loaders: dict[str, Callable[[], pd.DataFrame]],
        counters: dict[str, Callable[[], int]] | None = None,
        stored: tuple | None = None,
        together: Iterable[str] = (),
    ) -> None:
        self._loaders = loaders
        self._counters = counters or {}  # a narrowed table's rows, counted without the frame
        self._frames: dict[str, pd.DataFrame] = {}
        # a scope read whole from a store: (store, date, portfolio, _opened()), which its
        # aggregates are asked of (summed, rows_where); None: narrowed, or not from a store
        self.stored = stored
        # the small tables, read together with the first one asked for: their sums and cuts
        # come from their rows (a query would cost more than the rows it spares)
        self.together = frozenset(together)
        self.sums: dict[str, pd.DataFrame] = {}  # aggregates of the tables, computed once

    def rows(self, name: str) -> int:
        """How many rows the table has (a narrowed one's counted, not built: the run's plan
        counts every scope's rows of every table)."""
        if name in self._frames or name not in self._counters:
            return len(self[name])
        return self._counters[name]()

    def release(self, keep: Iterable[str] = ("projects",)) -> None:
        """Let go of the tables read (but those in keep) and of every aggregate of them, here
        and in the snapshot cache; one asked for again is read again. The summary's KPI trail
        does, once an earlier snapshot's figures are computed: a first run over 24 monthly
        snapshots held every one's tables (and at 100x each one's bookings per person and month
        held 23 MB after its tables went)."""
        let_go = [n for n in self._frames if n not in keep] + list(self.sums)
        for name in let_go:
            self._frames.pop(name, None)
            self.sums.pop(name, None)
            if self.stored is not None:
                _stored_tables.drop(_key(*self.stored, name))

    def has_read(self, name: str) -> bool:
        """Whether the table's frame has been built (read, or narrowed)."""
        return name in self._frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        frame = self._frames.get(name)
        if frame is None:
            frame = self._frames[name] = self._loaders[name]()
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)

    def __repr__(self) -> str:
        read = ", ".join(f"{name}: {len(frame)} rows" for name, frame in self._frames.items())
        return f"Tables({read or 'none read yet'}; {len(self) - len(self._frames)} not read)"


@dataclass(frozen=True)
class Snapshot:
    """The canonical tables of one portfolio (or all) as of one date: snapshot['projects']."""

    as_of: pd.Timestamp
    tables: Mapping[str, pd.DataFrame]
    # In a batch run, what its rows are: its portfolio and date, the portfolio's data print up to
    # it (kept.prints_by_date) and how it was narrowed; an answer about it may be kept from one
    # run to the next under this key (kept.value). None: not known (JupyterLab, a test's frames).
    key: tuple | None = field(default=None, compare=False)
    memo_by_key: ClassVar[bool] = True  # pmo_lib.memo knows a keyed snapshot by its key

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    def rows(self, table: str) -> int:
        tables = self.tables
        return tables.rows(table) if isinstance(tables, Tables) else len(tables[table])

    @property
    def is_empty(self) -> bool:
        return self.rows("projects") == 0 and self.rows("demand") == 0

    def in_sub_portfolio(self, sub_portfolio: str) -> Snapshot:
        """Only the rows of one sub-portfolio: its projects and demand, and what hangs off them."""
        return self._narrowed(
            lambda projects: projects["sub_portfolio"] == sub_portfolio,
            lambda demand, _: demand["sub_portfolio"] == sub_portfolio,
            how=("sub_portfolio", sub_portfolio),
        )

    def in_program(self, program: str) -> Snapshot:
        """Only the rows of one program: its projects, what hangs off them, and the demand that
        became one of them (demand carries no program of its own)."""
        return self._narrowed(
            lambda projects: projects["program"] == program,
            lambda demand, pids: among(demand["project_id"], pids),
            how=("program", program),
        )

    def in_portfolio(self, portfolio: str) -> Snapshot:
        """Only one portfolio's rows (for the function-level comparison), scoped as the store
        scopes."""
        return self.in_portfolios({portfolio})

    def portfolio_scope(self, portfolio: str) -> Snapshot:
        """One portfolio's rows, as in_portfolio gives them; of a function's snapshot read
        whole from a store, each table whose narrowing needs a table the function has not read
        is read (or counted) in the portfolio's scope from the store instead, and its sums are
        the store's for that scope: the function's comparison never reads the function's
        million bookings or financial rows to narrow them (at 100x)."""
        narrowed = self.in_portfolio(portfolio)
        t = self.tables
        if not isinstance(t, Tables) or t.stored is None or t.stored[2] is not None:
            return narrowed
        mine, (path, day, _, opened) = narrowed.tables, t.stored
        large = {n for n, count in _stored(path, day)[1].items() if count > SCOPE_READ_ROWS}
        if not large & set(mine):  # no table worth reading per portfolio: narrowed, as before
            return narrowed

        def held(name: str) -> bool:  # read, read with the first table, or not worth sparing
            return t.has_read(name) or name in t.together or name not in large

        # which tables are narrowed in memory changes no row; the sums are the store's either
        # way, so the figures do not depend on what the function's page happened to read
        in_memory = {n for n in mine if all(held(r) for r in _NARROWING_READS.get(n, (n,)))}
        own = snapshot_tables(path, day, portfolio, opened)
        return replace(
            narrowed,
            tables=Tables(
                {n: (mine if n in in_memory else own)._loaders[n] for n in mine},
                {
                    n: counter
                    for n in mine
                    if (counter := (mine if n in in_memory else own)._counters.get(n))
                },
                stored=(path, day, portfolio, opened),
                together=own.together,
            ),
        )

    def in_portfolios(self, portfolios: set[str]) -> Snapshot:
        """Only these portfolios' rows (an enterprise's function: its portfolios)."""
        return self._narrowed(
            lambda projects: projects["portfolio"].isin(portfolios),
            lambda demand, _: demand["portfolio"].isin(portfolios),
            home=lambda resources: resources["portfolio"].isin(portfolios),
            how=("portfolios", *sorted(portfolios)),
        )

    def _narrowed(
        self,
        project_kept: Callable[[pd.DataFrame], pd.Series],
        demand_kept: Callable[[pd.DataFrame, set], pd.Series],
        home: Callable[[pd.DataFrame], pd.Series] | None = None,
        how: tuple = (),
    ) -> Snapshot:
        """Keep the projects project_kept(projects) marks, the demand demand_kept(demand, the
        kept projects' ids) marks, and the rows that hang off them; home marks the people whose
        unassigned (BAU) hours stay in scope; how names the narrowing in the key. Each table is
        narrowed when first asked for."""
        t = self.tables
        once = functools.cache
        # each table's rows kept, as a mask over the table: counted without building the frame
        kept_projects = once(lambda: project_kept(t["projects"]))
        pids = once(lambda: set(t["projects"]["project_id"][kept_projects()]))
        kept_demand = once(lambda: demand_kept(t["demand"], pids()))
        people = once(
            lambda: set(t["resources"].loc[home(t["resources"]), "resource_id"]) if home else set()
        )

        @once
        def kept_allocations() -> pd.Series:
            alloc = t["allocations"]
            return among(alloc["project_id"], pids()) | (
                alloc["project_id"].isna() & among(alloc["resource_id"], people())
            )

        @once
        def kept_dependencies() -> pd.Series:
            # either end kept: a dependency across the narrowing shows on both sides
            deps = t["dependencies"]
            return among(deps["project_id"], pids()) | among(deps["supplier_project_id"], pids())

        @once
        def kept_resources() -> pd.Series:
            ids = t["resources"]["resource_id"]  # booked here (a million bookings at 100x) or home
            booked = t["allocations"]["resource_id"][kept_allocations()].unique()
            return among(ids, booked) | among(ids, people())

        @once
        def kept_history() -> pd.Series:
            dids = set(t["demand"]["demand_id"][kept_demand()])
            return among(t["demand_stage_history"]["demand_id"], dids)

        def kept_child(name: str) -> pd.Series:
            return among(t[name]["project_id"], pids())

        kept = {
            "projects": kept_projects,
            "demand": kept_demand,
            "allocations": kept_allocations,
            "dependencies": kept_dependencies,
            "resources": kept_resources,
            "demand_stage_history": kept_history,
            **{name: once(functools.partial(kept_child, name)) for name in _PROJECT_CHILDREN},
        }
        names = [name for name in t if name in kept]
        return Snapshot(
            self.as_of,
            Tables(
                {name: functools.partial(_kept_rows, t, name, kept[name]) for name in names},
                {name: functools.partial(_count, kept[name]) for name in names},
            ),
            (*self.key, how) if self.key is not None and how else None,
        )


# The function's tables a narrowing to a portfolio reads, by table (else the table alone).
_NARROWING_READS: dict[str, tuple[str, ...]] = {
    "allocations": ("allocations", "projects", "resources"),
    "resources": ("resources", "allocations", "projects"),
    "dependencies": ("dependencies", "projects"),
    "demand_stage_history": ("demand_stage_history", "demand"),
    **{name: (name, "projects") for name in _PROJECT_CHILDREN},
}


def _kept_rows(tables: Mapping[str, pd.DataFrame], name: str, kept) -> pd.DataFrame:
    return tables[name][kept()].reset_index(drop=True)


def _count(kept) -> int:
    return int(kept().sum())


def among(column: pd.Series, values: Iterable) -> pd.Series:
    """column.isin(values), in pyarrow's own is_in for a text column: pandas' isin on Arrow
    strings makes a pyarrow scalar of every value asked for (a second of the summary's
    narrowing at 100×). Like pandas, only text values and blanks (None, NaN, NA: they match
    blank cells) are looked for."""
    dtype = column.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return column.isin(values)
    cells = pa.array(column.array)
    if getattr(values, "dtype", None) == dtype:  # another frame's ids: no Python object each
        asked = values.array if isinstance(values, pd.Series | pd.Index) else values
        kept = pc.is_in(cells, value_set=pa.array(asked).cast(cells.type))
        return pd.Series(np.asarray(kept.fill_null(False), dtype=bool), index=column.index)
    asked = list(values)
    try:  # texts and blanks alone (the usual: a set of ids): made in one call, in C
        if any(isinstance(v, bytes | bytearray | memoryview) for v in asked):  # Arrow: as text
            raise pa.ArrowTypeError("bytes")
        wanted = pa.array(asked, type=cells.type, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value of another type: not looked for
        texts = [v for v in asked if isinstance(v, str)]
        if any(not isinstance(v, str) and pd.isna(v) for v in asked if pd.api.types.is_scalar(v)):
            texts.append(None)
        wanted = pa.array(texts, type=cells.type)
    kept = pc.is_in(cells, value_set=wanted)
    return pd.Series(np.asarray(kept.fill_null(False), dtype=bool), index=column.index)


@dataclass(frozen=True)
class PortfolioData:
    portfolio: str | None  # None = the whole function
    current: Snapshot
    previous: Snapshot | None
    ingested_at: pd.Timestamp  # data freshness: when the as_of snapshot was loaded
    source: str  # where the snapshot came from (redacted for display)
    store: Path | None = None  # the DuckDB file the snapshots came from
    sub_portfolio: str | None = None
    program: str | None = None
    ingest_log: pd.DataFrame | None = None  # what the as_of snapshot's ingest left out or blanked
    # A customer page's customer (demand.customer). It does not narrow the data: the page picks
    # the customer's rows from the scope's, so that a project's computed RAG is the one the
    # scope's health report shows (rules are rated against the scope's active projects).
    customer: str | None = None
    # In an enterprise store (ingest --feed): portfolio -> the function it belongs to; else empty.
    functions: dict[str, str] = field(default_factory=dict, compare=False)

    def narrow(self, snapshot: Snapshot) -> Snapshot:
        """A snapshot of the same portfolio narrowed like this data (sub-portfolio, program)."""
        if self.sub_portfolio:
            snapshot = snapshot.in_sub_portfolio(self.sub_portfolio)
        if self.program:
            snapshot = snapshot.in_program(self.program)
        return snapshot

    def narrowed(self, sub_portfolio: str | None, program: str | None = None) -> PortfolioData:
        """The same data narrowed to one sub-portfolio and/or program, in both snapshots."""
        scoped = replace(self, sub_portfolio=sub_portfolio or None, program=program or None)
        return replace(
            scoped,
            current=scoped.narrow(self.current),
            previous=scoped.narrow(self.previous) if self.previous else None,
        )


class TableCache:
    """Snapshots' tables as read from the store, least recently used dropped first once they
    hold more than PMO_CACHE_MB megabytes (default 512): at 1× an analyst's whole store fits,
    at 100× a few snapshots' tables do. Keyed by store, date, portfolio, the snapshot's content
    hash, the store's version and table, so a scope only ever gets its own rows of the store as
    it is. Safe to share with the panel's prefetch thread."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, tuple[pd.DataFrame, int]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def limit() -> int:
        return int(env_number(CACHE_ENV, 512) * 1024 * 1024)

    def get(self, key: tuple) -> pd.DataFrame | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key][0]

    def has_room(self) -> bool:
        """Whether more can be held without dropping anything (a prefetch never drops)."""
        with self._lock:
            return sum(size for _, size in self._entries.values()) < self.limit()

    def __contains__(self, key: tuple) -> bool:
        with self._lock:
            return key in self._entries

    def put(self, key: tuple, frame: pd.DataFrame) -> None:
        size = int(frame.memory_usage(index=True, deep=True).sum())
        limit = self.limit()
        with self._lock:
            self._entries[key] = (frame, size)
            self._entries.move_to_end(key)
            total = sum(s for _, s in self._entries.values())
            while total > limit and len(self._entries) > 1:
                _, (_, dropped) = self._entries.popitem(last=False)
                total -= dropped

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def cache_clear(self) -> None:
        with self._lock:
            self._entries.clear()


_stored_tables = TableCache()


def forget_snapshots() -> None:
    """Drop every snapshot's cached tables (a batch kernel moving on to another portfolio)."""
    _stored_tables.cache_clear()


# The smallest tables of a snapshot, up to this many rows in all (in the whole snapshot), are
# read together in one connection (12 ms each) the first time a report needs one of them; a
# larger one alone, when needed. A query costs about what reading 10,000 rows does, so at the
# demo's size (32,000 rows a snapshot) every table is read together; at 100x only the four
# smallest are, and a page that never looks at the demand or the gate artifacts does not hold
# them (the spend page at 100x: 1.0 GB at its peak read together up to 500,000 rows, 0.8 GB).
READ_TOGETHER_ROWS = 50_000


def _read_together(rows: dict[str, int]) -> list[str]:
    """The tables read together (rows: the snapshot's rows per table; a table not there is
    read alone)."""
    together, total = [], 0
    for name in sorted((n for n in store.TABLES if n in rows), key=lambda n: rows[n]):
        total += rows[name]
        if total > READ_TOGETHER_ROWS:
            break
        together.append(name)
    return together


# A function's table of more rows than this (in the whole snapshot), unread, is read per
# portfolio from the store by Snapshot.portfolio_scope rather than read whole to be narrowed
# (at 100x the bookings and financial rows, a million each); a smaller one is read and narrowed
# (48 portfolios read one by one took the 1,800-project store's summary from 12 s to 31).
SCOPE_READ_ROWS = 250_000


def snapshot_tables(
    path: Path | str, day: date, portfolio: str | None, opened: tuple | None = None
) -> Tables:
    """One snapshot's tables, each read from the store when a report first asks for it (the
    small ones together), and kept: an analyst who changes a filter in JupyterLab, or a report
    that reads every snapshot, does not query the store again. Callers get their own
    (copy-on-write) frames, so the cached ones never change. opened: as another scope of the
    same snapshot was opened (_opened), which its reads are checked against."""
    content, rows = _stored(path, day)
    small = _read_together(rows)
    opened = opened or _opened(path, content)
    return Tables(
        {
            name: functools.partial(
                _stored_table,
                path,
                day,
                portfolio,
                opened,
                [name, *(n for n in small if n != name)] if name in small else [name],
            )
            for name in store.TABLES
        },
        {  # a large table's rows counted in the store: "is there any?" reads no million rows
            name: functools.cache(
                lambda name=name: store.row_counts(path, day, portfolio, [name])[name]
            )
            for name in store.TABLES
            if name not in small
        },
        stored=(path, day, portfolio, opened),
        together=small,
    )


def summed(
    snapshot: Snapshot,
    name: str,
    query: Callable[[Path | str, date, str | None], pd.DataFrame],
    from_rows: Callable[[Snapshot], pd.DataFrame],
    table: str,
) -> pd.DataFrame:
    """An aggregate of a snapshot's rows of table (the financial rows per project and month,
    the bookings per person and month...), once per snapshot: by the store's query(store,
    date, portfolio) for a scope read whole from a store, so a page that needs only the sums
    never reads the million rows behind them (at 100x); else, or when the table is one of the
    small ones read together anyway (at 1x, all), from_rows(snapshot)."""
    tables = snapshot.tables
    if not isinstance(tables, Tables):  # a test's frames
        return from_rows(snapshot)
    found = None if table in tables.together else stored_sum(snapshot, name, query)
    if found is not None:
        return found
    if name not in tables.sums:
        tables.sums[name] = from_rows(snapshot)
    return tables.sums[name]


def rows_where(snapshot: Snapshot, name: str, where: str) -> pd.DataFrame:
    """A first cut of a table's rows: for a scope read whole from a store whose table has not
    been read, only the rows meeting where (SQL over its columns, $a the as-of date:
    store.rows_where), once per snapshot; else the whole table. The caller filters again:
    where may keep rows it does not need, never drop one it does."""
    tables = snapshot.tables
    if isinstance(tables, Tables) and (tables.has_read(name) or name in tables.together):
        return tables[name]
    found = stored_sum(
        snapshot,
        f"{name} where {where}",
        lambda path, day, portfolio: store.rows_where(path, day, portfolio, name, where),
    )
    return snapshot[name] if found is None else found


def rows_among(snapshot: Snapshot, name: str, column: str, values: Iterable) -> pd.DataFrame:
    """A first cut of a table's rows: for a scope read whole from a store whose table has not
    been read, only the rows whose column holds one of values (store.rows_among); else the
    whole table. The caller filters again, as with rows_where."""
    tables = snapshot.tables
    if (
        isinstance(tables, Tables)
        and tables.stored is not None
        and not tables.has_read(name)
        and name not in tables.together
    ):
        path, day, portfolio, opened = tables.stored
        frame = store.rows_among(path, day, portfolio, name, column, values)
        _still_as_opened(path, day, opened[0])
        return frame
    return snapshot[name]


def stored_sum(snapshot: Snapshot, name: str, query: Callable) -> pd.DataFrame | None:
    """query(store, date, portfolio): an aggregate the store computes, for a snapshot whose
    scope was read whole from it (None for a narrowed one or a test's frames), computed once
    per snapshot and cached beside its tables under name."""
    tables = snapshot.tables
    if not isinstance(tables, Tables) or tables.stored is None:
        return None
    if name not in tables.sums:
        tables.sums[name] = _stored_sums(*tables.stored, name, query)
    return tables.sums[name]


def _stored_sums(
    path: Path | str, day: date, portfolio: str | None, opened: tuple, name: str, query: Callable
) -> pd.DataFrame:
    """query(path, day, portfolio) unless cached under name beside the snapshot's tables."""
    key = _key(path, day, portfolio, opened, name)
    frame = _stored_tables.get(key)
    if frame is None:
        frame = query(path, day, portfolio)
        _still_as_opened(path, day, opened[0])
        _stored_tables.put(key, frame)
    return frame.copy(deep=False)


def _opened(path: Path | str, content: object) -> tuple:
    """What a snapshot's cached tables are keyed by, besides store, date, portfolio and table:
    its content hash and the store's version (a change made without an ingest keeps the hash)."""
    return (content, store.version(path))


def _key(path: Path | str, day: date, portfolio: str | None, opened: tuple, name: str) -> tuple:
    return (str(path), day, portfolio, opened, name)


def _stored_table(
    path: Path | str, day: date, portfolio: str | None, opened: tuple, names: list[str]
) -> pd.DataFrame:
    """The first of names, read from the store (with the others not yet cached) unless cached;
    opened: _opened() when the snapshot was opened."""
    content = opened[0]
    keys = {name: _key(path, day, portfolio, opened, name) for name in names}
    frame = _stored_tables.get(keys[names[0]])
    if frame is None:
        missing = [names[0]] + [n for n in names[1:] if keys[n] not in _stored_tables]
        frames = store.load_tables(path, day, portfolio, missing)
        _still_as_opened(path, day, content)
        for name in reversed(missing):  # the one asked for last: the latest used
            _stored_tables.put(keys[name], frames[name])
        frame = frames[names[0]]
    return frame.copy(deep=False)


def _still_as_opened(path: Path | str, day: date, content: object) -> None:
    """Refuse what was read after another ingest replaced the snapshot opened with content."""
    if _stored(path, day)[0] != content:
        raise PMOError(
            f"the snapshot of {day} in {store.redact(str(path))} was loaded again while"
            " this report read it: run the report again"
        )


def _stored(path: Path | str, day: date) -> tuple[object, dict[str, int]]:
    """What identifies a snapshot's contents (its content hash, else, in a store that has
    none, the store's version) and its rows per table in the whole snapshot (empty: unknown)."""
    snapshots = store.list_snapshots(path)
    found = snapshots[pd.to_datetime(snapshots["as_of"]).dt.date == day]
    if not len(found):
        return store.version(path), {}
    content, counts = found["fingerprint"].iloc[0], found["row_counts"].iloc[0]
    try:
        rows = json.loads(counts) if isinstance(counts, str) else {}
    except ValueError:
        rows = {}
    return (content if isinstance(content, str) and content else store.version(path)), rows


def prefetch(path: Path, days: list[date], portfolios: list[str | None], stop) -> int:
    """Read into the cache the snapshots (days) of each portfolio not yet there, one at a time,
    until stop() says to or the cache is full (a prefetch never drops what the analyst views):
    what the filter panel does while the analyst reads, so that choosing
    another portfolio does not wait for the store. Returns the number of snapshots read."""
    read = 0
    for portfolio in portfolios:
        for day in days:
            if stop() or not _stored_tables.has_room():
                return read
            opened = _opened(path, _stored(path, day)[0])
            keys = {name: _key(path, day, portfolio, opened, name) for name in store.TABLES}
            missing = [name for name, key in keys.items() if key not in _stored_tables]
            if missing:
                for name, frame in store.load_tables(path, day, portfolio, missing).items():
                    _stored_tables.put(keys[name], frame)
                read += 1
    return read


def resolve_source(source: str | Path | None = None) -> Path | str:
    """The store to read: the argument, else $PMO_SOURCE, else data/pmo.duckdb in the project;
    a PostgreSQL URL stays a string.

    A source given redacted (its password as ***, as the runner passes it to a notebook) is
    $PMO_SOURCE when that is the same source unredacted: the secret stays in the environment."""
    given, env = str(source or ""), os.environ.get(SOURCE_ENV) or ""
    if given and env and given != env and "***" in given and store.redact(env) == given:
        given = env
    chosen = given or env
    if not chosen:
        return PROJECT_ROOT / store.DEFAULT_STORE
    if store.is_server(chosen):
        return chosen  # a PostgreSQL database: the URL as given (its password stays in it)
    if "://" in chosen and not chosen.startswith("duckdb://"):
        raise PMOError(
            f"source {store.redact(chosen)}: a store is a DuckDB file or a PostgreSQL database"
            " (postgresql://user@host:5432/db); ingest other databases' exports with"
            " `pmo-reports ingest`"
        )
    path = Path(chosen.removeprefix("duckdb://"))
    return path if path.is_absolute() else Path.cwd() / path


def resolve_as_of(
    snapshots: pd.DataFrame, as_of: str | None, source: Path, compare_to: str | None = None
) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    """The snapshot to report on (default: the latest) and the one to compare it with (default:
    the one before it, if any; compare_to picks another earlier snapshot)."""
    dates = list(pd.to_datetime(snapshots["as_of"]))
    if not dates:
        raise PMOError(f"{store.redact(str(source))}: the store holds no snapshot yet")
    wanted = _snapshot_date(as_of, dates, source, "as_of") if as_of else dates[-1]
    earlier = [d for d in dates if d < wanted]
    if compare_to:
        chosen = _snapshot_date(compare_to, earlier, source, "compare_to")
        return wanted, chosen
    return wanted, (earlier[-1] if earlier else None)


def _snapshot_date(text: str, dates: list[pd.Timestamp], source: Path, name: str) -> pd.Timestamp:
    try:
        wanted = pd.Timestamp(date.fromisoformat(str(text)))
    except ValueError as exc:
        raise PMOError(f"{name} '{text}': expected a date YYYY-MM-DD") from exc
    if wanted not in dates:
        shown = ", ".join(d.date().isoformat() for d in dates) or "none"
        which = "no snapshot" if name == "as_of" else "no earlier snapshot"
        raise PMOError(
            f"{name} {wanted.date()}: {which} with that date in {store.redact(str(source))}; it"
            f" has {shown}"
        )
    # the store's own date, not the one parsed from text: pandas gives that one another unit
    # (seconds), and an answer kept about a snapshot (its past's print) was keyed apart from
    # the same snapshot reached without a date given: a month's run, which names the snapshot
    # it compares with, found none of the KPI trail it had kept the month before
    return dates[dates.index(wanted)]


def load_portfolio(
    portfolio: str | None,
    as_of: str | None = None,
    source: str | Path | None = None,
    compare_to: str | None = None,
) -> PortfolioData:
    """One portfolio's (None = all) tables at as_of (default latest) plus the snapshot it is
    compared with (default the previous one)."""
    path = resolve_source(source)
    snapshots = store.list_snapshots(path)
    current, previous = resolve_as_of(snapshots, as_of, path, compare_to)
    row = snapshots[pd.to_datetime(snapshots["as_of"]) == current].iloc[0]
    keys = _keys(path, portfolio, current)

    def load(day: pd.Timestamp) -> Snapshot:
        return Snapshot(day, snapshot_tables(path, day.date(), portfolio), keys.get(day))

    return PortfolioData(
        portfolio=portfolio,
        current=load(current),
        previous=load(previous) if previous is not None else None,
        ingested_at=pd.Timestamp(row["ingested_at"]),
        source=store.redact(str(row["source"])),
        store=path,
        ingest_log=store.load_ingest_log(path, current.date()),
        functions=store.load_functions(path, current.date()),
    )


def all_snapshots(data: PortfolioData) -> list[Snapshot]:
    """Every snapshot up to the report's as_of, oldest first, scoped like the report (for
    trends)."""
    dates = [
        d
        for d in pd.to_datetime(store.list_snapshots(data.store)["as_of"])
        if d <= data.current.as_of
    ]
    # the report's own two snapshots as they are: read again, once the cache has dropped them
    # (at 100x it holds two), they would be held twice
    held = {s.as_of: s for s in (data.current, data.previous) if s is not None}
    keys = _keys(data.store, data.portfolio, data.current.as_of) if len(held) < len(dates) else {}
    return [
        held.get(d)
        or data.narrow(
            Snapshot(d, snapshot_tables(data.store, d.date(), data.portfolio), keys.get(d))
        )
        for d in dates
    ]


def _keys(path: Path | str, portfolio: str | None, as_of: pd.Timestamp) -> dict:
    """In a batch run, each snapshot's key up to as_of (Snapshot.key) by date; else empty."""
    from pmo_lib import kept

    prints = kept.prints_by_date(path, as_of.date(), [portfolio]).get(portfolio, {})
    return {pd.Timestamp(day): ("scope", portfolio, day, found) for day, found in prints.items()}


def resource_load(
    data: PortfolioData, previous: bool = False, snapshot: Snapshot | None = None
) -> pd.DataFrame:
    """Total planned hours per person in the report's scope and month, across every portfolio
    (of the previous snapshot with previous=True, or of the snapshot given; empty when there is
    none)."""
    if snapshot is None:
        snapshot = data.previous if previous else data.current
    if snapshot is None:
        return pd.DataFrame(
            {
                "resource_id": pd.Series(dtype="str"),
                "period": pd.Series(dtype="datetime64[us]"),
                "planned_hours": pd.Series(dtype="float64"),
            }
        )
    return store.resource_load(
        data.store, snapshot.as_of.date(), list(snapshot["resources"]["resource_id"])
    )


def dependency_ends(data: PortfolioData) -> pd.DataFrame:
    """The ends of the report's dependencies that lie outside its scope (another portfolio's
    project), with that project's name and milestone dates only."""
    from pmo_lib.metrics.dependencies import missing_ends

    now = data.current
    if now["dependencies"].empty:
        return pd.DataFrame()
    missing = missing_ends(now["dependencies"], now["projects"])
    return store.dependency_ends(data.store, now.as_of.date(), missing)
