"""A plan's input-output table: reading the supervisor's CSV/XLSX, refusing a bad one whole, storing a good one.

The layout (also the downloadable template, `template_rows`):

    بخش        | A کشاورزی | C صنعت | … | ستانده کل
    A کشاورزی  | 120       | 340    | … | 2400
    C صنعت     | 80        | 910    | … | 5100
    …

Row 1 is the header: any title in its first cell, then the n sector labels, then the total-output title. Each of
the next n rows is a selling sector: its label (the same labels as the header, in the same order), its sales to
each buying sector (the intersectoral flows Z, row = seller, column = buyer) and, last, its total output x. Empty
flow cells count as zero; Persian digits and separators are accepted. A label names an ISIC section when it is the
section's code or name, or starts with the code and a space («C صنعت»): key sectors then become candidates tied
to that section.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from planapp.analysis import queries
from planapp.analysis.models import InputOutputTable
from planapp.analytics import AnalyticsError, InputOutput, input_output
from planapp.audit.services import record
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import format_number, lazy_digits
from planapp.core.permissions import Perm, can
from planapp.core.uploads import check_upload
from planapp.extensions import db
from planapp.indicators.import_messages import file_problem_message
from planapp.indicators.validate import FileProblem, parse_numbers
from planapp.indicators.validate import _csv_records as csv_records  # the import's bounded readers, reused
from planapp.indicators.validate import _xlsx_records as xlsx_records
from planapp.scoring.messages import analytics_message

KINDS = ("csv", "xlsx")
MAX_BYTES = 2 * 1024 * 1024  # a 200-sector table is about 300 KB as CSV
MAX_UNCOMPRESSED = 32 * 1024 * 1024
MAX_SECTORS = 200
MAX_LABEL = 120
ROW = "row"


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "fa"


def lazy_number(value: float) -> LazyString:
    """Grouped, in the user's digits, decided when the message is rendered."""
    return LazyString(lambda: format_number(float(value), _language(), None if float(value).is_integer() else 2))


class TableRefused(ValidationFailed):
    """The file is not a usable input-output table; nothing was stored."""


@dataclass(frozen=True)
class ParsedTable:
    labels: list[str]
    flows: np.ndarray  # n × n
    outputs: np.ndarray  # n


def _label(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _grid(data: bytes, kind: str) -> list[list[str]]:
    """The file's non-blank rows as text, trailing empty columns dropped."""
    try:
        chunks = csv_records(data) if kind == "csv" else xlsx_records(data, MAX_UNCOMPRESSED)
        frames = list(chunks)
    except FileProblem as problem:
        raise TableRefused(file_problem_message(problem.code, problem.args[1])) from None
    if not frames:
        raise TableRefused(_l("The file is empty: it has no rows."))
    frame = pd.concat(frames, ignore_index=True).drop(columns=ROW).fillna("").astype(str)
    frame = frame.map(str.strip)
    frame = frame.loc[(frame != "").any(axis=1)]
    filled = [column for column in frame.columns if (frame[column] != "").any()]
    if len(frame) > MAX_SECTORS + 1:
        raise TableRefused(_l("The table has more than %(n)s sectors.", n=lazy_digits(MAX_SECTORS)))
    if not filled:
        raise TableRefused(_l("The file is empty: it has no rows."))
    frame = frame.loc[:, frame.columns[: frame.columns.get_loc(filled[-1]) + 1]]
    return [list(row) for row in frame.itertuples(index=False)]


def parse_table(data: bytes, kind: str) -> ParsedTable:
    """Labels, Z and x from the file's text, or TableRefused with the first problem in the user's language."""
    grid = _grid(data, kind)
    header, body = grid[0], grid[1:]
    n = len(body)
    if n < 2:
        raise TableRefused(_l("The table needs at least two sectors: a header row and one row per sector."))
    width = n + 2
    if len(header) != width:
        raise TableRefused(_l("The table is not square: it has %(rows)s sector rows but %(columns)s sector columns. "
                              "The header needs a title, one label per sector row and the total output title.",
                              rows=lazy_digits(n), columns=lazy_digits(max(len(header) - 2, 0))))
    labels = [_label(row[0]) for row in body]
    for position, label in enumerate(labels, start=2):
        if not label:
            raise TableRefused(_l("Row %(row)s has no sector label in its first cell.", row=lazy_digits(position)))
        if len(label) > MAX_LABEL:
            raise TableRefused(_l("The sector label in row %(row)s is longer than %(n)s characters.",
                                  row=lazy_digits(position), n=lazy_digits(MAX_LABEL)))
    duplicate = next((label for i, label in enumerate(labels) if label in labels[:i]), None)
    if duplicate is not None:
        raise TableRefused(_l("The sector «%(label)s» has two rows.", label=duplicate))
    for position, (column, row) in enumerate(zip(header[1:-1], labels, strict=True), start=1):
        if _label(column) != row:
            raise TableRefused(_l("The labels do not match: column %(n)s of the header is «%(column)s» but row "
                                  "%(n)s names «%(row)s». The columns must name the row sectors in the same order.",
                                  n=lazy_digits(position), column=_label(column) or "—", row=row))
    cells = pd.DataFrame([row[1:] + [""] * (width - len(row)) for row in body]).astype(str)
    numbers = cells.apply(parse_numbers)
    flows = numbers.iloc[:, :n].where(cells.iloc[:, :n] != "", 0.0)  # an empty flow is no sale
    outputs = numbers.iloc[:, n]
    values = pd.concat([flows, outputs], axis=1)
    bad = np.argwhere(values.isna().to_numpy())
    if bad.size:
        row, column = bad[0]
        text = cells.iat[row, column]
        if column == n and not text:
            raise TableRefused(_l("The sector «%(label)s» has no total output in the last column.", label=labels[row]))
        raise TableRefused(_l("The cell in row %(row)s, column %(column)s («%(text)s») is not a number.",
                              row=lazy_digits(row + 2), column=lazy_digits(column + 2), text=text[:40]))
    negative = np.argwhere(flows.to_numpy() < 0)
    if negative.size:
        row, column = negative[0]
        raise TableRefused(_l("The sale of «%(seller)s» to «%(buyer)s» is negative; sales cannot be below zero.",
                              seller=labels[row], buyer=labels[column]))
    not_positive = np.flatnonzero(outputs.to_numpy() <= 0)
    if not_positive.size:
        raise TableRefused(_l("The total output of «%(label)s» is not above zero; every sector needs a positive "
                              "total output.", label=labels[not_positive[0]]))
    over = np.flatnonzero(flows.to_numpy().sum(axis=0) > outputs.to_numpy() * (1 + 1e-9))
    if over.size:
        raise TableRefused(_l("«%(label)s» buys more from the sectors (its column adds up to %(inputs)s) than its "
                              "total output of %(output)s; check the column and the total output.",
                              label=labels[over[0]], inputs=lazy_number(flows.iloc[:, over[0]].sum()),
                              output=lazy_number(outputs.iloc[over[0]])))
    parsed = ParsedTable(labels, flows.to_numpy(dtype=float), outputs.to_numpy(dtype=float))
    compute(parsed.labels, parsed.flows, parsed.outputs)  # singular or unproductive tables are refused here
    return parsed


def compute(labels: list[str], flows, outputs) -> InputOutput:
    try:
        return input_output(pd.DataFrame(np.asarray(flows, dtype=float), index=labels, columns=labels),
                            pd.Series(np.asarray(outputs, dtype=float), index=labels))
    except AnalyticsError as error:
        if error.code == "singular":
            raise TableRefused(_l("The table's I − A matrix cannot be inverted: together the sectors use up all of "
                                  "each other's output, so the Leontief inverse does not exist. Check the flows and "
                                  "the total outputs.")) from None
        raise TableRefused(analytics_message(error)) from None


_CODE_PREFIX = re.compile(r"^([A-Za-z]{1,3})(?:\s|[-–·:.)])")


def section_codes(labels: list[str], sections: dict[str, tuple[str, str]]) -> list[str | None]:
    """Each label's ISIC section code, or None: `sections` maps a code to its (Persian, English) names."""
    by_name = {}
    for code, names in sections.items():
        by_name[code.casefold()] = code
        for name in names:
            if name:
                by_name[_label(name).casefold()] = code
    found: list[str | None] = []
    for label in labels:
        code = by_name.get(label.casefold())
        if code is None and (prefix := _CODE_PREFIX.match(label)):
            code = by_name.get(prefix.group(1).casefold()) if prefix.group(1).upper() in sections else None
        found.append(code)
    return found


def upload_io_table(user, plan, filename: str, data: bytes, at: datetime, *,
                    max_bytes: int = MAX_BYTES) -> InputOutputTable:
    """Check the file (type by content, size), parse and check the table, then store it for the plan, replacing
    an earlier one (audited). A refusal raises ValidationFailed before anything is written; the caller commits."""
    decision = can(user, Perm.EDIT_PLAN, plan)
    if not decision:
        raise ValidationFailed(decision.reason)
    checked = check_upload(filename, data, max_bytes, kinds=KINDS)
    parsed = parse_table(data, checked.kind)
    values = {"labels": parsed.labels, "flows": parsed.flows.tolist(), "outputs": parsed.outputs.tolist(),
              "sections": section_codes(parsed.labels, queries.section_names()), "file_name": checked.name[:200],
              "uploaded_by_id": user.id, "uploaded_at": at}
    table = queries.get_io_table(plan.id)
    summary = {"file": checked.name, "sectors": len(parsed.labels), "sha256": checked.sha256}
    if table is None:
        table = InputOutputTable(plan_id=plan.id, **values)
        db.session.add(table)
        db.session.flush()
        record(user, "analysis.io_table_uploaded", table, summary=checked.name, after=summary)
        return table
    before = {"file": table.file_name, "sectors": len(table.labels), "uploaded_at": table.uploaded_at.isoformat()}
    for name, value in values.items():
        setattr(table, name, value)
    db.session.flush()
    record(user, "analysis.io_table_replaced", table, summary=checked.name, before=before, after=summary)
    return table


def template_rows() -> list[list[str]]:
    """The downloadable template: three sectors of the documented layout (numbers to replace)."""
    labels = ["A کشاورزی", "C صنعت", "G بازرگانی"]
    flows = [[120, 340, 40], [210, 910, 160], [90, 380, 120]]
    outputs = [2400, 5100, 3300]
    rows = [["بخش", *labels, "ستانده کل"]]
    rows += [[label, *map(str, row), str(output)] for label, row, output in zip(labels, flows, outputs, strict=True)]
    return rows
