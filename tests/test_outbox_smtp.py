"""RELIABILITY E1, E2 and X11 against a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

E1: the same batch queued twice is one row per key; two dispatchers sending at once deliver each message once.
E2: an outage (the server stopped for a simulated day) loses nothing and duplicates nothing, the retries back off
exponentially up to the cap; a permanent refusal is dead at once, with an alert to admins; a 4xx is retried.
X11: CR/LF and "Bcc:" in names and titles forge no header and add no recipient.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from planapp.core import clock
from planapp.extensions import db
from planapp.mail import dispatch
from planapp.mail.dispatch import dispatch_due
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.outbox import Email, queue, users_by_id
from planapp.mail.settings import mail_setup
from planapp.notifications.models import Notification
from planapp.notifications.services import notify
from tests.factories import make_agency, make_user, signed_in
from tests.smtp_fixtures import SmtpServer

T0 = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)  # 09:30 in Tehran
TICK = timedelta(seconds=30)  # the scheduler's dispatch_outbox interval


def people(n: int, **data) -> list[int]:
    agency = make_agency()
    return [make_user(role="officer", agency=agency, **data).id for _ in range(n)]


def reminder_batch(user_ids: list[int], tasks: int) -> list[Email]:
    """What a reminder sweep queues: one e-mail per task and person, keyed by task + step + day + person."""
    users = users_by_id(user_ids)
    return [Email("task.due_soon", f"reminder:task-{task}:due_soon:2026-05-04:{uid}",
                  {"task": f"گزارش {task}", "plan": "برنامهٔ هفتم", "due": "2026-05-04"}, f"/tasks/{task}/",
                  user=users[uid]) for task in range(tasks) for uid in user_ids]


def statuses() -> Counter[str]:
    db.session.rollback()
    return Counter(str(status) for status in db.session.scalars(sa.select(OutboxMessage.status)))


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def tick_until_quiet(start: datetime, limit: int = 200) -> datetime:
    """Run the dispatcher every scheduler tick until nothing is queued; returns the clock after."""
    moment = start
    for _ in range(limit):
        clock.freeze(moment)
        dispatch_due()
        if not statuses().get(MailStatus.QUEUED.value):
            return moment
        moment = next_tick(moment)
    raise AssertionError(f"still queued after {limit} runs: {statuses()}")


def next_tick(moment: datetime) -> datetime:
    """The scheduler's next 30-second slot at or after the earliest due message (or the next slot)."""
    due = db.session.scalar(sa.select(sa.func.min(OutboxMessage.next_attempt_at))
                            .where(OutboxMessage.status == MailStatus.QUEUED))
    target = max(moment + TICK, due or moment + TICK)
    slots = -(-(target - T0) // TICK)  # ceiling
    return T0 + slots * TICK


# --- E1 ------------------------------------------------------------------------------------------------------


def test_the_same_reminder_batch_queued_twice_is_one_row_per_key(smtp_app):
    user_ids = people(5)
    batch = reminder_batch(user_ids, 4)
    assert queue(batch, T0) == 20
    db.session.commit()
    assert queue(reminder_batch(user_ids, 4), T0 + timedelta(minutes=15)) == 0  # the next sweep, same keys
    db.session.commit()
    rows = outbox()
    assert len(rows) == 20 and len({row.key for row in rows}) == 20
    assert {row.created_at for row in rows} == {T0}  # the first queueing stands


def test_two_dispatchers_at_once_send_each_message_exactly_once(smtp_app: Flask, smtp_server: SmtpServer):
    """E1: 200 messages, two dispatchers in threads (each its own app context and session) claiming batches of
    20 at the same time: each message accepted by the SMTP server exactly once."""
    user_ids = people(50)
    assert queue(reminder_batch(user_ids, 4), T0) == 200
    assert queue(reminder_batch(user_ids, 4), T0) == 0
    db.session.commit()
    db.session.close()

    barrier = threading.Barrier(2)
    runs: dict[str, list[str]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def dispatcher(name: str) -> None:
        try:
            with smtp_app.app_context():
                barrier.wait(timeout=10)
                for _ in range(50):
                    summary = dispatch_due(T0 + timedelta(seconds=1), batch=20)
                    runs[name].append(summary)
                    if summary == "nothing due":
                        break
                db.session.remove()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=dispatcher, args=(name,)) for name in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    counts = smtp_server.message_id_counts()
    assert len(smtp_server.received) == 200, runs
    assert len(counts) == 200 and set(counts.values()) == {1}  # 200 distinct Message-IDs, each accepted once
    rows = outbox()
    assert {row.status for row in rows} == {MailStatus.SENT}
    assert {row.message_id for row in rows} == set(counts)  # what the server got is what was recorded
    assert all(row.attempts == 1 for row in rows)
    sent_by = {name: sum(int(summary.split()[0]) for summary in summaries if summary[0].isdigit())
               for name, summaries in runs.items()}
    assert sum(sent_by.values()) == 200
    recipients = Counter(rcpt for item in smtp_server.received for rcpt in item.rcpt_tos)
    assert len(recipients) == 50 and set(recipients.values()) == {4}


# --- E2 ------------------------------------------------------------------------------------------------------


def test_a_day_of_smtp_outage_loses_nothing_and_duplicates_nothing(smtp_app: Flask, smtp_server: SmtpServer):
    """E2: the server is stopped; the scheduler keeps dispatching every 30 s for a simulated day while e-mails
    pile up (some queued mid-outage); retries back off 1, 2, 4 … minutes up to the cap, nobody is dead before
    MAIL_MAX_ATTEMPTS; the server comes back and every e-mail arrives exactly once."""
    limits = mail_setup(smtp_app.config).limits  # the shipped defaults: the promise holds without tuning
    first, later = people(20), people(10)
    users = users_by_id(first + later)
    clock.freeze(T0)
    queue([Email("task.assigned", f"assigned:{uid}", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/",
                 user=users[uid]) for uid in first], T0)
    db.session.commit()
    smtp_server.stop()

    gaps: dict[int, list[float]] = {}
    attempts_seen: dict[int, list[int]] = {}
    runs, moment, end, later_queued = 0, T0, T0 + timedelta(days=1), False
    while moment < end:
        if not later_queued and moment >= T0 + timedelta(hours=6):
            queue([Email("task.assigned", f"assigned:{uid}", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/",
                         user=users[uid]) for uid in later], moment)
            db.session.commit()
            later_queued = True
        clock.freeze(moment)
        dispatch_due()
        runs += 1
        for row in outbox():
            assert row.status == MailStatus.QUEUED, (row.id, row.status, row.attempts, row.last_error)
            if row.attempts and attempts_seen.get(row.id, [0])[-1] != row.attempts:
                attempts_seen.setdefault(row.id, []).append(row.attempts)
                gaps.setdefault(row.id, []).append((row.next_attempt_at - moment).total_seconds())
        moment = next_tick(moment)

    assert smtp_server.received == []
    rows = outbox()
    assert len(rows) == 30 and all(row.last_error.startswith("SMTP server unreachable") for row in rows)
    for row in rows:
        assert attempts_seen[row.id] == list(range(1, row.attempts + 1))  # one attempt per run it was due in
        expected = [min(limits.retry_base * 2 ** k, limits.retry_cap) for k in range(row.attempts)]
        assert gaps[row.id] == expected, row.id  # 60, 120, 240 … 3600, 3600: doubling, then capped
        assert max(gaps[row.id]) <= limits.retry_cap
        assert row.attempts < limits.max_attempts  # a day of outage kills nobody
    figures = {"runs": runs, "attempts (first 20)": rows[0].attempts, "attempts (queued at +6 h)": rows[-1].attempts,
               "gaps (s)": gaps[rows[0].id][:8]}
    assert rows[0].attempts > 20 and figures["gaps (s)"][:7] == [60, 120, 240, 480, 960, 1920, 3600]

    smtp_server.start()  # the server is back
    tick_until_quiet(next_tick(moment))
    counts = smtp_server.message_id_counts()
    assert len(smtp_server.received) == 30 and len(counts) == 30 and set(counts.values()) == {1}  # 0 duplicates
    assert Counter(row.status for row in outbox()) == {MailStatus.SENT: 30}  # 0 lost
    assert sorted(rcpt for item in smtp_server.received for rcpt in item.rcpt_tos) == sorted(
        users[uid].email for uid in first + later)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0  # no admin alert


def test_a_message_is_dead_after_max_attempts_and_admins_are_told_once(smtp_app, smtp_server, monkeypatch):
    monkeypatch.setitem(smtp_app.config, "MAIL_MAX_ATTEMPTS", "3")
    admin, other_admin = make_user(role="admin"), make_user(role="admin")
    user_ids = people(2)
    clock.freeze(T0)
    notify(user_ids, "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", T0)
    db.session.commit()
    smtp_server.stop()
    moment = T0
    for attempt in (1, 2):
        clock.freeze(moment)
        dispatch_due()
        assert statuses() == {"queued": 2}, attempt  # not dead before the third attempt
        moment = next_tick(moment)
    clock.freeze(moment)
    assert dispatch_due() == "0 sent, 0 to retry, 2 dead"
    assert statuses() == {"dead": 2}
    alerts = list(db.session.scalars(sa.select(Notification).where(Notification.user_id.in_([admin.id,
                                                                                            other_admin.id]))))
    assert [(alert.kind, alert.params["count"], alert.link) for alert in alerts] == [
        ("mail.dead_many", 2, "/admin/outbox/?status=dead")] * 2  # one alert per run and admin, not per e-mail


def test_a_permanent_refusal_is_dead_at_once_with_an_alert_and_the_others_go(smtp_app, smtp_server):
    """E2: 550 for one recipient: that message dead (no retry), an admin notified in the app, the rest sent."""
    admin = make_user(role="admin")
    make_user(role="supervisor")  # not an admin: no alert
    user_ids = people(3)
    users = users_by_id(user_ids)
    refused = users[user_ids[1]].email
    smtp_server.handler.refuse[refused] = f"550 5.1.1 <{refused}>: mailbox unavailable"
    clock.freeze(T0)
    notify(user_ids, "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", T0)
    db.session.commit()
    assert dispatch_due() == "2 sent, 0 to retry, 1 dead"
    dead = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.to_addr == refused))
    assert dead.status == MailStatus.DEAD and dead.attempts == 1 and "550" in dead.last_error
    assert sorted(rcpt for item in smtp_server.received for rcpt in item.rcpt_tos) == sorted(
        users[uid].email for uid in user_ids if users[uid].email != refused)
    alerts = list(db.session.scalars(sa.select(Notification).where(Notification.kind.like("mail.%"))))
    assert [(a.user_id, a.kind, a.link, a.params["to"]) for a in alerts] == [
        (admin.id, "mail.dead", f"/admin/outbox/{dead.id}", refused)]
    clock.freeze(T0 + timedelta(days=1))
    assert dispatch_due() == "nothing due"  # dead stays dead until an admin resends


def test_a_temporary_refusal_is_retried_and_then_delivered_once(smtp_app, smtp_server):
    """E2: 451 for one recipient: queued again 1 minute later, then delivered once the server accepts."""
    user_ids = people(2)
    users = users_by_id(user_ids)
    busy = users[user_ids[0]].email
    smtp_server.handler.refuse[busy] = "451 4.3.0 mailbox busy, try again later"
    clock.freeze(T0)
    notify(user_ids, "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", T0)
    db.session.commit()
    assert dispatch_due() == "1 sent, 1 to retry, 0 dead"
    retried = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.to_addr == busy))
    assert retried.status == MailStatus.QUEUED and retried.attempts == 1 and "451" in retried.last_error
    assert retried.next_attempt_at == T0 + timedelta(seconds=60)
    clock.freeze(T0 + timedelta(seconds=30))
    assert dispatch_due() == "nothing due"  # not before its time
    smtp_server.handler.refuse.clear()
    clock.freeze(T0 + timedelta(seconds=60))
    assert dispatch_due() == "1 sent, 0 to retry, 0 dead"
    assert statuses() == {"sent": 2}
    assert Counter(rcpt for item in smtp_server.received for rcpt in item.rcpt_tos) == Counter(
        users[uid].email for uid in user_ids)
    assert db.session.scalar(sa.select(OutboxMessage.last_error).where(OutboxMessage.to_addr == busy)) == ""


def test_a_resent_message_goes_out_again_with_a_new_message_id(smtp_app, smtp_server):
    """An admin's resend of a sent e-mail: receivers drop a second message with a Message-ID they hold."""
    from planapp.mail.services import resend_message

    user_ids = people(1)
    clock.freeze(T0)
    notify(user_ids, "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", T0)
    db.session.commit()
    dispatch_due()
    message = outbox()[0]
    resend_message(make_user(role="admin"), message, T0 + timedelta(hours=1))
    db.session.commit()
    clock.freeze(T0 + timedelta(hours=1))
    assert dispatch_due() == "1 sent, 0 to retry, 0 dead"
    first, second = smtp_server.received
    assert first.message_id != second.message_id and outbox()[0].message_id == second.message_id


# --- X11 -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"])
def test_line_breaks_in_names_and_titles_forge_no_header_and_no_recipient(smtp_app, smtp_server, breaker):
    """X11: a user name and a task title carrying line breaks and "Bcc:" reach the server as one plain header
    line each: no Bcc or other forged header, no extra recipient, and the message is not lost either."""
    user = make_user(role="officer")
    user.name = f"Eve{breaker}Bcc: evil@attacker.example{breaker}X-Injected: yes"  # as old or imported data
    db.session.commit()
    title = f"Report{breaker}Bcc: evil2@attacker.example{breaker}{breaker}<b>body</b>"
    clock.freeze(T0)
    notify([user.id], "task.returned", {"task": title, "plan": f"Plan{breaker}Cc: evil3@attacker.example",
                                        "reason": "x"}, "/tasks/1/", T0)
    db.session.commit()
    assert dispatch_due() == "1 sent, 0 to retry, 0 dead"
    (item,) = smtp_server.received
    assert item.rcpt_tos == (user.email,)
    headers = item.message
    assert not {"bcc", "cc", "x-injected"} & {name.lower() for name in headers}
    raw_names = [line.split(":", 1)[0].lower() for line in item.header_block.split("\r\n") if line[:1].strip()]
    assert not {"bcc", "cc", "x-injected"} & set(raw_names), raw_names  # on the wire, not only once parsed
    assert raw_names.count("to") == raw_names.count("subject") == 1
    assert "\n" not in str(headers["Subject"]) and "\n" not in str(headers["To"])
    assert "Bcc: evil2@attacker.example" in str(headers["Subject"])  # the text is kept, harmlessly, on one line
    assert headers["To"].addresses[0].addr_spec == user.email


# --- single-use links ------------------------------------------------------------------------------------------


def test_a_single_use_link_goes_to_its_recipient_and_leaves_the_stored_copy(smtp_app, smtp_server, client):
    """The token table keeps only hashes; the outbox must not keep a live link either once the e-mail is sent,
    and admins never see one (except in the development mailbox)."""
    admin, user = make_user(role="admin"), make_user(role="officer")
    raw = secrets.token_urlsafe(32)
    queue([Email("password_reset", "password_reset:test", {"minutes": 60}, f"/reset/{raw}", user=user)], T0)
    db.session.commit()
    (message,) = outbox()
    signed_in(client, admin)
    queued_page = client.get(f"/admin/outbox/{message.id}").text
    assert raw not in queued_page and "/reset/••••••••" in queued_page  # hidden from admins before sending too

    clock.freeze(T0)
    assert dispatch_due() == "1 sent, 0 to retry, 0 dead"
    (item,) = smtp_server.received
    assert item.message.get_body(("plain",)).get_content().count(f"/reset/{raw}") == 1  # the person gets it
    (message,) = outbox()
    assert raw not in message.text_body and raw not in message.html_body  # the stored copy does not
    assert "/reset/••••••••" in message.text_body
    refused = client.post(f"/admin/outbox/{message.id}/resend", follow_redirects=True)
    assert "پیوندی یک‌بارمصرف داشت" in refused.text and outbox()[0].status == MailStatus.SENT
    assert "فرستادن دوباره" not in client.get(f"/admin/outbox/{message.id}").text


def test_the_development_mailbox_shows_single_use_links_to_follow(ctx, client):
    admin, user = make_user(role="admin"), make_user(role="officer")
    raw = secrets.token_urlsafe(32)
    queue([Email("invitation", "invitation:test", {"inviter": "علی", "agency": "دستگاه", "days": 7},
                 f"/invitation/{raw}", user=user)], T0)
    db.session.commit()
    assert dispatch_due(T0) == "1 kept in the development mailbox"
    (message,) = outbox()
    assert raw in message.text_body  # kept: in development the link is there to be followed
    assert f"/invitation/{raw}" in signed_in(client, admin).get(f"/admin/outbox/{message.id}").text


def test_a_run_whose_lease_runs_out_leaves_the_rest_to_the_next_run(smtp_app, smtp_server, monkeypatch):
    """A slow server: a dispatcher stops starting sends before its lease could expire under it (another run could
    then send the same message); the rest are due again at once, the attempt not counted."""
    user_ids = people(3)
    notify(user_ids, "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", T0)
    db.session.commit()
    readings = itertools.chain([0.0, 0.0], itertools.repeat(1e6))  # the deadline, one send, then time is up
    with monkeypatch.context() as patch:
        patch.setattr(dispatch, "monotonic", lambda: next(readings))
        assert dispatch_due(T0) == "1 sent, 0 to retry, 0 dead, 2 left for the next run"
    rows = outbox()
    assert [(row.status, row.attempts) for row in rows] == [(MailStatus.SENT, 1), (MailStatus.QUEUED, 0),
                                                            (MailStatus.QUEUED, 0)]
    assert all(row.next_attempt_at == T0 and row.lease_until is None for row in rows[1:])
    assert dispatch_due(T0) == "2 sent, 0 to retry, 0 dead"
    assert len(smtp_server.message_id_counts()) == 3 and set(smtp_server.message_id_counts().values()) == {1}
