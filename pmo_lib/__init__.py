"""PMO Reports helper library: what the report notebooks call.

Nothing runs at import; the heavier modules (runner, demo, store) are imported where used.
"""

from pmo_lib.errors import DataValidationError, PMOError
from pmo_lib.report import Report, open_report

__all__ = ["DataValidationError", "PMOError", "Report", "open_report"]
