"""Answers kept on disk from one batch run to the next, keyed by everything they come from.

The function's executive summary compares every portfolio on the detailed reports' headlines:
at 48 portfolios that was 4 s of its page, computed again in full when one portfolio's data
changed; and a run's plan narrowed each portfolio to count its sub-portfolios' and programs'
rows (1.3 s); the demand planner's exact solves are kept by a digest of the programme itself
(metrics/planner.py). Each portfolio's answer is kept under a key made of its data print (its rows
of every table in every snapshot up to as_of: store.scope_prints, the print the runner reuses
its pages by), the as-of date, the parameters, the library's code and what is asked. Whatever
of those changes makes a new key, so a kept answer is never stale; a kept file that cannot be
read is computed again. Only in a batch run: the runner keeps them in <outputs>/.cache/figures
(not with --force) and names that folder to its kernels in $PMO_FIGURES_CACHE; JupyterLab
computes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

CACHE_ENV = "PMO_FIGURES_CACHE"
PRINTS_ENV = "PMO_PLAN_PRINTS"  # the file of this run's plan's prints (put_prints)
PLAN_PRINTS = "plan-prints-"
IN_OUTPUTS = Path(".cache", "figures")  # the runner's folder, under its outputs (not uploaded)
KEEP_DAYS = 90  # a kept figure not asked for in this many days is removed (prune)
_PLAIN = (bool, int, float, str, type(None))  # what JSON gives back as it was given

log = logging.getLogger("pmo_reports")


SHAPING = ("pandas", "numpy", "pyarrow", "duckdb", "plotly", "nbconvert", "xlsxwriter", "scipy")


@functools.cache
def code_print() -> str:
    """The library's code, and the versions of Python and of the packages that shape a figure
    or a page (an upgrade may change either): the runner's pages are fingerprinted with it too."""
    from importlib import metadata

    digest = hashlib.sha256(sys.version.encode())
    for package in SHAPING:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{package} {metadata.version(package)};".encode())
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.suffix in (".py", ".j2", ".css", ".js", ".json"):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def folder() -> Path | None:
    """Where figures are kept in this batch run; None: nowhere (compute)."""
    named = os.environ.get(CACHE_ENV, "")
    return Path(named) if named else None


def data_prints(store_path: Path | str, as_of: date, portfolios: Iterable[str]) -> dict[str, str]:
    """Each portfolio's data print at as_of: as this run's plan wrote them ($PMO_PLAN_PRINTS),
    while the store is as it was then; the others computed. Empty when nothing is kept (no
    query then)."""
    found = prints_by_date(store_path, as_of, portfolios)
    return {name: prints[as_of.isoformat()] for name, prints in found.items()}


def prints_by_date(
    store_path: Path | str, as_of: date, portfolios: Iterable[str | None]
) -> dict[str | None, dict[str, str]]:
    """Each portfolio's (None: the function's) data print at every snapshot up to as_of
    ({YYYY-MM-DD: print}, store.scope_prints_and_rows with by_date): from this run's plan while
    the store is as it was then, else computed. Empty when nothing is kept (no query then)."""
    names = list(portfolios)
    if folder() is None or not names:
        return {}
    from pmo_lib import store

    planned = _planned_prints(store_path, as_of)
    missing = [name for name in names if name not in planned]
    if missing:
        computed = store.scope_prints_and_rows(store_path, as_of, missing, by_date=True)[0]
        planned = {**planned, **computed}
    return {name: planned[name] for name in names}


_FUNCTION = ""  # the function's prints in the plan's file (JSON keys are text; no portfolio is "")


def put_prints(where: Path, store_path: Path | str, as_of: date, prints: dict) -> Path | None:
    """Write the prints by date (store.scope_prints_and_rows with by_date) the run's plan
    computed, for this run's kernels, in a file of its own (named to them in $PMO_PLAN_PRINTS;
    removed when the run ends) with the store's version then. Returns it; None when it cannot
    be written (the kernels compute)."""
    from pmo_lib import store
    from pmo_lib.render import write_atomic

    path = where / f"{PLAN_PRINTS}{uuid.uuid4().hex[:12]}.json"
    content = {
        "store": _store_name(store_path),
        "as_of": str(as_of),
        "version": str(store.version(store_path)),
        "prints": {_FUNCTION if name is None else name: found for name, found in prints.items()},
    }
    try:
        write_atomic(path, json.dumps(content))
    except OSError as exc:
        log.debug("%s: %s", path, exc)
        return None
    return path


def _planned_prints(store_path: Path | str, as_of: date) -> dict[str | None, dict[str, str]]:
    """The prints by date this run's plan wrote, unless the store changed since (an ingest
    during the run: a row computed from the new rows must not be kept under the old print)."""
    from pmo_lib import store

    named = os.environ.get(PRINTS_ENV, "")
    if not named:
        return {}
    try:
        content = json.loads(Path(named).read_text(encoding="utf-8"))
        same = (content["store"], content["as_of"], content["version"]) == (
            _store_name(store_path),
            str(as_of),
            str(store.version(store_path)),
        )
        if not same:
            return {}
        return {
            None if name == _FUNCTION else name: dict(found)
            for name, found in content["prints"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.debug("%s: %s", named, exc)
        return {}


def _store_name(store_path: Path | str) -> str:
    """The store as written to disk: a file's absolute path, a server's address without its
    password."""
    from pmo_lib.store import is_server, redact

    return redact(str(store_path)) if is_server(store_path) else str(Path(store_path).resolve())


def value(
    parts: tuple,
    compute: Callable[[], object],
    where: Path | None = None,
    keep: Callable[[object], bool] | None = None,
) -> object:
    """compute(), or what it gave before for the same parts (the key, with the code's print)
    in where (default: folder()). Kept only when JSON gives it back as it was: dicts of text
    keys, lists, text, numbers, True/False and None; and, with keep, when keep(it) says so."""
    where = where or folder()
    if where is None:
        return compute()
    key = _key(parts)
    found = _read(key, where)
    if found is not None:
        return found
    result = compute()
    if keep is None or keep(result):
        _write(key, where, result)
    return result


def _key(parts: tuple) -> str:
    return json.dumps([*parts, code_print()], default=str)


def _path(key: str, where: Path) -> Path:
    return where / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def _read(key: str, where: Path | None) -> object:
    """What is kept under key (None: nothing, or a file that cannot be read)."""
    if where is None:
        return None
    path = _path(key, where)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept.get("key") == key:
            with contextlib.suppress(OSError):  # read: kept another KEEP_DAYS (prune)
                os.utime(path)
            return kept.get("value")
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError) as exc:  # damaged: computed and written again
        log.debug("%s: %s", path, exc)
    return None


def _write(key: str, where: Path, result: object) -> None:
    if not _exact(result):
        return
    from pmo_lib.render import write_atomic

    path = _path(key, where)
    try:
        write_atomic(path, json.dumps({"key": key, "value": result}))
    except OSError as exc:  # a full or read-only disk: the page is made all the same
        log.debug("%s: %s", path, exc)


def _exact(value: object) -> bool:
    """Whether JSON gives value back as it is (a tuple comes back a list, a numpy number a
    float, pd.NA not at all)."""
    if type(value) in _PLAIN:
        return True
    if type(value) is list:
        return all(_exact(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _exact(v) for k, v in value.items())
    return False


def prune(where: Path, days: float = KEEP_DAYS) -> int:
    """Remove the kept answers not written or read for days (a month's run reads its own; a
    read touches its file), and what a killed run left (a half-written file, its plan's
    prints) after a day; returns how many went."""
    now = time.time()
    gone = 0
    if not where.is_dir():
        return 0
    for path in where.iterdir():
        left = path.name.startswith((".", PLAN_PRINTS))
        try:
            if path.stat().st_mtime < now - (1 if left else days) * 86400:
                path.unlink()
                gone += 1
        except OSError:
            continue
    return gone
