"""The outbox without an SMTP server: queued in the caller's transaction, each person's e-mail preference, the
daily digest, the development mailbox, malformed settings, and the admin pages (list, detail, resend)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from planapp.accounts.models import EmailPreference
from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.core.permissions import Role
from planapp.extensions import db
from planapp.mail.digest import send_digests
from planapp.mail.dispatch import backoff, dispatch_due
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.settings import Limits, mail_setup
from planapp.notifications.models import Notification
from planapp.notifications.services import notify
from tests.factories import make_user, signed_in

T0 = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)
ASSIGNED = {"task": "گزارش بودجه", "plan": "برنامهٔ هفتم"}
BROKEN = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "abc", "MAIL_SECURITY": "tls1",
          "MAIL_DEFAULT_SENDER": "not an address"}
BROKEN_FA = "تنظیمات رایانامه نادرست است: تا درست نشود هیچ رایانامه‌ای فرستاده نمی‌شود."
MAILBOX_FA = "صندوق پستی محیط توسعه: پیام‌ها اینجا نگه داشته می‌شوند و فرستاده نمی‌شوند."


def rows(**where) -> list[OutboxMessage]:
    db.session.rollback()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def notifications_of(user_id: int) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id)))


def with_preference(preference: EmailPreference, **data):
    user = make_user(role="officer", **data)
    user.email_preference = preference
    db.session.commit()
    return user


# --- the same transaction as the change ----------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_email_and_no_notification(ctx):
    user = make_user()
    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.flush()
    db.session.rollback()
    assert rows() == [] and notifications_of(user.id) == []

    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.commit()
    (message,) = rows()
    assert message.user_id == user.id and message.status == MailStatus.QUEUED and len(notifications_of(user.id)) == 1


def test_an_email_exists_exactly_when_the_change_that_caused_it_commits(ctx):
    """A service that notifies and then fails rolls back both (the in-app twin and the e-mail)."""
    user = make_user()
    try:
        with db.session.begin_nested():
            notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
            raise RuntimeError("the change failed after notifying")
    except RuntimeError:
        pass
    db.session.commit()
    assert rows() == [] and notifications_of(user.id) == []


def test_one_notice_reaches_each_person_in_their_own_language(ctx):
    """One notify call, two readers: the e-mail of each is rendered in the recipient's language (subject, both
    parts, direction), not in the language of whoever caused it."""
    persian, english = make_user(language="fa"), make_user(language="en")
    notify([persian.id, english.id], "task.returned", {**ASSIGNED, "reason": "جدول ناقص است"}, "/tasks/1/", T0)
    db.session.commit()
    by_user = {message.user_id: message for message in rows()}
    fa, en = by_user[persian.id], by_user[english.id]
    assert (fa.locale, en.locale) == ("fa", "en")
    assert fa.subject.startswith("وظیفهٔ «گزارش بودجه» از «برنامهٔ هفتم» برای اصلاح بازگردانده شد")
    assert en.subject.startswith("Task «گزارش بودجه» of «برنامهٔ هفتم» was returned for changes")
    assert '<html lang="fa" dir="rtl">' in fa.html_body and '<html lang="en" dir="ltr">' in en.html_body
    assert "returned for changes" not in fa.text_body and "returned for changes" in en.text_body


def test_every_e_mail_of_a_notice_has_its_in_app_twin(ctx):
    """Each kind that goes by e-mail (all but the admins' in-app-only alerts about failed e-mail) leaves the same
    person a notification of the same kind and link, in the same transaction."""
    from planapp.notifications.messages import TEMPLATES

    params = {**ASSIGNED, "actor": "علی", "stage": "analysis", "reason": "ناقص", "agency": "دستگاه", "days": 3,
              "due": "2026-05-01", "period_start": "2026-03-21", "months": 3, "count": 2}
    kinds = sorted(kind for kind in TEMPLATES if not kind.startswith("mail."))
    user = make_user()
    for n, kind in enumerate(kinds):
        notify([user.id], kind, params, f"/tasks/{n}/", T0)
    db.session.commit()
    emails = {(m.kind, m.text_body.split("/tasks/")[1].split("/")[0]) for m in rows()}
    twins = {(n.kind, n.link.split("/")[2]) for n in notifications_of(user.id)}
    assert len(emails) == len(kinds) and emails == twins


# --- preferences -----------------------------------------------------------------------------------------------


def test_off_means_no_email_but_the_in_app_twin_exists(ctx):
    user = with_preference(EmailPreference.OFF)
    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.commit()
    assert rows() == []
    assert [n.kind for n in notifications_of(user.id)] == ["task.assigned"]


@pytest.mark.parametrize("kind", ["task.escalated", "transition.requested"])
@pytest.mark.parametrize("preference", [EmailPreference.OFF, EmailPreference.DIGEST])
def test_critical_kinds_are_sent_at_once_whatever_the_preference(ctx, kind, preference):
    user = with_preference(preference)
    params = {**ASSIGNED, "agency": "دستگاه", "days": 3, "due": "2026-05-01", "actor": "علی", "stage": "analysis"}
    notify([user.id], kind, params, "/tasks/1/", T0)
    db.session.commit()
    (message,) = rows()
    assert message.status == MailStatus.QUEUED and message.critical


def test_digest_holds_the_emails_then_sends_one_listing_them_once(ctx):
    user = with_preference(EmailPreference.DIGEST, language="en")
    for n in range(3):
        notify([user.id], "task.assigned", {"task": f"Task {n}", "plan": "Plan"}, f"/tasks/{n}/", T0 + timedelta(
            minutes=n))
    db.session.commit()
    held = rows()
    assert [m.status for m in held] == [MailStatus.DIGEST] * 3 and len(notifications_of(user.id)) == 3
    clock.freeze(T0 + timedelta(hours=1))
    assert dispatch_due() == "nothing due"  # held ones are not the dispatcher's

    assert send_digests(T0 + timedelta(hours=1)) == "1 digests for 3 messages"
    assert send_digests(T0 + timedelta(hours=2)) == "no digest due"  # run twice: one digest
    (digest,) = rows(kind="digest")
    assert digest.status == MailStatus.QUEUED and digest.user_id == user.id
    assert all(f"Task {n}" in digest.text_body and f"Task {n}" in digest.html_body for n in range(3))
    assert "2026-05-02" in digest.text_body  # the day, in the reader's calendar (English: Gregorian)
    assert [m.status for m in rows(kind="task.assigned")] == [MailStatus.DIGESTED] * 3


def test_a_message_held_after_todays_digest_waits_for_tomorrows_and_is_not_lost(ctx):
    user = with_preference(EmailPreference.DIGEST)
    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.commit()
    send_digests(T0 + timedelta(hours=1))
    notify([user.id], "task.accepted", ASSIGNED, "/tasks/1/", T0 + timedelta(hours=2))
    db.session.commit()
    assert send_digests(T0 + timedelta(hours=3)) == "0 digests for 0 messages"  # today's already went out
    assert [m.status for m in rows(kind="task.accepted")] == [MailStatus.DIGEST]  # still waiting, not lost
    assert send_digests(T0 + timedelta(days=1)) == "1 digests for 1 messages"
    assert len(rows(kind="digest")) == 2 and [m.status for m in rows(kind="task.accepted")] == [MailStatus.DIGESTED]


def test_the_preference_page_saves_the_choice_and_shows_the_language(ctx, client):
    user = make_user(role="viewer", language="fa")
    signed_in(client, user)
    page = client.get("/account/email")
    assert page.status_code == 200
    assert re.search(r'<input checked[^>]*value="immediate"', page.text)  # the current choice
    assert "فارسی" in page.text and "بازنشانی گذرواژه" in page.text  # the language; critical ones always go
    assert 'href="/account/email"' in client.get("/").text  # linked from the top bar
    response = client.post("/account/email", data={"email_preference": "digest"})
    assert response.status_code == 302 and response.location == "/account/email"
    db.session.refresh(user)
    assert user.email_preference == EmailPreference.DIGEST
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.email_preference"))
    assert event.before == {"email_preference": "immediate"} and event.after == {"email_preference": "digest"}
    assert client.post("/account/email", data={"email_preference": "weekly"}).status_code == 200  # refused
    db.session.refresh(user)
    assert user.email_preference == EmailPreference.DIGEST


# --- settings ----------------------------------------------------------------------------------------------------


def test_default_settings_ride_out_more_than_a_day_of_outage(ctx):
    """E2 with the shipped defaults: the time from the first attempt to the last before "dead" exceeds a day."""
    limits = Limits()
    assert mail_setup({"MAIL_SERVER": ""}).limits == limits
    span = sum(backoff(n, limits).total_seconds() for n in range(1, limits.max_attempts))
    assert [backoff(n, limits).total_seconds() for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert span > 36 * 3600


@pytest.mark.parametrize(("settings", "found"), [
    ({"MAIL_PORT": "abc"}, "MAIL_PORT must be a port number"),
    ({"MAIL_PORT": "70000"}, "MAIL_PORT"),
    ({"MAIL_SECURITY": "tls1"}, "MAIL_SECURITY must be empty, starttls or ssl"),
    ({"MAIL_DEFAULT_SENDER": "not an address"}, "MAIL_DEFAULT_SENDER is not an e-mail address"),
    ({"MAIL_DEFAULT_SENDER": "a@b\r\nBcc: x@y"}, "MAIL_DEFAULT_SENDER"),
    ({"MAIL_SERVER": "smtp.example.ir/25"}, "MAIL_SERVER must be a host name"),
    ({"MAIL_MAX_ATTEMPTS": "many"}, "MAIL_MAX_ATTEMPTS must be a whole number"),
    ({"MAIL_RETRY_CAP_SECONDS": "-5"}, "MAIL_RETRY_CAP_SECONDS"),
    ({"MAIL_TIMEOUT_SECONDS": "۲۰"}, "MAIL_TIMEOUT_SECONDS"),
])
def test_each_malformed_setting_is_reported_not_raised(settings, found):
    setup = mail_setup({"MAIL_SERVER": "127.0.0.1", "MAIL_DEFAULT_SENDER": "PlanApp <a@b.ir>", **settings})
    assert setup.mode == "broken" and found in setup.error


def test_good_settings_and_the_development_mailbox():
    assert mail_setup({"MAIL_SERVER": ""}).mode == "mailbox"
    setup = mail_setup({"MAIL_SERVER": "smtp.example.ir", "MAIL_PORT": "", "MAIL_SECURITY": "STARTTLS",
                        "MAIL_DEFAULT_SENDER": "سامانه <no-reply@example.ir>", "MAIL_PASSWORD": "secret-1"})
    assert setup.mode == "smtp" and (setup.smtp.port, setup.smtp.security) == (587, "starttls")
    assert "secret-1" not in repr(setup)
    # Production never "delivers" into the development mailbox: a missing server is an error it shows.
    production = mail_setup({"MAIL_SERVER": "", "ENV_NAME": "production"})
    assert production.mode == "broken" and "MAIL_SERVER is not set" in production.error


def test_malformed_settings_leave_the_app_running_the_page_explaining_and_the_mail_waiting(ctx, make_app):
    """Bad input: MAIL_PORT=abc, MAIL_SECURITY=tls1, MAIL_DEFAULT_SENDER=not an address."""
    app = make_app(**BROKEN)
    admin, user = make_user(role="admin"), make_user()
    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.commit()
    page = signed_in(app.test_client(), admin).get("/admin/outbox/")
    assert page.status_code == 200
    assert BROKEN_FA in page.text
    for detail in ("MAIL_PORT must be a port number (1-65535), not &#39;abc&#39;", "MAIL_SECURITY", "tls1",
                   "MAIL_DEFAULT_SENDER is not an e-mail address"):
        assert detail in page.text, detail
    with app.app_context():
        assert dispatch_due(T0 + timedelta(hours=1)).startswith("not sent: MAIL_SECURITY")
        db.session.remove()
    (message,) = rows()
    assert message.status == MailStatus.QUEUED and message.attempts == 0


def test_malformed_numbers_in_the_environment_do_not_stop_the_app():
    """The environment is read when the configuration is imported: a bad number there must not crash it."""
    env = {**os.environ, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "abc", "MAIL_TIMEOUT_SECONDS": "soon",
           "MAIL_MAX_ATTEMPTS": "lots", "MAIL_RETRY_BASE_SECONDS": "x", "MAIL_RETRY_CAP_SECONDS": "y",
           "MAIL_KEEP_DAYS": "z", "MAIL_SECURITY": "tls1"}
    code = ("from planapp import create_app; from planapp.mail.settings import mail_setup; "
            "app = create_app('test'); s = mail_setup(app.config); print(s.mode); print(s.error)")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    mode, error = result.stdout.splitlines()[:2]
    assert mode == "broken"
    for name in ("MAIL_PORT", "MAIL_TIMEOUT_SECONDS", "MAIL_MAX_ATTEMPTS", "MAIL_RETRY_BASE_SECONDS",
                 "MAIL_KEEP_DAYS", "MAIL_SECURITY"):
        assert name in error


# --- the development mailbox and the admin pages ------------------------------------------------------------------


def test_the_development_mailbox_keeps_messages_for_admins_to_read(ctx, client):
    """Mailbox mode (no MAIL_SERVER): the dispatcher marks them sent without SMTP; admins read them."""
    admin, user = make_user(role="admin"), make_user(language="en")
    notify([user.id], "task.assigned", {"task": "Budget report", "plan": "Seventh plan"}, "/tasks/7/", T0)
    db.session.commit()
    assert dispatch_due(T0) == "1 kept in the development mailbox"
    (message,) = rows()
    assert message.status == MailStatus.SENT and message.message_id.endswith("@mailbox>")
    signed_in(client, admin)
    page = client.get("/admin/outbox/")
    assert MAILBOX_FA in page.text and "Budget report" in page.text and user.email in page.text
    assert "فرستاده شد" in page.text  # the status label, in Persian
    assert 'href="/admin/outbox/"' in client.get("/").text  # the admin's navigation links to it
    detail = client.get(f"/admin/outbox/{message.id}")
    assert detail.status_code == 200
    assert "New task «Budget report» for «Seventh plan»." in detail.text  # the text body, in English
    assert "http://127.0.0.1:5000/tasks/7/" in detail.text
    assert "&lt;!doctype html&gt;" in detail.text  # the HTML part as escaped source, never rendered here
    assert client.get("/admin/outbox/987654").status_code == 404


def test_the_list_filters_by_status_kind_and_text_and_pages(ctx, client):
    admin = make_user(role="admin")
    users = [make_user(language="en") for _ in range(3)]
    for n, user in enumerate(users):
        notify([user.id], "task.assigned" if n else "task.accepted", {"task": f"Item {n}", "plan": "P"}, "/t/", T0)
    db.session.commit()
    first = rows()[0]
    first.status, first.last_error = MailStatus.DEAD, "SMTP 550: no such mailbox"
    db.session.commit()
    signed_in(client, admin)

    def listed(query: str, target: bool = False) -> str:
        headers = {"HX-Request": "true", "HX-Target": "outbox-table"} if target else {}
        response = client.get(f"/admin/outbox/{query}", headers=headers)
        assert response.status_code == 200
        return response.text

    assert all(f"Item {n}" in listed("") for n in range(3))
    dead = listed("?status=dead")
    assert "Item 0" in dead and "Item 1" not in dead and "SMTP 550: no such mailbox" in dead
    assert "Item 0" not in listed("?kind=task.assigned") and "Item 1" in listed("?kind=task.assigned")
    assert "Item 2" in listed(f"?q={users[2].email.upper()}") and "Item 1" not in listed(f"?q={users[2].email}")
    assert "Item 1" in listed("?q=item 1") and "Item 2" not in listed("?q=item 1")
    fragment = listed("?status=dead", target=True)
    assert '<div id="outbox-table">' in fragment and "<html" not in fragment
    assert "Item 1" in listed("?status=bogus&kind=bogus&page=-4")  # nonsense filters are ignored
    assert "رایانامه‌ای یافت نشد." in listed("?q=nothing-like-this")


def test_resend_puts_a_dead_message_back_in_the_queue_once_and_is_audited(ctx, client):
    admin, user = make_user(role="admin"), make_user()
    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.commit()
    (message,) = rows()
    message.status, message.attempts, message.last_error = MailStatus.DEAD, 48, "SMTP 550: mailbox unavailable"
    db.session.commit()
    signed_in(client, admin)
    assert "فرستادن دوباره" in client.get(f"/admin/outbox/{message.id}").text
    response = client.post(f"/admin/outbox/{message.id}/resend")
    assert response.status_code == 302 and response.location == f"/admin/outbox/{message.id}"
    (message,) = rows()
    assert (message.status, message.attempts, message.last_error) == (MailStatus.QUEUED, 0, "")
    again = client.post(f"/admin/outbox/{message.id}/resend", follow_redirects=True)  # a double click
    assert "فقط رایانامهٔ ناموفق یا فرستاده‌شده را می‌توان دوباره فرستاد." in again.text
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "mail.resend")))
    assert len(events) == 1 and events[0].actor_id == admin.id and events[0].before["status"] == "dead"
    assert user.email in events[0].summary


def test_only_admins_reach_the_outbox(ctx, client):
    user = make_user()
    notify([user.id], "task.assigned", ASSIGNED, "/tasks/1/", T0)
    db.session.commit()
    (message,) = rows()
    message.status = MailStatus.DEAD
    db.session.commit()
    for role in Role:
        if role == Role.ADMIN:
            continue
        browser = signed_in(ctx.test_client(), make_user(role=role))
        statuses = [browser.get("/admin/outbox/").status_code, browser.get(f"/admin/outbox/{message.id}").status_code,
                    browser.post(f"/admin/outbox/{message.id}/resend").status_code]
        assert statuses == [403, 403, 403], role
        assert 'href="/admin/outbox/"' not in browser.get("/").text
    assert rows()[0].status == MailStatus.DEAD  # the refused resend changed nothing
    anonymous = ctx.test_client()
    assert anonymous.get("/admin/outbox/").status_code == 302
    assert anonymous.post(f"/admin/outbox/{message.id}/resend").status_code == 302
