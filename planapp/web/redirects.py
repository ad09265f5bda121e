"""Redirect targets taken from users (`next`) must stay on this site (RELIABILITY X8)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

_FORBIDDEN = ("\\", "\r", "\n", "\t", "\x00")


def safe_next(target: str | None, default_endpoint: str = "dashboard.index") -> str:
    """`target` if it is a path on this site, else the default page."""
    default = url_for(default_endpoint)
    if not target:
        return default
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or any(ch in target for ch in _FORBIDDEN):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
