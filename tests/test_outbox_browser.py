"""E-mail and notifications in a real browser, CSRF on, watched for CSP violations and script errors (X3).

A person marks one notification read and then all of them, in place (no reload), and the bell's count follows
through the notifications-changed event; they choose the daily digest. An admin reads the e-mails in the
development mailbox (no SMTP server) and opens one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from planapp.extensions import db
from planapp.mail.dispatch import dispatch_due
from planapp.notifications.services import notify
from tests.browser_fixtures import assert_same_document, hand_over, no_reload_marker, signed_in_page
from tests.factories import make_user

pytestmark = pytest.mark.browser

T0 = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)
MARK_READ_FA = "خوانده شد"
MARK_ALL_FA = "علامت‌گذاری همه به‌عنوان خوانده‌شده"
SAVED_FA = "انتخاب رایانامهٔ شما ذخیره شد."
MAILBOX_FA = "صندوق پستی محیط توسعه"


def test_notifications_are_marked_read_in_place_and_the_bell_follows(server, contexts):
    user = make_user(role="officer", name="زهرا حسینی")
    for n in range(3):
        notify([user.id], "task.assigned", {"task": f"وظیفهٔ {n}", "plan": "برنامهٔ هفتم"}, f"/tasks/{n}/", T0)
    db.session.commit()
    email = user.email
    hand_over()  # read before: on SQLite a read after the commit would hold the lock the server needs
    page, watch = signed_in_page(contexts, server, email)
    bell = page.locator("#notifications-link .count")
    expect(bell).to_have_text("۳")

    page.locator("#notifications-link").click()
    expect(page.locator("#notification-list li.unread")).to_have_count(3)
    no_reload_marker(page)
    page.locator("#notification-list li.unread").first.get_by_role("button", name=MARK_READ_FA).click()
    expect(page.locator("#notification-list li.unread")).to_have_count(2)
    expect(bell).to_have_text("۲")  # refreshed by notifications-changed
    page.get_by_role("button", name=MARK_ALL_FA).click()
    expect(page.locator("#notification-list li.read")).to_have_count(3)
    expect(page.locator("#notifications-link .count")).to_have_count(0)
    assert_same_document(page)

    page.locator("a.email-settings").click()
    page.get_by_label("روزی یک رایانامه با همهٔ رویدادها (خلاصهٔ روزانه)").check()
    page.get_by_role("button", name="ذخیره").click()
    expect(page.locator("#flash")).to_contain_text(SAVED_FA)
    expect(page.get_by_label("روزی یک رایانامه با همهٔ رویدادها (خلاصهٔ روزانه)")).to_be_checked()
    watch.assert_clean(page)


def test_an_admin_reads_the_emails_in_the_development_mailbox(server, contexts):
    admin = make_user(role="admin", name="مدیر سامانه")
    user = make_user(role="officer", name="زهرا <b>حسینی</b>")
    notify([user.id], "task.assigned", {"task": "گزارش <script>x()</script>", "plan": "برنامهٔ هفتم"}, "/tasks/4/",
           T0)
    db.session.commit()
    email = admin.email
    dispatch_due(T0)
    hand_over()
    page, watch = signed_in_page(contexts, server, email)
    page.locator("nav.mainnav").get_by_role("link", name="صندوق خروجی رایانامه").click()
    expect(page.locator("#mail-mode")).to_contain_text(MAILBOX_FA)
    row = page.locator("#outbox-table tbody tr").first
    expect(row).to_contain_text("فرستاده شد")
    expect(row).to_contain_text("گزارش <script>x()</script>")  # shown as typed, not run
    row.get_by_role("link").first.click()
    expect(page.locator("pre.mail-body").first).to_contain_text("زهرا <b>حسینی</b> گرامی")
    expect(page.locator("pre.mail-body").first).to_contain_text("/tasks/4/")
    watch.assert_clean(page)
