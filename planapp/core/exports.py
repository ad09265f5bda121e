"""CSV and XLSX exports for every list in the app: pure, streaming, safe against formula injection.

Views pass the columns as ``(key, label)`` pairs — ``key`` is a mapping key or an attribute name, dotted for
nested objects (``"agency.name"``); ``label`` is the already translated header — and any iterable of rows
(mappings or objects). Nothing here touches the request, the session or the database.

Formula injection (RELIABILITY.md decision 7, row X10; ASVS 1.2.10; OWASP "CSV Injection"): a *text* cell whose
first meaningful character is ``= + - @``, tab, carriage return, line feed or NUL is prefixed with ``'`` so no
spreadsheet evaluates it. "First meaningful" means after leading whitespace and invisible format characters
(bidi marks, ZWNJ, BOM), because spreadsheet importers may trim spaces and Persian text often starts with an
RLM; the full-width forms ``＝ ＋ － ＠`` count too. Only strings are neutralised: numbers, dates, booleans and
``None`` keep their types, so a negative *number* stays a number (the string ``"-5"`` does get the quote — pass
numbers as numbers). In XLSX every text cell is also stored with the string data type, so no cell of an
exported workbook is ever a formula.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from planapp.core.i18n import TEHRAN, jalali

Columns = Sequence[tuple[str, str]]

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_TRIGGERS = frozenset("=+-@\t\r\n\x00＝＋－＠")
_BOM = "\ufeff"
_CHUNK = 64 * 1024  # characters buffered before the CSV generator yields
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_NOT_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_HEADER_FONT = Font(bold=True)


def _is_trigger(text: str) -> bool:
    for char in text:
        if char in _TRIGGERS:
            return True
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue  # skip leading blanks and invisible marks, then look again
        return False
    return False


def neutralize(value: Any) -> Any:
    """A string that a spreadsheet could read as a formula gets a leading ``'``; anything else is returned as is."""
    if isinstance(value, str) and _is_trigger(value):
        return "'" + value
    return value


def _safe_text(text: str) -> str:
    """Control characters that XML cannot carry (all C0 but tab, CR, LF) dropped first, then neutralised.

    Dropping first matters: a stray control character before ``=`` must not hide the ``=`` from the check.
    """
    return neutralize(ILLEGAL_CHARACTERS_RE.sub("", text))


def _lookup(row: Mapping[str, Any] | object, key: str) -> Any:
    value: Any = row
    for part in key.split("."):
        if value is None:
            return None
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return value


def _typed(value: Any) -> Any:
    """The cell value: None, bool, int, float, Decimal, date, naive Tehran datetime, time, or a neutralised str."""
    if value is None or isinstance(value, bool | int | Decimal | date | time):
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime in an export; datetimes are aware (planapp.core.clock.now())")
            return value.astimezone(TEHRAN).replace(tzinfo=None)  # Excel has no time zones: Tehran wall time
        if isinstance(value, time) and value.tzinfo is not None:
            return value.replace(tzinfo=None)
        if isinstance(value, Decimal) and not value.is_finite():
            return None
        return value
    if isinstance(value, numbers.Integral):  # numpy integers and friends
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None  # NaN means "missing"; Excel cannot store inf
    return _safe_text(str(value))  # str, enums, lazy strings, UUIDs…


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def iter_csv(columns: Columns, rows: Iterable[Mapping[str, Any] | object], chunk_size: int = _CHUNK) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks (BOM first, CRLF line ends), for a streamed response; rows are read lazily.

    Dates are ISO 8601 (datetimes in Tehran wall time); numbers are written as numbers; text is neutralised.
    In both formats, control characters other than tab, CR and LF are dropped from text (XML cannot carry them).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(_BOM)
    writer.writerow([_safe_text(str(label)) for _, label in columns])
    keys = [key for key, _ in columns]
    for row in rows:
        writer.writerow([_csv_text(_typed(_lookup(row, key))) for key in keys])
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def to_csv(columns: Columns, rows: Iterable[Mapping[str, Any] | object]) -> bytes:
    return b"".join(iter_csv(columns, rows))


def _sheet_title(title: str) -> str:
    title = _SHEET_TITLE_BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", str(title))).strip().strip("'")
    return title[:31] or "Sheet"


def _text_cell(sheet: WriteOnlyWorksheet, text: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never "f": whatever the text, it is stored as a string, not a formula
    if font is not None:
        cell.font = font
    return cell


def to_xlsx(columns: Columns, rows: Iterable[Mapping[str, Any] | object], sheet_title: str, rtl: bool) -> bytes:
    """One-sheet workbook written in write-only mode (memory stays flat however many rows are read).

    Bold, frozen header; right-to-left sheet when ``rtl``; dates and numbers typed; text neutralised and stored as
    strings.
    """
    return to_xlsx_sheets([(sheet_title, columns, rows)], rtl)


Sheet = tuple[str, Columns, Iterable[Mapping[str, Any] | object]]


def to_xlsx_sheets(sheets: Sequence[Sheet], rtl: bool) -> bytes:
    """A workbook of several sheets, each ``(title, columns, rows)`` written as ``to_xlsx`` writes its one."""
    workbook = Workbook(write_only=True)
    for sheet_title, columns, rows in sheets:
        _write_sheet(workbook, sheet_title, columns, rows, rtl)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _write_sheet(workbook: Workbook, sheet_title: str, columns: Columns,
                 rows: Iterable[Mapping[str, Any] | object], rtl: bool) -> None:
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    sheet.sheet_view.rightToLeft = bool(rtl)
    sheet.freeze_panes = "A2"
    for index, (_, label) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, len(str(label)) + 4))
    sheet.append([_text_cell(sheet, _safe_text(str(label)), _HEADER_FONT) for _, label in columns])
    keys = [key for key, _ in columns]
    for row in rows:
        values = [_typed(_lookup(row, key)) for key in keys]
        sheet.append([_text_cell(sheet, value) if isinstance(value, str) else value for value in values])


def export_filename(base: str, extension: str, when: date) -> str:
    """ASCII-only download name with the Jalali date in ASCII digits: ``tasks-1405-09-04.csv``."""
    stem = _NOT_FILENAME.sub("-", base).strip(".-_") or "export"
    suffix = re.sub(r"[^a-z0-9]", "", extension.lower()) or "bin"
    return f"{stem}-{jalali(when).strftime('%Y-%m-%d')}.{suffix}"
