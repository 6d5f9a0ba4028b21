"""The one YAML loader of parameter and mapping files: plain data, no aliases, bounded size.

yaml.safe_load already refuses Python objects, but it expands aliases: 383 bytes of nested
aliases (`a: &a [x, x, ...]`, `b: &b [*a, *a, ...]`, ...) grow into billions of nodes. Our
files never need an alias (each value is written where it is used), so an alias is refused
where the parser meets it, with the file and line, before anything is built. A file larger
than MAX_BYTES, or nested deeper than Python can compose, is refused too.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

from pmo_lib.errors import PMOError

MAX_BYTES = 1_000_000  # a parameters or mapping file is a few kB; this is far beyond any
SHOWN_CHARS = 80  # a value echoed in a message is cut to this many characters


def clip(value: object, limit: int = SHOWN_CHARS) -> object:
    """A value fit to echo in a message: text (or a list, a mapping, … written out) longer than
    limit is cut to limit characters and '…'; anything else is itself."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, int | float | bool | type(None)):
        return value
    text = repr(value)
    return value if len(text) <= limit else text[:limit] + "…"


class AliasRefused(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark, name: str):
        super().__init__()
        self.mark, self.name = mark, name


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses an alias (*name) instead of sharing its node."""

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 (PyYAML's signature)
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise AliasRefused(event.start_mark, event.anchor)
        return super().compose_node(parent, index)


def load(path: Path | str, what: str = "file") -> Any:
    """The YAML document of path as plain data (None when empty). what names the file in the
    'no such ...' message. Every failure is a PMOError naming the file (and line)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise PMOError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise PMOError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if size > MAX_BYTES:
        raise PMOError(
            f"{path}: {size:,} bytes; a {what} is at most {MAX_BYTES:,} bytes (is it the right"
            " file?)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PMOError(f"{path}: not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    except OSError as exc:
        raise PMOError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        return copy.deepcopy(_parsed(text))  # the caller's own copy: it may change it
    except AliasRefused as exc:
        raise PMOError(
            f"{path}, line {exc.mark.line + 1}: an alias (*{clip(exc.name, 40)}) is not allowed;"
            " write the value out where it is used"
        ) from None
    except yaml.YAMLError as exc:
        raise PMOError(f"{path}: not valid YAML: {clip(str(exc), 400)}") from None
    except RecursionError:
        raise PMOError(f"{path}: not valid YAML: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise PMOError(f"{path}: not valid YAML: {clip(str(exc), 200)}") from None


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> Any:
    """A document's data, parsed once per text: a batch reads defaults.yaml and every scope's
    file for each report (0.3 s a report at 5 files in pure-Python YAML), an analyst's kernel
    each time a filter changes; a file changed on disk is new text, parsed again."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)
