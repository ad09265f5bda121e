"""Every endpoint declares its access policy; a before-request hook enforces it, failing closed.

    @bp.get("/agencies")
    @requires(Perm.MANAGE_AGENCIES)
    def list(): ...

A route without `@requires` or `@public` answers 403 (and the AC1 test names it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core.permissions import Perm, require
from planapp.web.htmx import is_htmx

PUBLIC = "public"
_ATTR = "access_policy"


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    setattr(view, _ATTR, PUBLIC)
    return view


def requires(perm: Perm) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, _ATTR, perm)
        return view

    return mark


def policy_of(endpoint: str | None) -> str | Perm | None:
    if endpoint in (None, "static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, _ATTR, None)


def enforce_access_policy() -> Any:
    """before_request: sign-in first, then the role/permission check from core.permissions."""
    if request.url_rule is None:  # 404/405 are routed to their own handlers
        return None
    policy = policy_of(request.endpoint)
    if policy == PUBLIC:
        return None
    if policy is None:
        current_app.logger.error("route %s declares no access policy; refused", request.endpoint)
        require(None, Perm.USE_APP)  # raises 403
    if not current_user.is_authenticated:
        return login_redirect()
    require(current_user, policy)
    return None


def login_redirect() -> Any:
    target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        # htmx follows HX-Redirect with a full page load (a fragment must not become a login form).
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash(_("Please sign in to continue."), "info")
    return redirect(target)
