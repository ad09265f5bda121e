"""Admin table of holidays, a Jalali year at a time: add, correct in place, delete (configuration, audited)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from planapp.calendar import queries, services
from planapp.calendar.forms import HolidayForm
from planapp.calendar.models import Holiday
from planapp.core.clock import now
from planapp.core.i18n import ascii_digits, jalali, localized_digits, parse_jalali_date
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.web.access import requires
from planapp.web.filters import jdate
from planapp.web.forms import save_form
from planapp.web.htmx import render_fragment, trigger, wants_fragment
from planapp.web.pagination import text_arg

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")

FIRST_YEAR, LAST_YEAR = 1300, 1499  # what the year filter accepts


def current_year() -> int:
    return jalali(now()).year


def _year() -> int:
    text = ascii_digits(text_arg("year", 8)).strip()
    year = int(text) if text.isdecimal() and text.isascii() else None
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else current_year()


def _load(holiday_id: int) -> Holiday:
    holiday = queries.get_holiday(holiday_id)
    if holiday is None:
        abort(404)
    return holiday


def _form(holiday: Holiday | None = None, **kwargs) -> HolidayForm:
    if holiday is None:
        return HolidayForm(**kwargs)
    shown = {"day": localized_digits(jalali(holiday.day).strftime("%Y/%m/%d")), "name": holiday.name,
             "name_en": holiday.name_en or ""}
    return HolidayForm(data=shown, **kwargs)


def _data(form: HolidayForm) -> dict:
    return {"day": parse_jalali_date(form.day.data), "name": form.name.data, "name_en": form.name_en.data}


def _context(year: int) -> dict:
    return {"year": year, "holidays": queries.list_holidays(year)}


@bp.get("/", endpoint="list")
@requires(Perm.MANAGE_HOLIDAYS)
def list_holidays():
    year = _year()
    if wants_fragment("holiday-table"):
        return render_fragment("holidays/_table.html", **_context(year))
    this_year = current_year()
    years = sorted({*range(this_year - 1, this_year + 3), year})
    return render_template("holidays/list.html", form=_form(), years=years, **_context(year))


@bp.post("/")
@requires(Perm.MANAGE_HOLIDAYS)
def create():
    form = _form()
    if saved := save_form(form, lambda: services.add_holiday(current_user, _data(form))):
        holiday = saved.value
        flash(_("%(day)s, «%(name)s», was added to the holidays.", day=jdate(holiday.day), name=holiday.name),
              "success")
        return trigger(render_fragment("holidays/_create_form.html", form=_form(formdata=None)), "holidays-changed")
    return render_fragment("holidays/_create_form.html", form=form, open=True)


@bp.get("/<int:holiday_id>/row")
@requires(Perm.MANAGE_HOLIDAYS)
def row(holiday_id: int):
    return render_fragment("holidays/_row.html", holiday=_load(holiday_id))


@bp.get("/<int:holiday_id>/edit")
@requires(Perm.MANAGE_HOLIDAYS)
def edit(holiday_id: int):
    holiday = _load(holiday_id)
    return render_fragment("holidays/_row_form.html", holiday=holiday, form=_form(holiday, formdata=None))


@bp.post("/<int:holiday_id>")
@requires(Perm.MANAGE_HOLIDAYS)
def update(holiday_id: int):
    holiday = _load(holiday_id)
    form = _form(holiday)
    day = holiday.day
    if save_form(form, lambda: services.update_holiday(current_user, holiday, _data(form))):
        flash(_("%(day)s, «%(name)s», was saved.", day=jdate(holiday.day), name=holiday.name), "success")
        body = render_fragment("holidays/_row.html", holiday=holiday)
        # The day moved (perhaps to another year): the table puts it in its place.
        return trigger(body, "holidays-changed") if holiday.day != day else body
    return render_fragment("holidays/_row_form.html", holiday=holiday, form=form)


@bp.post("/<int:holiday_id>/delete")
@requires(Perm.MANAGE_HOLIDAYS)
def delete(holiday_id: int):
    holiday = _load(holiday_id)
    day, name = jdate(holiday.day), holiday.name
    services.delete_holiday(current_user, holiday)
    db.session.commit()
    flash(_("%(day)s, «%(name)s», is no longer a holiday. Deadlines computed from now on count it as a working "
            "day (unless it is a weekend day).", day=day, name=name), "success")
    return trigger(render_fragment("holidays/_deleted.html"), "holidays-changed")
