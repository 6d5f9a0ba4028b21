"""Remember a pure metric's last results for the very objects it was given.

The executive summary asks health.assess and resourcing.analyse the same question for the same
snapshot from several sections (key figures, what changed, exceptions, sub-portfolios); a filter
change in JupyterLab would compute each answer three times. `same_arguments` keeps the last few
results keyed by the identity of every argument (the snapshot, the parameters, the earlier
snapshots' record): the arguments are held with the result, so an identity cannot be reused while
its entry lives, and new data (another choice, another job) is a new object and a fresh answer.
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


def same_arguments(size: int = 8) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    def wrap(function: Callable[..., Result]) -> Callable[..., Result]:
        kept: OrderedDict[tuple, tuple[tuple, Result]] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(function)
        def remembered(*args, **kwargs):
            named = sorted(kwargs.items())
            held = (*args, *(value for _, value in named))
            key = (tuple(id(a) for a in held), tuple(name for name, _ in named))
            with lock:
                entry = kept.get(key)
                if entry is not None and all(x is y for x, y in zip(entry[0], held, strict=True)):
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


def _handed_out(result):
    return result.copy(deep=False) if isinstance(result, pd.DataFrame) else result
