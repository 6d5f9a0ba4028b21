"""Remember a pure metric's last results for the very objects it was given.

The executive summary asks health.assess and resourcing.analyse the same question for the same
snapshot from several sections (key figures, what changed, exceptions, sub-portfolios); a filter
change in JupyterLab would compute each answer three times. `same_arguments` keeps the last few
results keyed by the identity of every argument that is not an immutable value (the snapshot,
its frames, the earlier snapshots' record) and by the value of the others (a date, a string, a
fiscal year): the arguments are held with the result, so an identity cannot be reused while its
entry lives, and new data (another choice, another job) is a new object and a fresh answer.
In a batch run a snapshot, and the past made of snapshots, carry a key naming their rows
(Snapshot.key: scope, date, data print, narrowing); such an argument is known by its key, so the
next job of the same portfolio in a warm kernel (its own objects, the same rows) is answered from
memory: the function's customer pages assess the function's projects once, not twice each.
A DataFrame result is handed out as a shallow copy, which copy-on-write keeps apart from the
kept one; other results (frozen dataclasses of frames) are shared and must not be changed.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

Result = TypeVar("Result")
_KEPT: list[OrderedDict] = []  # every remembered function's results, for forget()


def forget() -> None:
    """Drop every remembered result, and with it the snapshots and frames it holds: a batch
    kernel does before each job (the next job's snapshots are new objects, so nothing kept
    would be asked for again, and a portfolio's tables would outlive its jobs)."""
    for kept in _KEPT:
        kept.clear()


def same_arguments(size: int = 8) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    def wrap(function: Callable[..., Result]) -> Callable[..., Result]:
        kept: OrderedDict[tuple, tuple[tuple, Result]] = OrderedDict()
        _KEPT.append(kept)
        lock = threading.Lock()

        @functools.wraps(function)
        def remembered(*args, **kwargs):
            named = sorted(kwargs.items())
            held = (*args, *(value for _, value in named))
            key = (tuple(_part(a) for a in held), tuple(name for name, _ in named))
            with lock:
                entry = kept.get(key)
                if entry is not None and all(
                    x is y
                    for x, y in zip(entry[0], held, strict=True)
                    if not _by_value(x) and _key_of(x) is None
                ):
                    kept.move_to_end(key)
                    return _handed_out(entry[1])
            result = function(*args, **kwargs)
            with lock:
                kept[key] = (held, result)
                while len(kept) > size:
                    kept.popitem(last=False)
            return _handed_out(result)

        remembered.cache_clear = kept.clear  # type: ignore[attr-defined]
        return remembered

    return wrap


def _by_value(value) -> bool:
    """Whether an argument is keyed by its value: an immutable one (a date, a number, a string, a
    frozen dataclass of such, a fiscal year); frames, snapshots and the like by identity."""
    try:
        hash(value)
    except TypeError:
        return False
    return type(value).__hash__ is not object.__hash__


def _key_of(value) -> tuple | None:
    """What names an argument's content, for a type that says it has one (memo_by_key: a
    Snapshot, a health.Past) and only when it has one (None outside a batch run)."""
    if getattr(type(value), "memo_by_key", False):
        return value.key
    return None


def _part(value) -> object:
    if (key := _key_of(value)) is not None:
        return ("key", type(value).__qualname__, key)
    return ("value", value) if _by_value(value) else ("id", id(value))


def _handed_out(result):
    return result.copy(deep=False) if isinstance(result, pd.DataFrame) else result
