"""The user's in-app notifications."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from planapp.core.clock import now
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.notifications import queries, services
from planapp.notifications.messages import render as render_message
from planapp.web.access import requires
from planapp.web.pagination import page_arg
from planapp.web.redirects import safe_next

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/", endpoint="list")
@requires(Perm.USE_APP)
def list_notifications():
    page = queries.list_notifications(current_user.id, page_arg())
    return render_template("notifications/list.html", page=page, message=render_message)


@bp.post("/<int:notification_id>/read")
@requires(Perm.USE_APP)
def read(notification_id: int):
    """Mark as read and follow the notification's link (only ever a path on this site)."""
    services.mark_read(current_user.id, notification_id, now())
    db.session.commit()
    return redirect(safe_next(request.form.get("next"), "notifications.list"))


@bp.post("/read-all")
@requires(Perm.USE_APP)
def read_all():
    services.mark_read(current_user.id, None, now())
    db.session.commit()
    return redirect(url_for("notifications.list"))
