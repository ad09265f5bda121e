"""The reminder sweep (issue 5): due soon, due today, overdue every M days, escalation after K days — each step
sent once, whatever runs twice, runs at once or does not run for days (W6), without a query per task.

Every test runs on SQLite and on PostgreSQL; the clock is frozen and walked day by day.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from planapp.accounts.models import EmailPreference
from planapp.core import clock
from planapp.extensions import db
from planapp.mail.digest import send_digests
from planapp.mail.dispatch import dispatch_due
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.notifications.models import Notification
from planapp.tasks import reminders
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskReminder, TaskTemplate
from planapp.tasks.reminders import steps_for
from tests.factories import make_plan, make_user
from tests.sql_helpers import count_statements
from tests.task_helpers import NOW, new_task, task_world

w = task_world
DUE = date(2026, 5, 12)  # Tuesday 1405/02/22


def at(day: date, hour: int = 5) -> datetime:
    """A moment on `day` in Tehran (05:00 UTC is 08:30 there)."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def sweep_on(day: date, hour: int = 5) -> str:
    clock.freeze(at(day, hour))
    return reminders.sweep(at(day, hour))


def sent(kind: str | None = None) -> list[tuple[int, str]]:
    """(user id, kind) of every notification, in order."""
    query = sa.select(Notification.user_id, Notification.kind).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return [tuple(row) for row in db.session.execute(query)]


def reminder_kinds() -> list[str]:
    return [kind for _user, kind in sent() if kind.startswith("task.") and kind != "task.assigned"]


def emails(kind_prefix: str = "task.") -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind.like(f"{kind_prefix}%"),
                                                                  OutboxMessage.kind != "task.assigned")
                                   .order_by(OutboxMessage.id)))


# --- the steps, as a pure function --------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (DUE - timedelta(days=3), []),
    (DUE - timedelta(days=2), ["due_soon"]),
    (DUE - timedelta(days=1), ["due_soon"]),
    (DUE, ["due_today"]),
    (DUE + timedelta(days=1), ["overdue:0"]),
    (DUE + timedelta(days=3), ["overdue:0"]),
    (DUE + timedelta(days=4), ["overdue:1"]),
    (DUE + timedelta(days=5), ["overdue:1", "escalation"]),
    (DUE + timedelta(days=40), ["overdue:13", "escalation"]),
])
def test_the_step_of_a_task_on_each_day(today, expected):
    assert steps_for(today, DUE, before=2, every=3, escalate=5) == expected


def test_escalation_zero_means_never():
    assert steps_for(DUE + timedelta(days=30), DUE, before=2, every=3, escalate=0) == ["overdue:9"]


# --- walking the calendar -----------------------------------------------------------------------------------------


def test_a_frozen_clock_walks_through_every_step_and_each_is_sent_once(smtp_app, smtp_server, w):
    """Each day the sweep runs twice and the dispatcher sends to a real SMTP server on 127.0.0.1."""
    task = new_task(w, w.agency_a, due=DUE)
    db.session.execute(sa.delete(Notification))
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    log = {}
    for offset in range(-4, 9):
        day = DUE + timedelta(days=offset)
        before = len(reminder_kinds())
        sweep_on(day)
        dispatch_due(at(day))
        sweep_on(day, hour=12)  # a second run the same day sends nothing more
        dispatch_due(at(day, hour=12))
        log[offset] = reminder_kinds()[before:]
    officers = 2  # a1 and a2 of agency A
    assert log == {
        -4: [], -3: [],
        -2: ["task.due_soon"] * officers, -1: [],
        0: ["task.due_today"] * officers,
        1: ["task.overdue"] * officers, 2: [], 3: [],
        4: ["task.overdue"] * officers,
        5: ["task.escalated"],  # to the plan's supervisor only
        6: [], 7: ["task.overdue"] * officers, 8: [],
    }
    assert {user for user, kind in sent("task.escalated")} == {w.sup.id}
    # One e-mail per person and step, keyed so that nothing can queue it again.
    keys = [message.key for message in emails()]
    assert len(keys) == len(set(keys)) == 5 * officers + 1
    steps = db.session.scalars(sa.select(TaskReminder.step).where(TaskReminder.task_id == task.id)
                               .order_by(TaskReminder.id)).all()
    assert steps == ["due_soon", "due_today", "overdue:0", "overdue:1", "escalation", "overdue:2"]
    # Past the cap (3 reminders of a task) the officers' reminders wait for the daily digest; the escalation
    # does not. The SMTP server accepted each e-mail exactly once, addressed to the right people.
    assert [m.status for m in emails() if m.user_id == w.a1.id] == [MailStatus.SENT] * 3 + [MailStatus.DIGEST] * 2
    send_digests(at(DUE + timedelta(days=8), hour=4))
    send_digests(at(DUE + timedelta(days=8), hour=4))
    dispatch_due(at(DUE + timedelta(days=8), hour=4))
    counts = smtp_server.message_id_counts()
    assert len(counts) == 3 * officers + 1 + officers and set(counts.values()) == {1}
    recipients = sorted(address for item in smtp_server.received for address in item.rcpt_tos)
    assert recipients == sorted([w.a1.email, w.a2.email] * 4 + [w.sup.email])
    escalation = next(item.message for item in smtp_server.received if w.sup.email in item.rcpt_tos)
    assert "۵ روز از مهلت گذشته است" in escalation.get_body(("plain",)).get_content()


def test_the_template_sets_the_days(ctx, w):
    template = TaskTemplate(stage=w.plan.stage, kind=TaskKind.OTHER, title="قالب", agencies=[w.agency_b],
                            remind_before_days=5, overdue_every_days=1, escalate_after_days=2)
    db.session.add(template)
    db.session.commit()
    task = new_task(w, w.agency_b, due=DUE)
    task.template_id = template.id
    db.session.commit()
    for offset in (-5, 1, 2):
        sweep_on(DUE + timedelta(days=offset))
    assert db.session.scalars(sa.select(TaskReminder.step).where(TaskReminder.task_id == task.id)
                              .order_by(TaskReminder.id)).all() == ["due_soon", "overdue:0", "overdue:1",
                                                                    "escalation"]


def test_only_open_work_of_open_plans_is_reminded(ctx, w):
    submitted = new_task(w, w.agency_a, title="ارسال شده", due=DUE, status=TaskStatus.SUBMITTED)
    accepted = new_task(w, w.agency_a, title="پذیرفته", due=DUE, status=TaskStatus.ACCEPTED)
    closed_plan = make_plan(w.sup, title="برنامهٔ بسته")
    archived = new_task(w, w.agency_a, title="بایگانی", due=DUE, plan=closed_plan)
    closed_plan.closed_at = NOW
    returned = new_task(w, w.agency_a, title="برگشتی", due=DUE, status=TaskStatus.RETURNED)
    db.session.commit()
    sweep_on(DUE)
    reminded = set(db.session.scalars(sa.select(TaskReminder.task_id)))
    assert reminded == {returned.id}
    assert not reminded & {submitted.id, accepted.id, archived.id}


def test_who_is_reminded(ctx, w):
    agency_task = new_task(w, w.agency_a, title="کار دستگاه", due=DUE)
    taken = new_task(w, w.agency_a, title="کار برداشته", due=DUE)
    taken.taken_by_id, taken.status = w.a2.id, TaskStatus.IN_PROGRESS
    personal = new_task(w, assignee=w.b1, title="کار شخصی", due=DUE)
    participant = make_user("participant", w.agency_a, name="مشارکت‌کننده")
    make_user("officer", w.agency_a, name="کارشناس غیرفعال").is_active = False
    db.session.commit()
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    sweep_on(DUE)
    by_task = {}
    for notification in db.session.scalars(sa.select(Notification)):
        by_task.setdefault(notification.link, set()).add(notification.user_id)
    assert by_task == {f"/tasks/{agency_task.id}": {w.a1.id, w.a2.id, participant.id},
                       f"/tasks/{taken.id}": {w.a2.id}, f"/tasks/{personal.id}": {w.b1.id}}


def test_a_new_due_date_starts_the_steps_again(ctx, w):
    task = new_task(w, w.agency_a, due=DUE)
    sweep_on(DUE)
    task.due_on = DUE + timedelta(days=7)
    db.session.commit()
    sweep_on(DUE + timedelta(days=7))
    assert db.session.execute(sa.select(TaskReminder.step, TaskReminder.due_on).order_by(TaskReminder.id)).all() == [
        ("due_today", DUE), ("due_today", DUE + timedelta(days=7))]


# --- downtime, repeats and concurrency ---------------------------------------------------------------------------


def test_after_three_days_down_each_missed_reminder_is_sent_once_at_its_current_step(ctx, w):
    """W6: the sweep last ran on day 0; it runs again on day 3. Each task that needed a reminder meanwhile gets
    exactly one — for the step it is at now — and later runs send nothing more."""
    start = DUE - timedelta(days=3)
    soon = new_task(w, w.agency_a, title="مهلت نزدیک", due=start + timedelta(days=4))  # due_soon from day 2
    today = new_task(w, w.agency_a, title="مهلت امروز", due=start + timedelta(days=3))  # due_today on day 3
    late = new_task(w, w.agency_a, title="دیرکرد", due=start + timedelta(days=1))  # due_soon on day 0, late on 3
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    sweep_on(start)
    first = db.session.execute(sa.select(TaskReminder.task_id, TaskReminder.step)).all()
    assert first == [(late.id, "due_soon")]
    sweep_on(start + timedelta(days=3))
    sweep_on(start + timedelta(days=3), hour=14)
    steps = {(task_id, step) for task_id, step in db.session.execute(
        sa.select(TaskReminder.task_id, TaskReminder.step))}
    assert steps == {(late.id, "due_soon"), (soon.id, "due_soon"), (today.id, "due_today"), (late.id, "overdue:0")}
    officers = {w.a1.id, w.a2.id}
    per_task = {}
    for notification in db.session.scalars(sa.select(Notification)):
        per_task.setdefault((notification.link, notification.kind), []).append(notification.user_id)
    for key, users in per_task.items():
        assert sorted(users) == sorted(officers), key  # once per person, not once per missed day
    assert len(emails()) == 4 * len(officers)


@pytest.mark.parametrize("threads", [6])
def test_concurrent_sweeps_remind_once(make_app, ctx, w, threads):
    for n in range(30):
        new_task(w, w.agency_a if n % 2 else w.agency_b, title=f"کار {n}", due=DUE)
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    moment = at(DUE)
    clock.freeze(moment)
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run():
        try:
            with ctx.app_context():
                barrier.wait()
                reminders.sweep(moment)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskReminder)) == 30
    # Agency A has two officers, agency B one: 15 × 2 + 15 × 1 notifications and as many e-mails.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 45
    assert len(emails()) == 45


def test_past_the_cap_reminders_wait_for_the_digest_but_escalations_do_not(ctx, w):
    ctx.config["REMINDER_EMAIL_CAP"] = 2
    new_task(w, assignee=w.b1, due=DUE)
    for offset in (-2, 0, 1, 4, 5, 7):
        sweep_on(DUE + timedelta(days=offset))
    statuses = [(m.kind, m.status) for m in emails()]
    assert statuses == [("task.due_soon", MailStatus.QUEUED), ("task.due_today", MailStatus.QUEUED),
                        ("task.overdue", MailStatus.DIGEST), ("task.overdue", MailStatus.DIGEST),
                        ("task.escalated", MailStatus.QUEUED), ("task.overdue", MailStatus.DIGEST)]
    # In the app nothing is held back.
    assert len(reminder_kinds()) == 6


def test_preferences_apply_to_reminders(ctx, w):
    w.a1.email_preference = EmailPreference.OFF
    w.a2.email_preference = EmailPreference.DIGEST
    db.session.commit()
    new_task(w, w.agency_a, due=DUE)
    sweep_on(DUE)
    assert [(m.user_id, m.status) for m in emails()] == [(w.a2.id, MailStatus.DIGEST)]
    assert sorted(user for user, _kind in sent("task.due_today")) == sorted([w.a1.id, w.a2.id])


def test_the_sweep_runs_a_fixed_number_of_statements_however_many_tasks_are_due(ctx, w):
    def statements_for(n: int, day: date) -> int:
        for i in range(n):
            db.session.add(Task(plan_id=w.plan.id, stage=w.plan.stage, kind=TaskKind.OTHER, title=f"انبوه {i}",
                                agency_id=w.agency_a.id if i % 2 else w.agency_b.id, due_on=day,
                                created_at=NOW, status=TaskStatus.OPEN))
        db.session.commit()
        clock.freeze(at(day))
        with count_statements() as statements:
            reminders.sweep(at(day))
        db.session.execute(sa.update(Task).values(status=TaskStatus.ACCEPTED))
        db.session.commit()
        return len(statements)

    # 300 tasks of which half have two officers: 450 e-mails, one outbox chunk (500) like the 15 of 10 tasks.
    small = statements_for(10, DUE)
    large = statements_for(300, DUE + timedelta(days=1))
    assert small == large


def test_many_chunks_remind_every_task_once_with_a_fixed_number_of_statements_per_chunk(ctx, w, monkeypatch):
    """Chunking by id, with chunks of 4: eleven due tasks (and one of a closed plan between them) are each reminded
    once, and every further chunk costs the same number of statements."""
    closed_plan = make_plan(w.sup, title="برنامهٔ بسته")
    tasks = [new_task(w, w.agency_b, title=f"کار {n}", due=DUE) for n in range(6)]
    archived = new_task(w, w.agency_b, title="بایگانی", due=DUE, plan=closed_plan)
    closed_plan.closed_at = NOW
    tasks += [new_task(w, w.agency_b, title=f"کار {n}", due=DUE) for n in range(6, 11)]
    db.session.commit()
    monkeypatch.setattr(reminders, "CHUNK", 4)

    def statements_on(day: date) -> int:
        clock.freeze(at(day))
        with count_statements() as statements:
            summary = reminders.sweep(at(day))
        assert f" for {len(tasks)} open tasks" in summary, summary
        return len(statements)

    three_chunks = statements_on(DUE)
    assert sorted(db.session.scalars(sa.select(TaskReminder.task_id))) == sorted(task.id for task in tasks)
    assert archived.id not in set(db.session.scalars(sa.select(TaskReminder.task_id)))
    tasks.append(new_task(w, w.agency_b, title="کار ۱۲", due=DUE))  # a twelfth: still three chunks
    db.session.commit()
    assert statements_on(DUE + timedelta(days=1)) == three_chunks
    tasks += [new_task(w, w.agency_b, title=f"کار {n}", due=DUE) for n in range(13, 17)]  # four chunks
    db.session.commit()
    four_chunks = statements_on(DUE + timedelta(days=4))
    assert four_chunks > three_chunks
    tasks += [new_task(w, w.agency_b, title=f"کار {n}", due=DUE) for n in range(17, 21)]  # five chunks
    db.session.commit()
    assert statements_on(DUE + timedelta(days=7)) - four_chunks == four_chunks - three_chunks


def test_english_readers_get_the_templates_english_title_and_the_agencys_english_name(ctx, w):
    """A task made from a template carries the template's Persian title; its reminders, e-mails and in-app twins name
    it with the template's English title for English readers (and the escalated agency by its English name)."""
    from flask_babel import force_locale

    from planapp.notifications.messages import render

    template = TaskTemplate(stage=w.plan.stage, kind=TaskKind.OTHER, title="گزارش منابع", title_en="Resources report",
                            agencies=[w.agency_b], escalate_after_days=1)
    w.agency_b.name_en = "Natural Resources Office"
    db.session.add(template)
    db.session.commit()
    task = new_task(w, w.agency_b, title="گزارش منابع", due=DUE)
    task.template_id = template.id
    w.b1.language = w.sup.language = "en"
    persian_reader = make_user("officer", w.agency_b, name="کارشناس فارسی")
    db.session.commit()
    for offset in (0, 1):
        sweep_on(DUE + timedelta(days=offset))
    by_reader = {(m.to_addr, m.kind): m for m in emails()}
    assert {kind for _to, kind in by_reader} == {"task.due_today", "task.overdue", "task.escalated"}
    for kind in ("task.due_today", "task.overdue"):
        english, persian = by_reader[(w.b1.email, kind)], by_reader[(persian_reader.email, kind)]
        assert "Resources report" in english.subject + english.text_body and "گزارش منابع" not in english.text_body
        assert "گزارش منابع" in persian.text_body and "Resources report" not in persian.text_body
    escalation = by_reader[(w.sup.email, "task.escalated")].text_body
    assert "Resources report" in escalation and "Natural Resources Office" in escalation
    assert w.agency_b.name not in escalation
    notification = db.session.scalars(sa.select(Notification).where(Notification.kind == "task.escalated")).one()
    with force_locale("en"):
        assert "Resources report" in render(notification.kind, notification.params)
    with force_locale("fa"):
        shown = render(notification.kind, notification.params)
        assert "گزارش منابع" in shown and w.agency_b.name in shown and "Natural" not in shown


def test_an_ad_hoc_task_or_a_renamed_one_keeps_its_own_title_for_english_readers(ctx, w):
    template = TaskTemplate(stage=w.plan.stage, kind=TaskKind.OTHER, title="گزارش منابع", title_en="Resources report",
                            agencies=[w.agency_b])
    db.session.add(template)
    db.session.commit()
    renamed = new_task(w, w.agency_b, title="گزارش ویژهٔ منابع", due=DUE)
    renamed.template_id = template.id  # the task's title is no longer the template's: its English words don't fit
    w.b1.language = "en"
    db.session.commit()
    sweep_on(DUE)
    [mail] = [m for m in emails() if m.to_addr == w.b1.email]
    assert "گزارش ویژهٔ منابع" in mail.text_body and "Resources report" not in mail.text_body
