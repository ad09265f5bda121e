"""Admin pages of the catalog: indicators (filter, search, create, edit in place, deactivate), the regions
(counties added and edited; the country and the province only renamed) and the sectors (ISIC sections and finer
sectors under them; TOTAL fixed). Nothing is deleted: values point at these rows."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from planapp.agencies.queries import agency_choices
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.indicators import catalog_queries as queries
from planapp.indicators import catalog_services as services
from planapp.indicators.catalog_forms import IndicatorForm, RegionForm, SectorForm
from planapp.indicators.models import TOTAL_SECTOR, Category, Indicator, RegionKind, Sector
from planapp.web.access import requires
from planapp.web.filters import locale_code
from planapp.web.forms import save_form
from planapp.web.htmx import render_fragment, trigger, wants_fragment
from planapp.web.pagination import page_arg, per_page, text_arg

bp = Blueprint("indicators", __name__, url_prefix="/admin/indicators")
regions_bp = Blueprint("regions", __name__, url_prefix="/admin/regions")
sectors_bp = Blueprint("sectors", __name__, url_prefix="/admin/sectors")

INDICATOR_FIELDS = ("code", "name", "name_en", "category", "unit", "unit_en", "source_agency_id", "frequency",
                    "direction", "by_sector", "description")


def _found(obj):
    if obj is None:
        abort(404)
    return obj


def _create_in_place(form, create, data, template: str, fresh, event: str, done):
    """The create form of a catalog page: on success a flash (`done(row)`), a fresh form and `event` so the table
    reloads itself; otherwise the form again, open, with its errors."""
    if saved := save_form(form, lambda: create(current_user, data)):
        flash(done(saved.value), "success")
        return trigger(render_fragment(template, form=fresh()), event)
    return render_fragment(template, form=form, open=True)


# Indicators ----------------------------------------------------------------------------------------------------


def _indicator_form(indicator: Indicator | None = None, **kwargs) -> IndicatorForm:
    keep = indicator.source_agency_id if indicator else None
    return IndicatorForm(obj=indicator, agency_choices=agency_choices(locale_code(), keep_id=keep), **kwargs)


def _indicator_data(form: IndicatorForm) -> dict:
    return {name: form[name].data for name in INDICATOR_FIELDS}


def _filters() -> dict[str, str]:
    return {"q": text_arg("q"), "category": text_arg("category", 30), "status": text_arg("status", 10) or "active"}


@bp.get("/", endpoint="list")
@requires(Perm.MANAGE_INDICATORS)
def list_indicators():
    filters = _filters()
    page = queries.list_indicators(**filters, page=page_arg(), per_page=per_page())
    if wants_fragment("indicator-table"):
        return render_fragment("indicators/_table.html", page=page, filters=filters)
    return render_template("indicators/list.html", page=page, filters=filters, form=_indicator_form(),
                           categories=list(Category))


@bp.post("/")
@requires(Perm.MANAGE_INDICATORS)
def create():
    form = _indicator_form()
    return _create_in_place(form, services.create_indicator, _indicator_data(form), "indicators/_create_form.html",
                            lambda: _indicator_form(formdata=None), "indicators-changed",
                            lambda row: _("Indicator «%(name)s» was created.", name=row.name))


@bp.get("/<int:indicator_id>/row")
@requires(Perm.MANAGE_INDICATORS)
def row(indicator_id: int):
    return render_fragment("indicators/_row.html", indicator=_found(queries.get_indicator(indicator_id)))


@bp.get("/<int:indicator_id>/edit")
@requires(Perm.MANAGE_INDICATORS)
def edit(indicator_id: int):
    indicator = _found(queries.get_indicator(indicator_id))
    return render_fragment("indicators/_row_form.html", indicator=indicator,
                           form=_indicator_form(indicator, formdata=None))


@bp.post("/<int:indicator_id>")
@requires(Perm.MANAGE_INDICATORS)
def update(indicator_id: int):
    indicator = _found(queries.get_indicator(indicator_id))
    form = _indicator_form(indicator)
    if save_form(form, lambda: services.update_indicator(current_user, indicator, _indicator_data(form))):
        flash(_("Indicator «%(name)s» was saved.", name=indicator.name), "success")
        return render_fragment("indicators/_row.html", indicator=indicator)
    return render_fragment("indicators/_row_form.html", indicator=indicator, form=form)


@bp.post("/<int:indicator_id>/deactivate")
@requires(Perm.MANAGE_INDICATORS)
def deactivate(indicator_id: int):
    indicator = services.set_indicator_active(current_user, _found(queries.get_indicator(indicator_id)), False)
    db.session.commit()
    flash(_("Indicator «%(name)s» was deactivated. Its values are kept.", name=indicator.name), "success")
    return render_fragment("indicators/_row.html", indicator=indicator)


@bp.post("/<int:indicator_id>/reactivate")
@requires(Perm.MANAGE_INDICATORS)
def reactivate(indicator_id: int):
    indicator = services.set_indicator_active(current_user, _found(queries.get_indicator(indicator_id)), True)
    db.session.commit()
    flash(_("Indicator «%(name)s» was reactivated.", name=indicator.name), "success")
    return render_fragment("indicators/_row.html", indicator=indicator)


# Regions -------------------------------------------------------------------------------------------------------


def _region_data(form: RegionForm) -> dict:
    return {"code": form.code.data, "name": form.name.data, "name_en": form.name_en.data}


@regions_bp.get("/", endpoint="list")
@requires(Perm.MANAGE_INDICATORS)
def list_regions():
    return render_template("indicators/regions.html", regions=queries.list_regions(), form=RegionForm())


@regions_bp.post("/", endpoint="create")
@requires(Perm.MANAGE_INDICATORS)
def region_create():
    form = RegionForm()
    return _create_in_place(form, services.create_county, _region_data(form), "indicators/_region_create_form.html",
                            lambda: RegionForm(formdata=None), "regions-changed",
                            lambda row: _("County «%(name)s» was added.", name=row.name))


@regions_bp.get("/table")
@requires(Perm.MANAGE_INDICATORS)
def table():
    return render_fragment("indicators/_region_table.html", regions=queries.list_regions())


@regions_bp.get("/<int:region_id>/row", endpoint="row")
@requires(Perm.MANAGE_INDICATORS)
def region_row(region_id: int):
    return render_fragment("indicators/_region_row.html", region=_found(queries.get_region(region_id)))


@regions_bp.get("/<int:region_id>/edit", endpoint="edit")
@requires(Perm.MANAGE_INDICATORS)
def region_edit(region_id: int):
    region = _found(queries.get_region(region_id))
    form = RegionForm(obj=region, formdata=None)
    return render_fragment("indicators/_region_row_form.html", region=region, form=form)


@regions_bp.post("/<int:region_id>", endpoint="update")
@requires(Perm.MANAGE_INDICATORS)
def region_update(region_id: int):
    region = _found(queries.get_region(region_id))
    form = RegionForm(obj=region)
    if save_form(form, lambda: services.update_region(current_user, region, _region_data(form))):
        flash(_("«%(name)s» was saved.", name=region.name), "success")
        return render_fragment("indicators/_region_row.html", region=region)
    return render_fragment("indicators/_region_row_form.html", region=region, form=form)


def _set_region(region_id: int, active: bool):
    region = _found(queries.get_region(region_id))
    if region.kind != RegionKind.COUNTY:
        abort(404)
    services.set_county_active(current_user, region, active)
    db.session.commit()
    if active:
        flash(_("County «%(name)s» was reactivated.", name=region.name), "success")
    else:
        flash(_("County «%(name)s» was deactivated. Its values are kept.", name=region.name), "success")
    return render_fragment("indicators/_region_row.html", region=region)


@regions_bp.post("/<int:region_id>/deactivate", endpoint="deactivate")
@requires(Perm.MANAGE_INDICATORS)
def region_deactivate(region_id: int):
    return _set_region(region_id, False)


@regions_bp.post("/<int:region_id>/reactivate", endpoint="reactivate")
@requires(Perm.MANAGE_INDICATORS)
def region_reactivate(region_id: int):
    return _set_region(region_id, True)


# Sectors -------------------------------------------------------------------------------------------------------


def _sector_form(sector: Sector | None = None, **kwargs) -> SectorForm:
    sections = [(i, label) for i, label in queries.section_choices(locale_code()) if not sector or i != sector.id]
    return SectorForm(obj=sector, section_choices=sections, **kwargs)


def _sector_data(form: SectorForm) -> dict:
    return {"code": form.code.data, "name": form.name.data, "name_en": form.name_en.data,
            "parent_id": form.parent_id.data}


def _editable_sector(sector_id: int) -> Sector:
    sector = _found(queries.get_sector(sector_id))
    if sector.code == TOTAL_SECTOR:
        abort(404)
    return sector


@sectors_bp.get("/", endpoint="list")
@requires(Perm.MANAGE_INDICATORS)
def list_sectors():
    return render_template("indicators/sectors.html", sectors=queries.list_sectors(), form=_sector_form(),
                           sections=queries.section_codes())


@sectors_bp.get("/table", endpoint="table")
@requires(Perm.MANAGE_INDICATORS)
def sector_table():
    return render_fragment("indicators/_sector_table.html", sectors=queries.list_sectors(),
                           sections=queries.section_codes())


@sectors_bp.post("/", endpoint="create")
@requires(Perm.MANAGE_INDICATORS)
def sector_create():
    form = _sector_form()
    return _create_in_place(form, services.create_sector, _sector_data(form), "indicators/_sector_create_form.html",
                            lambda: _sector_form(formdata=None), "sectors-changed",
                            lambda row: _("Sector «%(name)s» was added.", name=row.name))


@sectors_bp.get("/<int:sector_id>/row", endpoint="row")
@requires(Perm.MANAGE_INDICATORS)
def sector_row(sector_id: int):
    return render_fragment("indicators/_sector_row.html", sector=_found(queries.get_sector(sector_id)),
                           sections=queries.section_codes())


@sectors_bp.get("/<int:sector_id>/edit", endpoint="edit")
@requires(Perm.MANAGE_INDICATORS)
def sector_edit(sector_id: int):
    sector = _editable_sector(sector_id)
    return render_fragment("indicators/_sector_row_form.html", sector=sector, form=_sector_form(sector, formdata=None))


@sectors_bp.post("/<int:sector_id>", endpoint="update")
@requires(Perm.MANAGE_INDICATORS)
def sector_update(sector_id: int):
    sector = _editable_sector(sector_id)
    form = _sector_form(sector)
    if save_form(form, lambda: services.update_sector(current_user, sector, _sector_data(form))):
        flash(_("Sector «%(name)s» was saved.", name=sector.name), "success")
        # A section's place may change the order: the table redraws itself.
        body = render_fragment("indicators/_sector_row.html", sector=sector, sections=queries.section_codes())
        return trigger(body, "sectors-changed")
    return render_fragment("indicators/_sector_row_form.html", sector=sector, form=form)


def _set_sector(sector_id: int, active: bool):
    sector = services.set_sector_active(current_user, _editable_sector(sector_id), active)
    db.session.commit()
    if active:
        flash(_("Sector «%(name)s» was reactivated.", name=sector.name), "success")
    else:
        flash(_("Sector «%(name)s» was deactivated. Its values are kept.", name=sector.name), "success")
    return render_fragment("indicators/_sector_row.html", sector=sector, sections=queries.section_codes())


@sectors_bp.post("/<int:sector_id>/deactivate", endpoint="deactivate")
@requires(Perm.MANAGE_INDICATORS)
def sector_deactivate(sector_id: int):
    return _set_sector(sector_id, False)


@sectors_bp.post("/<int:sector_id>/reactivate", endpoint="reactivate")
@requires(Perm.MANAGE_INDICATORS)
def sector_reactivate(sector_id: int):
    return _set_sector(sector_id, True)
