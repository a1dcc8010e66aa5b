"""The one CSV writer of every file the service exports (the worker's pay slips, the bank's payout
file, the supervisors' export): pure, so the domain cores may use it.

People open these files in spreadsheet programs, which run a cell beginning with `=`, `+`, `-` or
`@` as a formula (CSV or formula injection: `=HYPERLINK(...)` sends the sheet's data away,
`=cmd|...` runs a program). Stored text such as an order's title or a worker's registered name is
anyone's to choose, so, as OWASP's CSV-injection guidance says:

- a text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return (or the full-width
  `＝＋－＠`, which some spreadsheet programs take for the same) gets a leading `'`, which makes
  the spreadsheet read it as text;
- every text cell is quoted (RFC 4180, a `"` doubled inside), so a spreadsheet that splits on
  another delimiter (`;` in many locales) cannot cut a cell and make a formula of its second half.

Numbers stay numbers, unquoted and unprefixed (the bank reads `-500` as an amount): a cell is a
number when it is an int, Decimal or float, or text that is exactly a decimal numeral (`-500`,
`-5.00`). `-1+2` is not a numeral and is escaped.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from market.kernel.clock import SHANGHAI


FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
NUMERAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def cell(value: object) -> str | int | float | Decimal:
    """One value as a cell: a number as it is, anything else as text that is never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(SHANGHAI).isoformat()  # as every response writes an instant
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if NUMERAL.fullmatch(text):
        return Decimal(text)
    return "'" + text if text[:1] in FORMULA_STARTS else text


class Writer:
    """Rows onto a text stream: the header (our own column names) as plain names, each data row's
    text cells quoted and escaped, numbers bare."""

    def __init__(self, out: io.StringIO, *, bom: bool = False) -> None:
        if bom:  # so spreadsheet programs read the file as UTF-8 (Chinese names and labels)
            out.write("\ufeff")
        self._header = csv.writer(out, lineterminator="\n")
        self._rows = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)

    def header(self, columns: Sequence[str]) -> None:
        self._header.writerow(columns)

    def row(self, values: Iterable[object]) -> None:
        self._rows.writerow([cell(value) for value in values])


def text(columns: Sequence[str], rows: Iterable[Iterable[object]], *, bom: bool = False) -> str:
    """A whole file: the header, then the rows."""
    out = io.StringIO()
    writer = Writer(out, bom=bom)
    writer.header(columns)
    for values in rows:
        writer.row(values)
    return out.getvalue()
