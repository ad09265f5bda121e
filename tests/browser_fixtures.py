"""Real-browser fixtures: Debian's Chromium driven by Playwright against the app served on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        if os.environ.get("PLANAPP_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required but not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium where allowed)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def live_server(ctx) -> Iterator[str]:
    """The test's app served over real HTTP in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The browser's requests must see rows the test created.
    from planapp.extensions import db

    db.session.commit()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def server(ctx, make_app) -> Iterator[str]:
    """The app over real HTTP, with CSRF protection on (the harness's test config turns it off)."""
    from tests.test_browser import hand_over

    app = make_app(WTF_CSRF_ENABLED=True)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    hand_over()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def contexts(browser):
    """New browser contexts (one per person), each watched for CSP violations and script errors."""
    from tests.test_browser import BrowserWatch

    opened: list = []

    def open_context(**options):
        context = browser.new_context(locale="fa-IR", **options)
        opened.append(context)
        return context, BrowserWatch().attach(context)

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
