"""What the analysis page shows, as a workbook in the user's language: location quotients with the specialization
and concentration indices, shift-share, and the input-output table's multipliers and linkages (when the plan has
one); the location quotients alone as CSV. Written by the formula-safe helpers of planapp.core.exports.

A table without numbers carries the page's own reason in its first row, so a download never says less than the
page. Numbers stay numbers (unrounded, as the page's data-value); text (section names, uploaded labels) is
neutralised by the helpers.
"""

from __future__ import annotations

from flask_babel import gettext as _

from planapp.analysis.linkages import Linkages
from planapp.analysis.regional import Regional
from planapp.core import exports
from planapp.core.i18n import localized_digits

LQ_KEYS = ("code", "name", "province", "nation", "lq")
SHIFT_KEYS = ("code", "name", "base", "end", "national_share", "industry_mix", "regional_shift", "total_change")
IO_KEYS = ("label", "section", "multiplier", "backward", "forward", "key")


def _row(keys: tuple[str, ...], **values) -> dict:
    """A row with every column (the helpers look each key up), the rest left empty."""
    return {key: values.get(key) for key in keys}


def _notes(keys: tuple[str, ...], texts: list[str]) -> list[dict]:
    """The page's messages, one a row, in the name column."""
    return [_row(keys, **{keys[1]: str(text)}) for text in texts if text]


def lq_sheet(result: Regional) -> exports.Sheet:
    columns = [("code", _("ISIC section code")), ("name", _("ISIC section")), ("province", _("Province")),
               ("nation", _("Nation")), ("lq", _("Location quotient"))]
    if not result.lq_rows:
        return _("Location quotients"), columns, _notes(LQ_KEYS, [*result.problems, result.lq_problem])
    rows = [_row(LQ_KEYS, code=r.code, name=r.name, province=r.province, nation=r.nation, lq=r.lq)
            for r in result.lq_rows]
    # The indices under the table, as on the page: Krugman compares the two (the quotient's column), Herfindahl
    # is one figure for each.
    rows += [_row(LQ_KEYS), _row(LQ_KEYS, name=_("Krugman specialization index"), lq=result.specialization),
             _row(LQ_KEYS, name=_("Herfindahl concentration"), province=result.herfindahl_province,
                  nation=result.herfindahl_nation)]
    if result.problems:
        rows += [_row(LQ_KEYS), *_notes(LQ_KEYS, result.problems)]
    return _("Location quotients"), columns, rows


def shift_sheet(result: Regional) -> exports.Sheet:
    years = [localized_digits(year) if year else "" for year in (result.base, result.end)]
    columns = [("code", _("ISIC section code")), ("name", _("ISIC section")), ("base", years[0] or _("Base year")),
               ("end", years[1] or _("End year")), ("national_share", _("National share")),
               ("industry_mix", _("Industry mix")), ("regional_shift", _("Regional shift")),
               ("total_change", _("Total change"))]
    if not result.shift_rows:
        return _("Shift-share"), columns, _notes(SHIFT_KEYS, [*result.problems, result.shift_problem])
    rows = [_row(SHIFT_KEYS, code=r.code, name=r.name, base=r.base, end=r.end, national_share=r.national_share,
                 industry_mix=r.industry_mix, regional_shift=r.regional_shift, total_change=r.total_change)
            for r in result.shift_rows]
    return _("Shift-share"), columns, rows


def io_sheet(io: Linkages) -> exports.Sheet:
    columns = [("label", _("Sector")), ("section", _("ISIC section code")), ("multiplier", _("Output multiplier")),
               ("backward", _("Backward linkage")), ("forward", _("Forward linkage")), ("key", _("Key sector"))]
    if io.problem:
        return _("Input-output table"), columns, [_row(IO_KEYS, label=io.problem)]
    rows = [_row(IO_KEYS, label=r.label, section=r.section, multiplier=r.multiplier, backward=r.backward,
                 forward=r.forward, key=_("yes") if r.is_key else _("no")) for r in io.rows]
    return _("Input-output table"), columns, rows


def workbook(result: Regional, io: Linkages, rtl: bool) -> bytes:
    """One sheet per table of the page; the input-output sheet only when the plan has a table."""
    sheets = [lq_sheet(result), shift_sheet(result)]
    if io.table is not None:
        sheets.append(io_sheet(io))
    return exports.to_xlsx_sheets(sheets, rtl)


def lq_csv(result: Regional) -> bytes:
    _title, columns, rows = lq_sheet(result)
    return exports.to_csv(columns, rows)
