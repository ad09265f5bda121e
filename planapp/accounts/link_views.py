"""What the pages of a single-use link from an e-mail share: the page for a link that cannot be used, and the form
that sets a password by such a link (an invitation, a password reset)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import render_template

from planapp.accounts import tokens
from planapp.accounts.forms import SetPasswordForm
from planapp.accounts.models import ActionToken
from planapp.core.clock import now
from planapp.core.errors import DomainError
from planapp.core.forms import apply_service_error
from planapp.extensions import db

T = TypeVar("T")


def refused_page(refusal: tokens.LinkRefused):
    """A link that cannot be used: unknown (404), expired or already used (410), and what to do now."""
    return render_template("accounts/link_refused.html", refusal=refusal), refusal.status


def set_password_by_link(purpose: str, raw: str, use: Callable[[str, datetime], T], done: Callable[[T], Any],
                         page: Callable[[SetPasswordForm, ActionToken], Any]):
    """The page of a link that sets a password. A link that cannot be used is refused; a valid form is handed to
    `use(password, moment)`, which uses the link once, and is committed before `done(result)` answers; otherwise
    `page(form, token)` shows the form again with its errors (and the link still works)."""
    moment = now()
    try:
        token = tokens.peek(purpose, raw, moment)
    except tokens.LinkRefused as refusal:
        return refused_page(refusal)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            result = use(form.password.data, moment)
        except tokens.LinkRefused as refusal:  # used by a second request meanwhile
            db.session.rollback()
            return refused_page(refusal)
        except DomainError as error:
            db.session.rollback()
            apply_service_error(form, error)
        else:
            db.session.commit()
            return done(result)
    return page(form, token)
