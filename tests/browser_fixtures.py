"""Real-browser fixtures and helpers: Debian's Chromium driven by Playwright against the app served on 127.0.0.1.

Every browser context a test opens can be watched (BrowserWatch) for Content-Security-Policy violations and
JavaScript errors (RELIABILITY X3: 0 violations in the browser suite).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect
from werkzeug.serving import make_server

from planapp.extensions import db
from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
MOBILE = {"width": 375, "height": 740}

# Reports every CSP violation seen by the page to the test (the console also reports them; both are watched).
_CSP_LISTENER = """
window.__planappCspPending = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__planappCspPending.push(window.__planappReportCsp({
    directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile,
    line: event.lineNumber, sample: event.sample, page: document.location.href,
  }));
});
"""


# --------------------------------------------------------------------------- helpers


@dataclass
class BrowserWatch:
    """CSP violations and JavaScript errors seen in one browser context."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> BrowserWatch:
        context.expose_binding("__planappReportCsp", lambda _source, info: self.csp.append(f"event: {info}"))
        context.add_init_script(_CSP_LISTENER)
        for page in context.pages:
            self._watch_page(page)
        context.on("page", self._watch_page)
        return self

    def _watch_page(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp.append(f"console {message.type}: {text} @ {message.location}")
        elif message.type == "error":
            self.errors.append(f"console error: {text} @ {message.location}")

    @staticmethod
    def settle(page: Page) -> None:
        """Wait until the current document's violation reports have reached the test."""
        page.evaluate("Promise.all(window.__planappCspPending || [])")

    def assert_clean(self, page: Page | None = None) -> None:
        if page is not None and not page.is_closed():
            self.settle(page)
        assert self.csp == [], "Content-Security-Policy violations:\n" + "\n".join(self.csp)
        assert self.errors == [], "JavaScript errors:\n" + "\n".join(self.errors)


def hand_over() -> None:
    """End the test's own transaction before the browser acts.

    The served app answers in other threads; on SQLite every transaction (even a read, BEGIN IMMEDIATE)
    holds the write lock, so a test that read a row after the factory's commit would block the server.
    """
    db.session.commit()


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit].primary").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.locator("#greeting")).to_be_visible()
    # The DOM can be there before the stylesheet (a 304 still takes a round trip): wait for it.
    page.wait_for_load_state("load")


def signed_in_page(contexts, base: str, email: str, **options) -> tuple[Page, BrowserWatch]:
    context, watch = contexts(**options)
    page = context.new_page()
    sign_in(page, base, email)
    return page, watch


def expect_language(page: Page, lang: str, direction: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", direction)
    assert page.evaluate("getComputedStyle(document.body).direction") == direction


def overflow_report(page: Page, width: int) -> tuple[int, list[str]]:
    """The page's scroll width and the elements that stick out past the viewport's right or left edge."""
    return page.evaluate(
        """(width) => {
          const out = [];
          for (const el of document.querySelectorAll("body *")) {
            const r = el.getBoundingClientRect();
            if (r.width && (r.right > width + 1 || r.left < -1)) {
              const name = `${el.tagName.toLowerCase()}#${el.id}.${el.className}`;
              out.push(`${name} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
            }
          }
          return [document.documentElement.scrollWidth, out.slice(0, 15)];
        }""",
        width,
    )


def expect_no_horizontal_overflow(page: Page, what: str) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")
    width = page.viewport_size["width"]
    scroll_width, offenders = overflow_report(page, width)
    assert scroll_width <= width + 1, f"{what}: scrollWidth {scroll_width} > {width}; sticking out: {offenders}"


def no_reload_marker(page: Page) -> None:
    """Marks the current document; the mark survives htmx swaps but not a full page load."""
    page.evaluate("window.__planappSameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__planappSameDocument === true"), "the page was fully reloaded"


# --------------------------------------------------------------------------- fixtures


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


def closing(app):
    """The app with each response read whole and closed before it is sent. Werkzeug's development server leaves a
    file response (a static file) unclosed when the browser drops the connection mid-send — a ResourceWarning, an
    error under this suite's warnings policy, whenever a navigation cancels a favicon fetch."""

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


@pytest.fixture
def live_server(ctx) -> Iterator[str]:
    """The test's app served over real HTTP in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, closing(ctx), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The browser's requests must see rows the test created.
    db.session.commit()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def server(ctx, make_app) -> Iterator[str]:
    """The app over real HTTP, with CSRF protection on (the harness's test config turns it off)."""
    app = make_app(WTF_CSRF_ENABLED=True)
    http = make_server("127.0.0.1", 0, closing(app), threaded=True)
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
