"""Response headers (CSP and friends) and session lifetime rules, applied to every request."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from planapp.web.htmx import is_htmx

# No inline script or style anywhere: htmx is configured from a <meta> tag, not from JavaScript.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.add("Vary", "HX-Request")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user.is_authenticated and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


def enforce_session_lifetime() -> Any:
    """before_request: end a session idle for too long or older than its absolute lifetime."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    seen, started = session.get("seen", 0), session.get("started", 0)
    if now - seen > idle or now - started > absolute:
        logout_user()
        language = session.get("lang")
        session.clear()
        if language:
            session["lang"] = language
        flash(_("Your session has expired. Please sign in again."), "info")
        target = url_for("accounts.login")
        if is_htmx():
            response = current_app.response_class(status=401)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)
    if not _is_background_request():
        session["seen"] = now
    return None


def background(view: Any) -> Any:
    """Mark a route that the page polls by itself (the notification bell): it never counts as the person's
    activity, so an open tab cannot keep an idle session alive past SESSION_IDLE_TIMEOUT."""
    view.background_request = True
    return view


def _is_background_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "background_request", False)


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
