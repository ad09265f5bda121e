"""Reading list parameters from the query string, with bounds."""

from __future__ import annotations

from flask import current_app, request


def page_arg() -> int:
    page = request.args.get("page", "1")
    return max(1, min(int(page), 100_000)) if page.isdecimal() and page.isascii() else 1


def per_page() -> int:
    return current_app.config["PER_PAGE"]


def text_arg(name: str, max_length: int = 200) -> str:
    return request.args.get(name, "")[:max_length]
