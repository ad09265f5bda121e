"""Changes to agencies. Every change is audited; the caller's request commits."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from planapp.agencies.models import Agency, AgencyKind
from planapp.audit.services import record, record_changes, snapshot
from planapp.core import checks
from planapp.core.errors import ValidationFailed
from planapp.core.text import fold, search_key
from planapp.extensions import db

AUDITED = ("name", "name_en", "kind", "parent_id", "email", "is_active")


def _check_unique_name(name: str, exclude_id: int | None = None) -> None:
    checks.unique(Agency.name_key, fold(name), exclude_id, _l("An agency with this name already exists."), "name")


def _check_parent(agency: Agency | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = db.session.get(Agency, parent_id)
    if parent is None:
        raise ValidationFailed(_l("The parent agency does not exist."), field="parent_id")
    # Walk up from the new parent: meeting the agency itself would make a cycle.
    node: Agency | None = parent
    while node is not None and agency is not None:
        if node.id == agency.id:
            raise ValidationFailed(_l("An agency cannot be placed under itself."), field="parent_id")
        node = node.parent


def _apply(agency: Agency, data: dict[str, Any]) -> None:
    agency.name = checks.text(data.get("name"), "name", 200)
    agency.name_en = checks.text(data.get("name_en"), "name_en", 200, required=False) or None
    agency.kind = AgencyKind(data["kind"])
    agency.parent_id = data.get("parent_id") or None
    agency.email = checks.text(data.get("email"), "email", 254, required=False).lower() or None
    agency.name_key = fold(agency.name)
    agency.search_key = search_key(agency.name, agency.name_en, agency.email)


def create_agency(actor: Any, data: dict[str, Any]) -> Agency:
    _check_unique_name(checks.text(data.get("name"), "name", 200))
    _check_parent(None, data.get("parent_id"))
    agency = Agency()
    _apply(agency, data)
    db.session.add(agency)
    db.session.flush()
    record(actor, "agency.create", agency, summary=agency.name, after=snapshot(agency, AUDITED))
    return agency


def update_agency(actor: Any, agency: Agency, data: dict[str, Any]) -> Agency:
    _check_unique_name(checks.text(data.get("name"), "name", 200), exclude_id=agency.id)
    _check_parent(agency, data.get("parent_id"))
    before = snapshot(agency, AUDITED)
    _apply(agency, data)
    db.session.flush()
    record_changes(actor, "agency.update", agency, before, snapshot(agency, AUDITED), summary=agency.name)
    return agency


def set_agency_active(actor: Any, agency: Agency, active: bool) -> Agency:
    if agency.is_active == active:
        return agency
    agency.is_active = active
    db.session.flush()
    action = "agency.reactivate" if active else "agency.deactivate"
    record(actor, action, agency, summary=agency.name, before={"is_active": not active}, after={"is_active": active})
    return agency
