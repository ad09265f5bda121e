"""Sign-in, sign-out, password and language: the user's own account."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from planapp.accounts import services
from planapp.accounts.forms import LanguageForm, LoginForm, PasswordForm
from planapp.core.i18n import localized_digits
from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.web.access import public, requires
from planapp.web.forms import save_form
from planapp.web.ratelimit import limit_per_ip
from planapp.web.redirects import safe_next

bp = Blueprint("accounts", __name__)


def _start_session(user) -> None:
    # A fresh session at sign-in: nothing from before it survives but the chosen language.
    session.clear()
    login_user(user)
    session.permanent = True
    session["started"] = session["seen"] = int(time.time())


def _end_session() -> None:
    logout_user()
    session.clear()


@bp.route("/login", methods=["GET", "POST"])
@public
@limit_per_ip("LOGIN_RATE_LIMIT", scope="login")
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        config = current_app.config
        result = services.authenticate(
            form.email.data,
            form.password.data,
            ip=request.remote_addr,
            max_failures=config["LOGIN_MAX_FAILURES"],
            lock_minutes=config["LOGIN_LOCK_MINUTES"],
        )
        db.session.commit()
        if result.ok:
            _start_session(result.user)
            return redirect(safe_next(request.args.get("next")))
        if result.locked_until:
            error = _(
                "Too many failed attempts. Sign-in with this e-mail is locked for %(minutes)s minutes.",
                minutes=localized_digits(config["LOGIN_LOCK_MINUTES"]),
            )
        else:
            error = _("The e-mail or password is not correct.")
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
@requires(Perm.USE_APP)
def logout():
    language = current_user.language
    services.sign_out(current_user, ip=request.remote_addr)
    db.session.commit()
    _end_session()
    session["lang"] = language
    flash(_("You have signed out."), "success")
    return redirect(url_for("accounts.login"))


@bp.post("/language")
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            services.set_language(current_user, form.language.data)
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Perm.USE_APP)
def change_password():
    form = PasswordForm()
    if save_form(form, lambda: services.change_password(current_user, form.current_password.data,
                                                        form.new_password.data, ip=request.remote_addr)):
        user = current_user._get_current_object()
        # Every other session of this user has just ended; this one continues with the new token.
        _start_session(user)
        flash(_("Your password has been changed. Other sessions were signed out."), "success")
        return redirect(url_for("dashboard.index"))
    return render_template("accounts/password.html", form=form)
