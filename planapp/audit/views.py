"""The audit log, for admins: who did what, when, before → after."""

from __future__ import annotations

from flask import Blueprint

from planapp.audit import labels, queries
from planapp.core.permissions import Perm
from planapp.web.access import requires
from planapp.web.htmx import render
from planapp.web.pagination import page_arg, text_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
bp.add_app_template_filter(labels.action_label, "audit_action")
bp.add_app_template_filter(labels.show_value, "audit_value")
bp.add_app_template_filter(labels.raw_json, "audit_raw")
bp.add_app_template_filter(labels.show_summary, "audit_summary")


@bp.get("/", endpoint="list")
@requires(Perm.VIEW_AUDIT)
def list_events():
    realm, q = text_arg("realm", 20), text_arg("q")
    prefix = realm + "." if realm in labels.AREAS else ""
    page = queries.list_events(prefix, q, page_arg(), 50)
    return render(
        "audit/list.html", "audit/_table.html", target_id="audit-table",
        page=page, realm=realm, q=q, realms=labels.AREAS,
    )
