"""Forgotten passwords: ask for a link by e-mail (the same answer for every address), then choose a new password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from planapp.accounts import resets, tokens
from planapp.accounts.forms import ForgotPasswordForm, SetPasswordForm
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.forms import apply_service_error
from planapp.core.i18n import localized_digits
from planapp.extensions import db
from planapp.web.access import public
from planapp.web.ratelimit import limit_per_ip

bp = Blueprint("password", __name__, url_prefix="/password")


@bp.after_request
def never_stored(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _minutes() -> str:
    return localized_digits(resets.valid_minutes(current_app.config["RESET_VALID_MINUTES"]))


@bp.route("/forgot", methods=["GET", "POST"])
@public
@limit_per_ip("LOGIN_RATE_LIMIT", scope="password_forgot")
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        resets.request_password_reset(form.email.data, now(), current_app.config["RESET_VALID_MINUTES"],
                                      ip=request.remote_addr)
        db.session.commit()
        # The same page whether or not the address has an account (RELIABILITY A4).
        return render_template("accounts/forgot_sent.html", email=form.email.data, minutes=_minutes())
    return render_template("accounts/forgot.html", form=form, minutes=_minutes())


@bp.route("/reset/<reset_token>", methods=["GET", "POST"])
@public
@limit_per_ip("LOGIN_RATE_LIMIT", scope="password_reset")
def reset(reset_token: str):
    moment = now()
    try:
        token = tokens.peek(tokens.PASSWORD_RESET, reset_token, moment)
    except tokens.LinkRefused as refusal:
        return render_template("accounts/link_refused.html", refusal=refusal), refusal.status
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            resets.reset_password(reset_token, form.password.data, moment, ip=request.remote_addr)
        except tokens.LinkRefused as refusal:
            db.session.rollback()
            return render_template("accounts/link_refused.html", refusal=refusal), refusal.status
        except DomainError as error:
            db.session.rollback()
            apply_service_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed and every session was signed out. Sign in with the new "
                    "password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token)
