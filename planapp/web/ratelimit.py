"""Per-IP request limits on sensitive endpoints (sign-in), stored where every worker sees them.

Built on `limits` directly rather than Flask-Limiter: that extension keeps its storage and its on/off switch
on one module-level object, so two apps in one process (tests, CLI + web) overwrite each other's settings.
Here each app owns its limiter in `app.extensions`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import limits
from flask import Flask, current_app, request
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, storage_uri: str, enabled: bool = True, key_prefix: str = "planapp"):
        self.enabled = enabled
        options = {} if storage_uri.startswith("memory://") else {"key_prefix": key_prefix}
        self.storage = storage_from_string(storage_uri, **options)
        self.strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, rule: str, *identifiers: str) -> bool:
        """Count one request; False once the limit is passed. A broken store lets requests through (logged)."""
        if not self.enabled:
            return True
        try:
            return self.strategy.hit(limits.parse(rule), *identifiers)
        except Exception:  # the rate-limit store must never take sign-in down with it
            log.exception("rate-limit store unavailable; request allowed")
            return True


def limit_per_ip(config_key: str, scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Limit POSTs to a view per client IP with the rule in `app.config[config_key]` (e.g. "20 per minute")."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST":
                limiter: RateLimiter = current_app.extensions["planapp.ratelimit"]
                if not limiter.hit(current_app.config[config_key], scope, request.remote_addr or "-"):
                    raise TooManyRequests()
            return view(*args, **kwargs)

        return limited

    return decorate


def init_app(app: Flask) -> None:
    app.extensions["planapp.ratelimit"] = RateLimiter(
        app.config["RATELIMIT_STORAGE_URI"],
        enabled=app.config.get("RATELIMIT_ENABLED", True),
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "planapp"),
    )
