"""Flask-Login wiring: the login id carries the user's session token, checked on every request."""

from __future__ import annotations

import hmac

from flask import Flask
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.extensions import db, login_manager


def load_user(login_id: str) -> User | None:
    user_id, _, token = login_id.partition(":")
    if not (user_id.isascii() and user_id.isdecimal()) or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or not hmac.compare_digest(user.session_token, token):
        return None  # signed out elsewhere, password changed, or deactivated
    return user


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"
