"""The user's in-app notifications: the list, the bell's count, marking read (in place with htmx, or by a plain
form post)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from planapp.core.clock import now
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.notifications import queries, services
from planapp.notifications.messages import render as render_message
from planapp.web.access import requires
from planapp.web.htmx import render, render_fragment, trigger, wants_fragment
from planapp.web.pagination import page_arg
from planapp.web.redirects import safe_next
from planapp.web.security import background

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

CHANGED = "notifications-changed"  # the bell listens for it


@bp.get("/", endpoint="list")
@requires(Perm.USE_APP)
def list_notifications():
    page = queries.list_notifications(current_user.id, page_arg())
    return render("notifications/list.html", "notifications/_list.html", target_id="notification-list", page=page,
                  message=render_message)


@bp.get("/count")
@requires(Perm.USE_APP)
@background
def count():
    """The bell with its unread count; polled by the page and refreshed on `notifications-changed`."""
    return render_template("_nav_bell_link.html")


@bp.post("/<int:notification_id>/read")
@requires(Perm.USE_APP)
def read(notification_id: int):
    """Mark as read; in place for htmx (the item comes back), else follow the notification's link (only ever a
    path on this site)."""
    services.mark_read(current_user.id, notification_id, now())
    db.session.commit()
    if wants_fragment(f"notification-{notification_id}"):
        item = queries.get_notification(current_user.id, notification_id)
        body = render_fragment("notifications/_item.html", n=item, message=render_message) if item else ""
        return trigger(body, CHANGED)
    return redirect(safe_next(request.form.get("next"), "notifications.list"))


@bp.post("/read-all")
@requires(Perm.USE_APP)
def read_all():
    services.mark_read(current_user.id, None, now())
    db.session.commit()
    if wants_fragment("notification-list"):
        page = queries.list_notifications(current_user.id, page_arg())
        return trigger(render_fragment("notifications/_list.html", page=page, message=render_message), CHANGED)
    return redirect(url_for("notifications.list"))
