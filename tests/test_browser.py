"""Real-browser tests: Debian's Chromium, driven by Playwright, against the app served on 127.0.0.1.

Every test watches the browser for Content-Security-Policy violations and JavaScript errors
(RELIABILITY X3: 0 violations in the browser suite) and fails if it saw any.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, expect

from tests.browser_fixtures import (
    MOBILE,
    BrowserWatch,
    assert_same_document,
    expect_language,
    expect_no_horizontal_overflow,
    hand_over,
    no_reload_marker,
    sign_in,
)
from tests.factories import make_agency, make_user

pytestmark = pytest.mark.browser

# Persian UI strings the tests look for (from planapp/translations/fa/LC_MESSAGES/messages.po).
FA_REQUIRED = "پر کردن این بخش الزامی است."
FA_NO_MATCH = "دستگاهی یافت نشد."
FA_SIGNED_OUT = "از سامانه خارج شدید."


# --------------------------------------------------------------------------- helpers
# (BrowserWatch, sign_in and the other helpers the browser suites share are in tests/browser_fixtures.py)


@pytest.fixture
def watch(page: Page) -> BrowserWatch:
    return BrowserWatch().attach(page.context)


@pytest.fixture
def mobile_context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=MOBILE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        yield context
    finally:
        context.close()


def make_admin(name: str) -> str:
    """An administrator; returns the e-mail to sign in with."""
    email = make_user(role="admin", name=name).email
    hand_over()
    return email


def rendered_font_families(page: Page, selector: str) -> dict[str, int]:
    """The fonts Chromium really drew the element's text with (family -> glyphs), after web fonts loaded."""
    page.evaluate("document.fonts.ready.then(() => document.fonts.status)")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def expect_vazirmatn(page: Page, selector: str) -> None:
    page.wait_for_load_state("load")  # computed styles before app.css arrives are the browser's defaults
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.split(",")[0].strip(" '\"") == "Vazirmatn", family
    families = rendered_font_families(page, selector)
    assert families, f"no font reported for {selector}"
    # Vazirmatn draws every glyph (Persian and Latin); no fallback font is used.
    assert set(families) == {"Vazirmatn"}, families
    assert page.evaluate("document.fonts.check('16px Vazirmatn')")


# --------------------------------------------------------------------------- 3. the watcher itself


def test_watch_reports_csp_violations_and_script_errors(live_server: str, page: Page, watch: BrowserWatch):
    """The CSP/JS-error watcher is not blind: an inline script, an inline style and a thrown error are reported."""
    page.goto(f"{live_server}/login")
    with (
        page.expect_event("pageerror"),
        page.expect_console_message(lambda m: "script-src" in m.text),
        page.expect_console_message(lambda m: "style-src" in m.text),
    ):
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.__inlineRan = true";
              document.body.append(script);
              const div = document.createElement("div");
              div.innerHTML = "<p style='color:red'>x</p>";
              document.body.append(div);
              setTimeout(() => { throw new Error("boom from test"); }, 0);
            }"""
        )
    assert page.evaluate("window.__inlineRan") is None, "an inline script ran despite the CSP"
    page.wait_for_function("window.__planappCspPending.length >= 2")
    watch.settle(page)
    assert any("script-src" in v for v in watch.csp if v.startswith("event")), watch.csp
    assert any("style-src" in v for v in watch.csp if v.startswith("event")), watch.csp
    assert any("script-src" in v for v in watch.csp if v.startswith("console")), watch.csp
    assert any("boom from test" in e for e in watch.errors), watch.errors


# --------------------------------------------------------------------------- 1. sign in, Persian RTL, English LTR


def test_admin_signs_in_to_rtl_persian_dashboard_and_switches_to_english(
    live_server: str, page: Page, watch: BrowserWatch, artifacts: Path, backend: str
):
    name = "مریم رضایی"
    email = make_admin(name)

    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)$"))
    expect_language(page, "fa", "rtl")
    sign_in(page, live_server, email)

    # Persian, right to left, in Vazirmatn.
    expect_language(page, "fa", "rtl")
    expect(page.locator("#greeting h1")).to_have_text(f"{name}، سلام")
    expect(page.locator("#greeting")).to_contain_text("مدیر سامانه")
    expect(page.locator("nav.mainnav")).to_contain_text("پیشخوان")
    expect(page.locator("#switch-language")).to_have_text("English")
    expect_vazirmatn(page, "#greeting h1")
    # Right to left really lays out right to left: the brand sits at the right end of the bar.
    brand, switch = page.locator(".brand").bounding_box(), page.locator("#switch-language").bounding_box()
    assert brand and switch and brand["x"] > switch["x"], (brand, switch)
    page.screenshot(path=artifacts / f"dashboard-fa-{backend}.png", full_page=True)

    page.locator("#switch-language").click()

    # The same dashboard, in English, left to right.
    expect_language(page, "en", "ltr")
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("#greeting h1")).to_have_text(f"Hello, {name}")
    expect(page.locator("#greeting")).to_contain_text("Administrator")
    expect(page.locator("nav.mainnav")).to_contain_text("Dashboard")
    expect(page.locator("#switch-language")).to_have_text("فارسی")
    expect_vazirmatn(page, "#greeting h1")
    brand, switch = page.locator(".brand").bounding_box(), page.locator("#switch-language").bounding_box()
    assert brand and switch and brand["x"] < switch["x"], (brand, switch)
    page.screenshot(path=artifacts / f"dashboard-en-{backend}.png", full_page=True)

    # The choice is the user's: it survives a reload, and switching back works.
    page.reload()
    expect_language(page, "en", "ltr")
    page.locator("#switch-language").click()
    expect_language(page, "fa", "rtl")
    expect(page.locator("#greeting h1")).to_have_text(f"{name}، سلام")

    watch.assert_clean(page)


# --------------------------------------------------------------------------- 2. htmx: create, edit in place, search


def test_admin_manages_agencies_in_place_with_htmx(
    live_server: str, page: Page, watch: BrowserWatch, artifacts: Path, backend: str
):
    make_agency("سازمان آب منطقه‌ای", name_en="Regional Water Company")
    make_agency("اداره کل راه و شهرسازی", name_en="Roads and Urban Development")
    email = make_admin("علی محمدی")
    sign_in(page, live_server, email)

    # The admin reaches the page through the menu (a boosted link: no full reload either).
    no_reload_marker(page)
    page.locator("nav.mainnav").get_by_role("link", name="دستگاه‌ها").click()
    expect(page).to_have_url(f"{live_server}/admin/agencies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("دستگاه‌ها")
    assert_same_document(page)
    table = page.locator("#agency-table")
    expect(table.locator("#agency-rows tr")).to_have_count(3)  # the two above and the admin's own agency

    # Create: the "New agency" form is a closed <details>.
    create = page.locator("details#agency-create")
    expect(create).not_to_have_attribute("open", "")
    expect(create.locator("#name")).to_be_hidden()
    create.locator("summary").click()
    expect(create).to_have_attribute("open", "")

    # An empty name is refused inline, in Persian, and the form stays open.
    create.get_by_role("button", name="ایجاد دستگاه").click()
    create = page.locator("details#agency-create")
    expect(create.locator("#name-error")).to_have_text(FA_REQUIRED)
    expect(create.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(create).to_have_attribute("open", "")
    expect(table.locator("#agency-rows tr")).to_have_count(3)

    new_name = "سازمان جهاد کشاورزی"
    create.locator("#name").fill(new_name)
    create.locator("#name_en").fill("Agriculture Jihad Organization")
    create.locator("#kind").select_option(index=0)
    create.locator("#email").fill("info@agri.example.ir")
    create.get_by_role("button", name="ایجاد دستگاه").click()

    # The table refreshes itself on `agencies-changed`; the form comes back empty and closed.
    expect(page.locator("#flash .flash-success")).to_have_text(f"دستگاه «{new_name}» ایجاد شد.")
    row = table.locator("#agency-rows tr", has_text=new_name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("info@agri.example.ir")
    expect(table.locator("#agency-rows tr")).to_have_count(4)
    expect(page.locator("details#agency-create")).not_to_have_attribute("open", "")
    expect(page.locator("details#agency-create #name")).to_have_value("")
    expect(page.locator("#name-error")).to_have_count(0)
    assert_same_document(page)

    # Edit in place: the row turns into a form, and back into a row with the new name.
    row_id = row.get_attribute("id")
    assert row_id and re.fullmatch(r"agency-\d+", row_id), row_id
    row = page.locator(f"#{row_id}")
    row.get_by_role("button", name="ویرایش").click()
    expect(row).to_have_class(re.compile(r"\bediting\b"))
    name_input = row.get_by_label("نام (فارسی)")
    expect(name_input).to_have_value(new_name)

    # Saving an empty name keeps the row in edit mode with the Persian error next to the field.
    name_input.fill("")
    row.get_by_role("button", name="ذخیره").click()
    expect(row.locator(".error")).to_have_text(FA_REQUIRED)
    expect(row.get_by_label("نام (فارسی)")).to_have_attribute("aria-invalid", "true")
    expect(row).to_have_class(re.compile(r"\bediting\b"))

    renamed = "سازمان جهاد کشاورزی استان"
    row.get_by_label("نام (فارسی)").fill(renamed)
    row.get_by_role("button", name="ذخیره").click()
    expect(row).not_to_have_class(re.compile(r"\bediting\b"))
    expect(row.locator("td").first).to_contain_text(renamed)
    expect(row.get_by_role("button", name="ویرایش")).to_be_visible()
    expect(page.locator("#flash .flash-success")).to_have_text(f"دستگاه «{renamed}» ذخیره شد.")
    expect(table.locator("#agency-rows tr")).to_have_count(4)
    assert_same_document(page)

    # Cancel leaves the row as it was.
    row.get_by_role("button", name="ویرایش").click()
    row.get_by_label("نام (فارسی)").fill("نامی که ذخیره نمی‌شود")
    row.get_by_role("button", name="انصراف").click()
    expect(row).not_to_have_class(re.compile(r"\bediting\b"))
    expect(row.locator("td").first).to_contain_text(renamed)

    # Search filters the table as one types (Arabic yeh and kaf fold to Persian), and the URL follows.
    search = page.locator("#agency-q")
    search.fill("شهرسازي")  # Arabic yeh
    expect(table.locator("#agency-rows tr")).to_have_count(1)
    expect(table.locator("#agency-rows tr")).to_contain_text("اداره کل راه و شهرسازی")
    expect(page).to_have_url(re.compile(r"[?&]q=%D8%B4"))
    search.fill("كشاورزی")  # Arabic kaf
    expect(table.locator("#agency-rows tr")).to_have_count(1)
    expect(table.locator("#agency-rows tr")).to_contain_text(renamed)
    search.fill("Water")
    expect(table.locator("#agency-rows tr")).to_have_count(1)
    expect(table.locator("#agency-rows tr")).to_contain_text("سازمان آب منطقه‌ای")
    search.fill("چیزی که نیست")
    expect(table.locator("#agency-rows tr")).to_have_text(FA_NO_MATCH)
    search.fill("")
    expect(table.locator("#agency-rows tr")).to_have_count(4)
    assert_same_document(page)
    page.screenshot(path=artifacts / f"agencies-fa-{backend}.png", full_page=True)

    # The change is stored: a full reload shows the new name.
    page.reload()
    expect(page.locator(f"#{row_id}")).to_contain_text(renamed)

    watch.assert_clean(page)


# --------------------------------------------------------------------------- 4. phones


def open_phone_menu(page: Page, label: str = "منو") -> None:
    """On a phone the main menu and the account links start folded behind the Menu button, which opens them."""
    nav, toggle = page.locator("nav.mainnav"), page.get_by_role("button", name=label)
    expect(toggle).to_be_in_viewport()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(page.locator("#account-links")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")


def expect_main_navigation_visible(page: Page, menu_rows: bool = True) -> None:
    nav = page.locator("nav.mainnav")
    expect(nav).to_be_visible()
    links = nav.get_by_role("link")
    expect(links).to_have_count(11)  # dashboard, plans, agencies, users, participants, audit log, task templates,
    # the indicator explorer, the indicator catalog (regions and sectors are its tabs), holidays, outbox
    for i in range(links.count()):
        expect(links.nth(i)).to_be_in_viewport()
        if menu_rows:  # the open phone menu: a row a finger can hit
            assert links.nth(i).bounding_box()["height"] >= 36
    expect(page.locator("#account-links").get_by_role("button", name=re.compile("خروج|Sign out"))).to_be_visible()


def test_phone_layout_has_no_horizontal_overflow(
    live_server: str, mobile_context: BrowserContext, artifacts: Path, backend: str
):
    make_agency(
        "سازمان مدیریت و برنامه‌ریزی استان آذربایجان شرقی",
        name_en="Management and Planning Organization",
        email="info@mporg.example.ir",
    )
    email = make_admin("زهرا حسینی")
    watch = BrowserWatch().attach(mobile_context)
    page = mobile_context.new_page()
    assert page.viewport_size == MOBILE

    page.goto(f"{live_server}/login")
    expect(page.locator("#email")).to_be_visible()
    expect_no_horizontal_overflow(page, "login page")
    page.screenshot(path=artifacts / f"mobile-login-{backend}.png", full_page=True)

    sign_in(page, live_server, email)
    expect_language(page, "fa", "rtl")
    expect(page.locator("#switch-language")).to_be_in_viewport()
    expect_no_horizontal_overflow(page, "dashboard, menu folded")
    open_phone_menu(page)
    expect_main_navigation_visible(page)
    expect_no_horizontal_overflow(page, "dashboard, menu open")
    page.screenshot(path=artifacts / f"mobile-dashboard-{backend}.png", full_page=True)
    # Escape folds it again and gives the focus back to the button.
    page.keyboard.press("Escape")
    expect(page.locator("nav.mainnav")).to_be_hidden()
    expect(page.get_by_role("button", name="منو")).to_be_focused()
    page.get_by_role("button", name="منو").click()

    page.locator("nav.mainnav").get_by_role("link", name="دستگاه‌ها").click()
    expect(page).to_have_url(f"{live_server}/admin/agencies/")
    expect(page.locator("#agency-rows tr")).to_have_count(2)
    open_phone_menu(page)  # the next page (a boosted swap) comes with the menu folded
    expect_main_navigation_visible(page)
    page.get_by_role("button", name="منو").click()
    expect_no_horizontal_overflow(page, "agencies list")
    page.screenshot(path=artifacts / f"mobile-agencies-{backend}.png", full_page=True)

    # The open "New agency" form and a row being edited fit too.
    page.locator("details#agency-create summary").click()
    expect(page.locator("details#agency-create #name")).to_be_visible()
    expect_no_horizontal_overflow(page, "agencies list, new agency form open")
    row_id = page.locator("#agency-rows tr", has_text="آذربایجان شرقی").get_attribute("id")
    row = page.locator(f"#{row_id}")  # by id: in edit mode the name is an input's value, not text
    row.get_by_role("button", name="ویرایش").click()
    expect(row.get_by_label("نام (فارسی)")).to_be_visible()
    expect_no_horizontal_overflow(page, "agencies list, row in edit mode")
    page.screenshot(path=artifacts / f"mobile-agencies-editing-{backend}.png", full_page=True)

    page.locator("#switch-language").click()
    expect_language(page, "en", "ltr")
    open_phone_menu(page, "Menu")
    expect_main_navigation_visible(page)
    expect_no_horizontal_overflow(page, "agencies list in English")
    page.screenshot(path=artifacts / f"mobile-agencies-en-{backend}.png", full_page=True)

    watch.assert_clean(page)


def test_without_javascript_a_phone_shows_the_whole_menu(live_server: str, browser: Browser):
    """The menu folds only where static/js/menu.js runs to open it again."""
    context = browser.new_context(viewport=MOBILE, is_mobile=True, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, make_admin("سارا نوری"))
        expect_main_navigation_visible(page, menu_rows=False)  # links wrapped in the bar, as on a desktop
        expect(page.get_by_role("button", name="منو")).to_be_hidden()
    finally:
        context.close()


# --------------------------------------------------------------------------- 5. the session ends with sign-out


@pytest.fixture(params=[False, True], ids=["playwright-default", "bfcache-on"])
def session_page(request: pytest.FixtureRequest, page: Page, browser_type: BrowserType, browser_type_launch_args: dict):
    """The default page, and a page in a Chromium with the back/forward cache on as in a user's browser.

    Playwright launches Chromium with --disable-back-forward-cache, so with its default page "Back" always
    asks the server again; the second browser checks that the cache does not bring the dashboard back either.
    """
    if not request.param:
        yield page
        return
    own = browser_type.launch(**browser_type_launch_args, ignore_default_args=["--disable-back-forward-cache"])
    try:
        yield own.new_page()
    finally:
        own.close()


def test_after_sign_out_back_and_reload_do_not_show_the_dashboard(live_server: str, session_page: Page):
    page = session_page
    watch = BrowserWatch().attach(page.context)
    email = make_admin("رضا کریمی")
    sign_in(page, live_server, email)
    # Some history inside the session: a boosted visit to the agencies page and back to the dashboard.
    page.locator("nav.mainnav").get_by_role("link", name="دستگاه‌ها").click()
    expect(page).to_have_url(f"{live_server}/admin/agencies/")
    page.locator("nav.mainnav").get_by_role("link", name="پیشخوان").click()
    expect(page.locator("#greeting")).to_be_visible()

    page.locator("header.topbar").get_by_role("button", name="خروج").click()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.locator("#flash .flash-success")).to_have_text(FA_SIGNED_OUT)
    expect(page.locator("nav.mainnav")).to_have_count(0)

    # "commit": a page restored from the back/forward cache fires no load event; the expects below wait.
    page.go_back(wait_until="commit")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("#greeting")).to_have_count(0)
    page.reload()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("#greeting")).to_have_count(0)
    expect(page.locator("#email")).to_be_visible()
    expect(page.locator("nav.mainnav")).to_have_count(0)

    # Further back in the history (the agencies page) is closed as well.
    page.go_back(wait_until="commit")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)admin"))
    page.reload()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#agency-table")).to_have_count(0)
    expect(page.locator("#greeting")).to_have_count(0)

    watch.assert_clean(page)
