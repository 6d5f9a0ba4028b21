"""PMO Reports helper library: what the report notebooks call.

Nothing runs at import, and the names below load on first use, so the runner and the command
line do not pay for plotly and pandas they do not need.
"""

from pmo_lib.errors import DataValidationError, PMOError

__all__ = ["DataValidationError", "PMOError", "Report", "open_report"]


def __getattr__(name: str):
    if name in ("Report", "open_report"):
        from pmo_lib import report

        return getattr(report, name)
    raise AttributeError(f"module 'pmo_lib' has no attribute {name!r}")
