"""Which language a request speaks: the user's choice, else the session's, else Persian."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_login import current_user

from planapp.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: no user, no session
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    language = session.get("lang")
    return language if language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Tehran"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
