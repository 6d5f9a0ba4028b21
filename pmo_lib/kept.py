"""Answers kept on disk from one batch run to the next, keyed by everything they come from.

The function's executive summary compares every portfolio on the detailed reports' headlines:
at 48 portfolios that was 4 s of its page, computed again in full when one portfolio's data
changed; and a run's plan narrowed each portfolio to count its sub-portfolios' and programs'
rows (1.3 s). Each such answer is kept under a key made of the portfolio's data print (its rows
of every table in every snapshot up to as_of: store.scope_prints, the print the runner reuses
its pages by), the as-of date, the parameters, the library's code and what is asked. Whatever
of those changes makes a new key, so a kept answer is never stale; a kept file that cannot be
read is computed again. Only in a batch run: the runner keeps them in <outputs>/.cache/figures
(not with --force) and names that folder to its kernels in $PMO_FIGURES_CACHE; JupyterLab
computes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

CACHE_ENV = "PMO_FIGURES_CACHE"
IN_OUTPUTS = Path(".cache", "figures")  # the runner's folder, under its outputs (not uploaded)
KEEP_DAYS = 90  # a kept figure not asked for in this many days is removed (prune)
_PLAIN = (bool, int, float, str, type(None))  # what JSON gives back as it was given

log = logging.getLogger("pmo_reports")


@functools.cache
def code_print() -> str:
    """The library's code, as far as it shapes a figure or a page (the runner's pages are
    fingerprinted with it too)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.suffix in (".py", ".j2", ".css", ".js", ".json"):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def folder() -> Path | None:
    """Where figures are kept in this batch run; None: nowhere (compute)."""
    named = os.environ.get(CACHE_ENV, "")
    return Path(named) if named else None


def data_prints(store_path: Path | str, as_of: date, portfolios: Iterable[str]) -> dict[str, str]:
    """Each portfolio's data print at as_of: as the run's plan kept them (put_prints), those it
    did not computed; empty when nothing is kept (no query then)."""
    names = list(portfolios)
    if folder() is None or not names:
        return {}
    from pmo_lib import store

    planned = _read(_key(_prints_parts(store_path, as_of)), folder()) or {}
    missing = [name for name in names if name not in planned]
    if missing:
        planned = {**planned, **store.scope_prints_and_rows(store_path, as_of, missing)[0]}
    return {name: planned[name] for name in names}


def put_prints(where: Path, store_path: Path | str, as_of: date, prints: dict) -> None:
    """The portfolios' data prints the run's plan computed, for its kernels (written before
    any of them starts, so a kernel never reads another run's)."""
    named = {name: found for name, found in prints.items() if name is not None}
    _write(_key(_prints_parts(store_path, as_of)), where, named)


def _prints_parts(store_path: Path | str, as_of: date) -> tuple:
    from pmo_lib.store import is_server, redact

    named = redact(str(store_path)) if is_server(store_path) else str(Path(store_path).resolve())
    return ("data prints", named, str(as_of))


def value(parts: tuple, compute: Callable[[], object], where: Path | None = None) -> object:
    """compute(), or what it gave before for the same parts (the key, with the code's print)
    in where (default: folder()). Kept only when JSON gives it back as it was: dicts of text
    keys, lists, text, numbers, True/False and None."""
    where = where or folder()
    if where is None:
        return compute()
    key = _key(parts)
    found = _read(key, where)
    if found is not None:
        return found
    result = compute()
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
            return kept.get("value")
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError) as exc:  # damaged: computed and written again
        log.debug("%s: %s", path, exc)
    return None


def _write(key: str, where: Path, result: object) -> None:
    if not _exact(result):
        return
    from pmo_lib.runner import write_atomic

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
    """Remove the kept figures not written or read for days (a month's run reads its own);
    returns how many went."""
    cutoff = time.time() - days * 86400
    gone = 0
    for path in where.glob("*.json"):
        try:
            if max(path.stat().st_mtime, path.stat().st_atime) < cutoff:
                path.unlink()
                gone += 1
        except OSError:
            continue
    return gone
