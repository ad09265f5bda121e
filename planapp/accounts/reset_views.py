"""Forgotten passwords: ask for a link by e-mail (the same answer for every address), then choose a new password."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from planapp.accounts import resets, tokens
from planapp.accounts.forms import ForgotPasswordForm
from planapp.accounts.link_views import set_password_by_link
from planapp.core.clock import now
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
    def use(password: str, moment: datetime) -> None:
        resets.reset_password(reset_token, password, moment, ip=request.remote_addr)

    def done(result: None):
        flash(_("Your password has been changed and every session was signed out. Sign in with the new "
                "password."), "success")
        return redirect(url_for("accounts.login"))

    return set_password_by_link(tokens.PASSWORD_RESET, reset_token, use, done,
                                lambda form, token: render_template("accounts/reset.html", form=form, token=token))
