"""The outbox for admins: every e-mail with its status, attempts and last error; resend. Without an SMTP server
(development) this is also the mailbox where the e-mails can be read."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.mail import queries, services
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.render import HIDDEN, hide_link_secrets
from planapp.mail.settings import mail_setup
from planapp.web.access import requires
from planapp.web.htmx import render
from planapp.web.pagination import page_arg, text_arg

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

PER_PAGE = 50


def _load(message_id: int) -> OutboxMessage:
    message = queries.get_message(message_id)
    if message is None:
        abort(404)
    return message


@bp.get("/", endpoint="list")
@requires(Perm.MANAGE_OUTBOX)
def list_messages():
    status, kind, q = text_arg("status", 20), text_arg("kind", 50), text_arg("q")
    status = status if status in MailStatus.__members__.values() else ""
    kinds = queries.known_kinds()
    kind = kind if kind in kinds else ""
    page = queries.list_messages(status, kind, q, page_arg(), PER_PAGE)
    return render("mail/list.html", "mail/_table.html", target_id="outbox-table", page=page, status=status,
                  kind=kind, q=q, kinds=kinds, statuses=list(MailStatus), counts=queries.count_by_status(),
                  setup=mail_setup(current_app.config))


@bp.get("/<int:message_id>", endpoint="detail")
@requires(Perm.MANAGE_OUTBOX)
def detail(message_id: int):
    message = _load(message_id)
    # Single-use links (invitations, password resets, decisions) would let whoever reads them act as the
    # recipient: hidden from admins, except in the development mailbox, where following them is the point.
    reveal = mail_setup(current_app.config).mode == "mailbox"
    text, html = (message.text_body, message.html_body) if reveal else (
        hide_link_secrets(message.text_body), hide_link_secrets(message.html_body))
    return render_template("mail/detail.html", message=message, text_body=text, html_body=html,
                           hidden=text != message.text_body or HIDDEN in message.text_body,
                           resendable=services.can_resend(message))


@bp.post("/<int:message_id>/resend")
@requires(Perm.MANAGE_OUTBOX)
def resend(message_id: int):
    message = _load(message_id)
    try:
        services.resend_message(current_user, message, now())
    except ValidationFailed as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The e-mail to %(to)s is queued again.", to=message.to_addr), "success")
    return redirect(url_for("outbox.detail", message_id=message_id))
