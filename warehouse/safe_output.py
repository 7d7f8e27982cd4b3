"""Stored text leaving brandpulse: neutralise spreadsheet formulas in CSV cells, strip terminal control sequences."""

from __future__ import annotations

import re
from typing import Any

# OWASP (CSV injection): a cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# The same test inside DuckDB, for COPY … TO csv; a character class so the SQL takes no parameters.
FORMULA_LEAD_PATTERN = "^[=+\\-@\\t\\r]"

# ESC-introduced sequences as terminals parse them: CSI (colours, cursor moves, screen clearing), OSC (window
# titles, hyperlinks, clipboard writes; ended by BEL or ST), DCS/SOS/PM/APC strings (ended by ST), and two-byte
# escapes. Their 8-bit C1 forms (0x9b CSI, 0x9d OSC, 0x90/0x98/0x9e/0x9f strings) are matched as well.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])(?:[^\x07\x1b\x9c]*)(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# What is left of C0 (but newline and tab), DEL and C1 once whole sequences are gone: never printed raw.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text with escape sequences and control characters removed (newline and tab kept), safe to print."""
    if not text or text.isprintable():
        return text
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading `'`; every other value is unchanged."""
    # Only str: a negative number stays a number (the CSV writer prints it as -0.5, which a spreadsheet reads
    # as the number it is), while the text "-1+1" or "=HYPERLINK(...)" would be evaluated.
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def neutralise_sql(column: str) -> str:
    """A DuckDB expression for one VARCHAR column (already quoted) that neutralise_cell would give."""
    return f"CASE WHEN regexp_matches({column}, '{FORMULA_LEAD_PATTERN}') THEN '''' || {column} ELSE {column} END"
