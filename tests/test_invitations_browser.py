"""Invitations in a real browser: a supervisor opens a task, invites a participant from another agency to it (the
form swaps in place, errors in Persian first), the test reads the invitation link from the outbox row the way the
e-mail carries it, opens it in a fresh browser context, sets a password (a too-short one refused first), lands on
the inbox and sees the task — and only that task of the other agency.

Served with CSRF protection ON; every browser context is watched for CSP violations and JavaScript errors (X3).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from planapp.accounts.models import User
from planapp.core.clock import now
from planapp.extensions import db
from planapp.mail.models import OutboxMessage
from planapp.tasks import services as tasks
from tests.browser_fixtures import assert_same_document, expect_language, hand_over, no_reload_marker, signed_in_page
from tests.factories import make_agency, make_plan, make_user

pytestmark = pytest.mark.browser

TASK_TITLE = "کارشناسی پل‌های محور تبریز – مرند"
OTHER_TITLE = "گزارش ایمنی راه‌های روستایی"
GUEST = "دکتر لیلا صمدی"
GUEST_EMAIL = "l.samadi@example.ir"
PASSWORD = "pol-haye-tabriz-1405"
FA_BAD_EMAIL = "یک نشانی رایانامهٔ درست وارد کنید"
FA_SENT = "دعوت‌نامه برای"
FA_PASSWORD_LENGTH = "گذرواژه باید"
FA_WELCOME = "خوش آمدید"
LINK = re.compile(r"https?://[^/\s\"]+(/invitation/[A-Za-z0-9_-]{86})")


def the_story():
    roads = make_agency("اداره کل راه و شهرسازی")
    university = make_agency("دانشگاه تبریز")
    supervisor = make_user("supervisor", name="سارا احمدی")
    plan = make_plan(supervisor, title="برنامهٔ هفتم توسعهٔ استان")
    task = tasks.create_task(supervisor, plan, {"title": TASK_TITLE, "agency_id": roads.id,
                                                "due_on": date(2099, 1, 3)}, now())
    tasks.create_task(supervisor, plan, {"title": OTHER_TITLE, "agency_id": roads.id, "due_on": date(2099, 1, 3)},
                      now())
    db.session.commit()
    story = {"supervisor": supervisor.email, "task_id": task.id, "university": university.id}
    hand_over()
    return story


def invitation_link() -> str:
    db.session.expire_all()
    body = db.session.scalar(sa.select(OutboxMessage.text_body).join(User, User.id == OutboxMessage.user_id)
                             .where(User.email == GUEST_EMAIL, OutboxMessage.kind == "invitation"))
    hand_over()
    assert body, "no invitation e-mail in the outbox"
    return LINK.search(body).group(1)


def test_a_supervisor_invites_a_participant_who_sets_a_password_and_sees_the_task(
    server: str, contexts, artifacts: Path, backend: str
):
    story = the_story()
    page, watch = signed_in_page(contexts, server, story["supervisor"])
    page.goto(f"{server}/tasks/{story['task_id']}/")
    page.locator("#invite-to-task").click()
    expect(page).to_have_url(f"{server}/invitations/?task={story['task_id']}")
    expect(page.locator("#invite-task")).to_contain_text(TASK_TITLE)

    # A wrong address first: refused in place, in Persian, nothing sent.
    no_reload_marker(page)
    page.locator("#name").fill(GUEST)
    page.locator("#email").fill("l.samadi-at-example.ir")
    page.locator("#agency_id").select_option(str(story["university"]))
    page.locator("#invite-send").click()
    expect(page.locator("#email-error")).to_contain_text(FA_BAD_EMAIL)
    assert_same_document(page)
    expect(page.locator("#name")).to_have_value(GUEST)  # what was typed is kept

    page.locator("#email").fill(GUEST_EMAIL)
    page.locator("#invite-send").click()
    expect(page.locator("#flash")).to_contain_text(FA_SENT)
    expect(page.locator("#email")).to_have_value("")  # a fresh form for the next person
    expect(page.locator("#invitation-table tr[data-status=waiting]")).to_contain_text(GUEST)  # the list refreshed
    assert_same_document(page)
    page.screenshot(path=artifacts / f"invitation-form-fa-{backend}.png", full_page=True)
    watch.assert_clean(page)

    # The invited person opens the e-mail's link in a browser of their own.
    link = invitation_link()
    context, guest_watch = contexts()
    guest = context.new_page()
    guest.goto(f"{server}{link}")
    expect_language(guest, "fa", "rtl")
    expect(guest.locator("#accept-invitation")).to_contain_text(GUEST)
    expect(guest.locator("#accept-invitation")).to_contain_text(TASK_TITLE)
    guest.locator("#password").fill("short")
    guest.locator("#confirm").fill("short")
    guest.locator("#accept-form button[type=submit]").click()
    expect(guest.locator("#password-error")).to_contain_text(FA_PASSWORD_LENGTH)
    guest.locator("#password").fill(PASSWORD)
    guest.locator("#confirm").fill(PASSWORD)
    guest.locator("#accept-form button[type=submit]").click()

    expect(guest).to_have_url(f"{server}/tasks/")
    expect(guest.locator("#flash")).to_contain_text(FA_WELCOME)
    rows = guest.locator("#task-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(TASK_TITLE)
    expect(guest.locator("#task-list")).not_to_contain_text(OTHER_TITLE)
    guest.screenshot(path=artifacts / f"invitation-accepted-inbox-fa-{backend}.png", full_page=True)
    rows.first.get_by_role("link", name=TASK_TITLE).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text(TASK_TITLE)
    guest_watch.assert_clean(guest)

    # The link worked once: opened again, it says so.
    again = contexts()[0].new_page()
    response = again.goto(f"{server}{link}")
    assert response.status == 410
    expect(again.locator("#link-refused-message")).to_contain_text("پیش‌تر به کار رفته است")
