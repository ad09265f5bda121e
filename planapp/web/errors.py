"""Error pages in the user's language: a full page, or a message in #flash for htmx fragments."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from planapp.web.htmx import is_boosted, is_htmx


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please sign in"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        409: _("This item was changed by someone else"),
        413: _("The file or form is too large"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
        503: _("The service is temporarily unavailable"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("Please reload the page and try again."),
        403: _("You do not have permission to see or do this."),
        404: _("The page or item you asked for does not exist, or you cannot see it."),
        405: _("Use the buttons on the page instead of typing the address."),
        413: _("Send a smaller file or less text."),
        429: _("Please wait a minute and try again."),
        500: _("The error has been recorded. Please try again later."),
        503: _("Please try again in a few minutes."),
    }


def render_error(code: int, detail: str | None = None) -> tuple[str, int, dict[str, str]]:
    title = _titles().get(code, _titles()[500])
    message = detail or _messages().get(code, "")
    if is_htmx() and not is_boosted():
        # A fragment request: say it where the user looks, without replacing the component.
        body = render_template("errors/_error.html", code=code, title=title, message=message)
        return body, code, {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
    return render_template("errors/error.html", code=code, title=title, message=message), code, {}


def handle_http_error(error: HTTPException) -> Any:
    code = error.code or 500
    # Only our own reasons (permission decisions, explicit aborts) are shown; Werkzeug's defaults are English.
    # (A refusal's Decision is falsy, so test for its presence, not its truth.)
    detail = error.description if getattr(error, "decision", None) is not None else None
    return render_error(code, detail or None)


def handle_csrf_error(error: CSRFError) -> Any:
    return render_error(400, _("The form has expired or is missing its security token. Reload the page and try again."))


def handle_server_error(error: InternalServerError) -> Any:
    # Never the exception text: it may hold data or internals (RELIABILITY L3).
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(HTTPException, handle_http_error)
