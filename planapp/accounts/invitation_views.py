"""Participants: supervisors invite people by e-mail (to an agency or to one task); the invited person opens the
link from the e-mail, chooses a password and lands in their inbox."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.accounts import invitations, tokens
from planapp.accounts.forms import InvitationForm, SetPasswordForm
from planapp.accounts.link_views import set_password_by_link
from planapp.accounts.models import ActionToken, User
from planapp.accounts.views import _start_session
from planapp.agencies.queries import agency_choices
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.forms import apply_service_error
from planapp.core.i18n import localized_digits
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.tasks.models import Task
from planapp.web.access import public, requires
from planapp.web.filters import locale_code
from planapp.web.htmx import render, render_fragment, trigger, wants_fragment
from planapp.web.ratelimit import limit_per_ip

bp = Blueprint("invitations", __name__)

FIELDS = ("email", "name", "agency_id", "language", "task_id")


@bp.after_request
def never_stored(response):
    response.headers["Cache-Control"] = "no-store"  # pages with a link's secret in their address, signed in or not
    return response


def _task(task_id: object) -> Task | None:
    """The task an invitation is for, if this user runs it (otherwise the form simply has no task)."""
    task = db.session.get(Task, task_id) if isinstance(task_id, int) else None
    return task if task is not None and can(current_user, Perm.REVIEW_TASK, task) else None


def _form(task: Task | None = None, **kwargs) -> InvitationForm:
    form = InvitationForm(agency_choices=agency_choices(locale_code()), **kwargs)
    if task is not None and form.agency_id.data is None:
        form.agency_id.data = task.agency_id  # a task's invitation: its agency, unless another is chosen
    return form


def _context(form: InvitationForm, task: Task | None) -> dict:
    return {"form": form, "task": task, "days": localized_digits(current_app.config["INVITATION_VALID_DAYS"])}


@bp.get("/invitations/", endpoint="list")
@requires(Perm.INVITE_PARTICIPANT)
def list_invitations():
    if wants_fragment("invitation-table"):
        return render_fragment("invitations/_table.html", rows=invitations.recent_invitations(), now=now())
    arg = request.args.get("task", "")
    task = _task(int(arg) if arg.isdecimal() and arg.isascii() else None)
    form = _form(task, formdata=None, data={"task_id": task.id} if task else None)
    return render_template("invitations/list.html", rows=invitations.recent_invitations(), now=now(),
                           **_context(form, task))


@bp.post("/invitations/", endpoint="create")
@requires(Perm.INVITE_PARTICIPANT)
def create():
    form = _form()
    task = _task(form.task_id.data)
    if form.validate_on_submit():
        try:
            invitation = invitations.invite_participant(
                current_user, {name: form[name].data for name in FIELDS} | {"task_id": task.id if task else None},
                now(), current_app.config["INVITATION_VALID_DAYS"])
        except DomainError as error:
            db.session.rollback()
            apply_service_error(form, error)
        else:
            db.session.commit()
            flash(_("An invitation was sent to %(email)s. The link works once, for %(days)s days.",
                    email=invitation.user.email, days=localized_digits(current_app.config["INVITATION_VALID_DAYS"])),
                  "success")
            if not wants_fragment("invite-form"):
                return redirect(url_for("invitations.list", task=task.id if task else None))
            fresh = _form(task, formdata=None, data={"task_id": task.id} if task else None)
            return trigger(render_fragment("invitations/_form.html", **_context(fresh, task)), "invitations-changed")
    # Errors are shown in place with 200 (htmx does not swap 4xx answers into a form).
    return render("invitations/list.html", "invitations/_form.html", target_id="invite-form",
                  rows=invitations.recent_invitations(), now=now(), **_context(form, task))


@bp.route("/invitation/<invitation_token>", methods=["GET", "POST"], endpoint="accept")
@public
@limit_per_ip("LOGIN_RATE_LIMIT", scope="invitation")
def accept(invitation_token: str):
    def use(password: str, moment: datetime) -> User:
        return invitations.accept_invitation(invitation_token, password, moment, ip=request.remote_addr)

    def done(user: User):
        _start_session(user)
        flash(_("Welcome, %(name)s. Your password is set; here are the tasks waiting for you.", name=user.name),
              "success")
        return redirect(url_for("tasks.inbox"))

    def page(form: SetPasswordForm, token: ActionToken):
        task_id = token.payload.get("task_id")
        return render_template("invitations/accept.html", form=form, token=token, invited=token.user,
                               task=db.session.get(Task, task_id) if task_id else None)

    return set_password_by_link(tokens.INVITATION, invitation_token, use, done, page)
