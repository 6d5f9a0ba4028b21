"""The one exception type for errors a user can cause (bad file, column, parameter)."""

from __future__ import annotations

import errno
from dataclasses import dataclass


class PMOError(Exception):
    """A problem the user can fix: the message names the file, row or key, and what was expected."""


@dataclass(frozen=True)
class Problem:
    """One validation finding, located as precisely as the input allows."""

    file: str
    row: (
        int | None
    )  # row number as the user sees it in the file (header = row 1), None = whole file
    column: str | None
    value: object
    expected: str
    cause: str = "bad cell"  # bad cell, blank required, duplicate key, orphan (pmo_lib.ingest_log)
    blanked: bool = False  # the cell was blanked (bad_cells: blank) and its row kept

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{shown}; expected {self.expected}"


class DataValidationError(PMOError):
    """Input files break the data model; carries every problem found, not only the first."""

    max_listed = 50

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.max_listed]]
        more = len(self.problems) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more problems")
        files = sorted({p.file for p in self.problems})
        head = f"{len(self.problems)} problem(s) in {', '.join(files)}; nothing was loaded:"
        super().__init__("\n".join([head, *("  - " + line for line in lines)]))


def env_number(name: str, default: float) -> float:
    """A positive number from the environment variable name (unset or empty: default); anything
    else is a PMOError that names the variable and what it holds."""
    import math
    import os

    text = os.environ.get(name) or ""
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise PMOError(f"${name} is '{text}': expected a positive number (default {default:g})")
    return value


# A full disk, said the same wherever a write meets it (the store, a page, a worker that has
# imported neither pandas nor DuckDB: pmo_lib.render).
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_NO_SPACE_TEXT = ("No space left on device", "File too large", "Disk quota exceeded")


def no_space(exc: BaseException) -> bool:
    """Whether exc (or what caused it) is a write that found the disk, a quota or a file-size
    limit full."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _NO_SPACE_ERRNOS:
            return True
        if any(text in str(seen) for text in _NO_SPACE_TEXT):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def no_space_text(exc: BaseException) -> str:
    """'no space left on device', and which limit when it was a quota or a file-size limit."""
    text = "no space left on device"
    seen: BaseException | None = exc
    while seen is not None:
        if (isinstance(seen, OSError) and seen.errno == errno.EFBIG) or "File too large" in str(
            seen
        ):
            return f"{text} (a file reached this process's file-size limit)"
        if (
            isinstance(seen, OSError) and seen.errno == errno.EDQUOT
        ) or "Disk quota exceeded" in str(seen):
            return f"{text} (the disk quota is used up)"
        seen = seen.__cause__ or seen.__context__
    return text
