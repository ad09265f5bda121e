"""What an import's codes mean in the user's language: one message per problem code of a row, per code of a file
refused whole (planapp.indicators.validate), per runner error, and the text of each phase of the progress bar."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from planapp.indicators.models import ImportStatus, IndicatorImport
from planapp.indicators.queries import YEARS
from planapp.indicators.validate import COLUMNS, MAX_SOURCE
from planapp.web.filters import digits, num

COLUMN_LABELS = {
    "indicator": _l("Indicator"),
    "region": _l("County or region"),
    "sector": _l("Sector"),
    "year": _l("Year"),
    "value": _l("Value"),
    "source": _l("Source"),
    "": _l("The whole row"),
}

PROBLEMS = {
    "missing_value": _l("The cell is empty; a value is required here."),
    "unknown_indicator": _l("No active indicator has this code."),
    "not_your_indicator": _l("This indicator is collected by another agency; you may import only your agency's "
                             "indicators."),
    "unknown_region": _l("No active county or region has this code."),
    "unknown_sector": _l("No active sector has this code."),
    "sector_required": _l("This indicator is recorded by economic sector: give the sector."),
    "sector_not_allowed": _l("This indicator is not recorded by sector: leave the sector empty."),
    "not_a_year": _l("This is not a year: write a Jalali year such as 1403."),
    "not_a_number": _l("This is not a number. Digits, a decimal point and thousands separators are accepted."),
    "duplicate": _l("Another row has the same indicator, region, sector and year."),
}

ERRORS = {
    "internal": _l("The import stopped because of an error on our side. Nothing was stored; please try again."),
    "stalled": _l("The import stopped responding and was abandoned. Nothing was stored; please upload the file "
                  "again."),
}


def column_label(column: str) -> str:
    return str(COLUMN_LABELS.get(column, column))


def problem_message(code: str) -> str:
    if code == "year_out_of_range":
        return _("The year must be between %(low)s and %(high)s.", low=digits(YEARS[0]), high=digits(YEARS[1]))
    if code == "too_long":
        return _("The source is longer than %(n)s characters.", n=digits(MAX_SOURCE))
    return str(PROBLEMS.get(code, code))


def _names(values: Any) -> str:
    return "، ".join(str(v) or "—" for v in values or ())


def file_problem_message(code: str, details: dict[str, Any]) -> str:
    """A file refused whole, in the user's language, with its numbers and names."""
    if code == "too_large":
        return _("The file is larger than the limit of %(limit)s MB.",
                 limit=num(round(int(details.get("limit", 0)) / 1024 / 1024)))
    if code == "empty":
        return _("The file has a header row but no data rows.") if details.get("header_only") else \
            _("The file is empty: it has no rows.")
    if code == "encoding":
        return _("The CSV file must be text encoded in UTF-8 or Windows-1256.")
    if code == "not_csv":
        return _("The file is not a CSV table; save the sheet as CSV and try again.")
    if code == "not_xlsx":
        return _("The file is not an XLSX workbook (old .xls and password-protected files cannot be read); save it "
                 "as XLSX without a password and try again.")
    if code == "broken":
        return _("The file is damaged and cannot be read.")
    if code == "malformed":
        line = details.get("line")
        return _("The CSV file is malformed near line %(line)s (a quote left open or a wrong number of cells).",
                 line=digits(line)) if line else _("The CSV file is malformed.")
    if code == "zip_bomb":
        return _("The file would expand to far too much data when opened; it is refused as a possible zip bomb.")
    if code == "unsafe_xml":
        return _("The file contains XML DOCTYPE or ENTITY declarations, which are not allowed.")
    if code == "too_many_rows":
        return _("The file has more than %(limit)s rows; split it into smaller files.",
                 limit=num(details.get("limit", 0)))
    if code == "wrong_columns":
        parts = [_("The columns are not the expected ones.")]
        if details.get("missing"):
            parts.append(_("Missing: %(names)s.", names=_names(column_label(c) for c in details["missing"])))
        if details.get("unknown"):
            parts.append(_("Not recognised: %(names)s.", names=_names(details["unknown"])))
        if details.get("duplicate"):
            parts.append(_("Repeated: %(names)s.", names=_names(details["duplicate"])))
        parts.append(_("Expected: %(names)s.", names=_names(COLUMNS)))
        return " ".join(parts)
    return _("The file cannot be read.")


def error_message(code: str) -> str:
    return str(ERRORS.get(code, ERRORS["internal"]))


def phase_text(upload: IndicatorImport) -> str:
    """One line under the progress bar."""
    status, done, total = ImportStatus(upload.status), upload.processed_rows, upload.total_rows
    if status == ImportStatus.QUEUED:
        return _("Waiting to start…")
    if status == ImportStatus.VALIDATING:
        return _("Checking the rows: %(done)s of %(total)s", done=num(done), total=num(total)) if total \
            else _("Reading the file…")
    if status == ImportStatus.STAGING:
        return _("Preparing the rows: %(done)s of %(total)s", done=num(done), total=num(total))
    if status == ImportStatus.IMPORTING:
        return _("Storing %(total)s values… This last step can no longer be cancelled; it will finish.",
                 total=num(total))
    if status == ImportStatus.DONE:
        text = _("Done: %(inserted)s new values, %(updated)s changed, %(unchanged)s unchanged.",
                 inserted=num(upload.inserted), updated=num(upload.updated), unchanged=num(upload.unchanged))
        if upload.cancel_requested:
            text += " " + _("The cancel request came when the values were already being stored, so the import "
                            "finished.")
        return text
    if status == ImportStatus.CANCELLED:
        return _("Cancelled. Nothing was stored.")
    return _("Failed. Nothing was stored; see the report below.")


def percent(upload: IndicatorImport) -> int:
    """The progress bar: checking is the first half, preparing the next 40%, storing the rest."""
    status, done, total = ImportStatus(upload.status), upload.processed_rows, max(upload.total_rows, 1)
    if status.finished:
        return 100
    if status == ImportStatus.VALIDATING:
        return int(50 * done / total)
    if status == ImportStatus.STAGING:
        return 50 + int(40 * done / total)
    if status == ImportStatus.IMPORTING:
        return 95
    return 0


def report_message(upload: IndicatorImport) -> str | None:
    """Why the whole file failed (or None when the rows themselves are listed, or nothing failed)."""
    report = upload.report if isinstance(upload.report, dict) else {}
    if "file" in report:
        return file_problem_message(report["file"].get("code", ""), report["file"].get("details") or {})
    if "error" in report:
        return error_message(report["error"])
    return None
