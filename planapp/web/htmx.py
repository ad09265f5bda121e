"""Small helpers for htmx requests: fragment or full page, one template for both."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, get_flashed_messages, make_response, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not is_history_restore()


def is_history_restore() -> bool:
    return request.headers.get("HX-History-Restore-Request") == "true"


def is_boosted() -> bool:
    return request.headers.get("HX-Boosted") == "true"


def wants_fragment(target_id: str | None = None) -> bool:
    """A fragment for htmx requests aimed at a part of the page; full pages for boosted navigation."""
    if not is_htmx() or is_boosted():
        return False
    return target_id is None or request.headers.get("HX-Target") == target_id


def render_fragment(template: str, /, **context: Any) -> str:
    """A partial, plus any flashed messages swapped out-of-band into #flash."""
    body = render_template(template, **context)
    messages = get_flashed_messages(with_categories=True)
    if messages:
        body += render_template("_flash.html", messages=messages, oob=True)
    return body


def render(page_template: str, fragment_template: str, /, target_id: str | None = None, **context: Any) -> str:
    """The whole page, or only its fragment when htmx aims at the fragment's element."""
    if wants_fragment(target_id):
        return render_fragment(fragment_template, **context)
    return render_template(page_template, **context)


def trigger(body: str | Response, *events: str) -> Response:
    """Respond and let other components refresh themselves (`hx-trigger="event from:body"`)."""
    response = make_response(body)
    response.headers["HX-Trigger"] = json.dumps(dict.fromkeys(events))
    return response
