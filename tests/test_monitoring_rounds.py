"""Monitoring rounds (issue 5): a round of progress-report tasks for every plan in monitoring at each Jalali
quarter (1 Farvardin, 1 Tir, 1 Mehr, 1 Dey) or at the plan's own period; opened once, whoever runs the job.

The period arithmetic is tested on its own, across a Farvardin/Esfand boundary and a leap year (1403 has
30 Esfand); the rounds run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from planapp.approvals import services as approvals
from planapp.core import clock
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.monitoring.labels import period_label
from planapp.monitoring.models import MonitoringRound
from planapp.monitoring.periods import period_containing, starts_between
from planapp.monitoring.rounds import open_due_rounds
from planapp.notifications.messages import render
from planapp.notifications.models import Notification
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind, TaskStatus
from planapp.tasks.models import Task, TaskTemplate
from tests.factories import make_agency, make_plan, make_user

FARVARDIN_1_1405 = date(2026, 3, 21)
TIR_1_1405 = date(2026, 6, 22)
MEHR_1_1405 = date(2026, 9, 23)
DEY_1_1405 = date(2026, 12, 22)
ESFAND_29_1404 = date(2026, 3, 20)  # 1404 is not a leap year: Esfand ends on the 29th
ESFAND_30_1403 = date(2025, 3, 20)  # 1403 is a leap year: 30 Esfand exists
FARVARDIN_1_1404 = date(2025, 3, 21)


# --- periods (pure) -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "start", "end", "year", "index"), [
    (FARVARDIN_1_1405, FARVARDIN_1_1405, TIR_1_1405 - timedelta(days=1), 1405, 1),
    (TIR_1_1405 - timedelta(days=1), FARVARDIN_1_1405, TIR_1_1405 - timedelta(days=1), 1405, 1),
    (TIR_1_1405, TIR_1_1405, MEHR_1_1405 - timedelta(days=1), 1405, 2),
    (MEHR_1_1405 + timedelta(days=40), MEHR_1_1405, DEY_1_1405 - timedelta(days=1), 1405, 3),
    (DEY_1_1405, DEY_1_1405, date(2027, 3, 20), 1405, 4),
    (ESFAND_29_1404, date(2025, 12, 22), ESFAND_29_1404, 1404, 4),
    (ESFAND_30_1403, date(2024, 12, 21), ESFAND_30_1403, 1403, 4),
    (FARVARDIN_1_1404, FARVARDIN_1_1404, date(2025, 6, 21), 1404, 1),
])
def test_quarters_follow_the_jalali_year(day, start, end, year, index):
    period = period_containing(day, 3)
    assert (period.start, period.end, period.year, period.index) == (start, end, year, index)


def test_other_period_lengths_divide_the_year_from_farvardin():
    assert period_containing(date(2026, 5, 5), 1).start == date(2026, 4, 21)  # 1 Ordibehesht 1405
    assert period_containing(date(2026, 5, 5), 6).start == FARVARDIN_1_1405
    assert period_containing(DEY_1_1405, 6).start == MEHR_1_1405
    year = period_containing(ESFAND_30_1403, 12)
    assert (year.start, year.end) == (date(2024, 3, 20), ESFAND_30_1403)  # 1403 has 366 days
    assert starts_between(date(2025, 1, 1), date(2026, 12, 31), 3) == [
        FARVARDIN_1_1404, date(2025, 6, 22), date(2025, 9, 23), date(2025, 12, 22), FARVARDIN_1_1405, TIR_1_1405,
        MEHR_1_1405, DEY_1_1405]
    with pytest.raises(ValueError, match="monitoring period"):
        period_containing(FARVARDIN_1_1405, 5)


def test_periods_are_named_in_the_readers_language(ctx):
    with force_locale("fa"):
        assert period_label(period_containing(MEHR_1_1405, 3)) == "سه‌ماههٔ سوم ۱۴۰۵"
        assert period_label(period_containing(MEHR_1_1405, 1)) == "مهر ۱۴۰۵"
    with force_locale("en"):
        assert period_label(period_containing(MEHR_1_1405, 3)) == "the third quarter of 1405"
        assert period_label(period_containing(MEHR_1_1405, 12)) == "the year 1405"


# --- rounds -------------------------------------------------------------------------------------------------------


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)  # 06:30 in Tehran


def run_on(day: date) -> str:
    clock.freeze(at(day))
    return open_due_rounds(at(day))


@pytest.fixture
def monitored(ctx):
    """A plan in monitoring, a progress-report template for two agencies, and one plan still being prepared."""
    clock.freeze(at(date(2026, 5, 5)))
    office = make_agency("سازمان مدیریت و برنامه‌ریزی استان", kind="private")
    roads = make_agency("اداره کل راه و شهرسازی")
    water = make_agency("شرکت آب منطقه‌ای")
    supervisor = make_user("supervisor", office, name="ناظر")
    make_user("officer", roads, name="کارشناس راه")
    db.session.add(TaskTemplate(stage=Stage.MONITORING, kind=TaskKind.PROGRESS_REPORT, title="گزارش پیشرفت",
                                agencies=[roads, water], due_in_days=10))
    plan = make_plan(supervisor, stage="monitoring", title="برنامهٔ هفتم استان")
    make_plan(supervisor, stage="drafting", title="برنامهٔ در دست تهیه")
    db.session.commit()
    return plan


def move(plan, event: str, asker, decider, reason: str = "") -> None:
    request = approvals.request_transition(asker, plan.id, event, reason, clock.now())
    db.session.commit()
    approvals.decide_request(decider, request.id, True, "", clock.now())
    db.session.commit()


def rounds() -> list[tuple[int, date]]:
    return [tuple(row) for row in db.session.execute(
        sa.select(MonitoringRound.plan_id, MonitoringRound.period_start).order_by(MonitoringRound.id))]


def round_tasks(period_start: date) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).join(MonitoringRound, Task.round_id == MonitoringRound.id)
                                   .where(MonitoringRound.period_start == period_start).order_by(Task.id)))


def test_a_round_opens_once_per_quarter_with_its_tasks(ctx, monitored):
    run_on(date(2026, 5, 5))
    assert rounds() == [(monitored.id, FARVARDIN_1_1405)]
    tasks = round_tasks(FARVARDIN_1_1405)
    assert [(t.title, t.stage, t.status, t.kind) for t in tasks] == [
        ("گزارش پیشرفت", Stage.MONITORING, TaskStatus.OPEN, TaskKind.PROGRESS_REPORT)] * 2
    assert all(t.due_on > date(2026, 5, 5) for t in tasks)
    # Every later day of the quarter, and a second scheduler the same day, open nothing more.
    for day in (date(2026, 5, 5), date(2026, 5, 6), TIR_1_1405 - timedelta(days=1)):
        run_on(day)
    assert rounds() == [(monitored.id, FARVARDIN_1_1405)]
    run_on(TIR_1_1405)
    run_on(TIR_1_1405)
    assert rounds() == [(monitored.id, FARVARDIN_1_1405), (monitored.id, TIR_1_1405)]
    assert len(round_tasks(TIR_1_1405)) == 2
    # The plan's supervisor hears of each round, named in Persian; the officers of the task's agency get a task.
    opened = db.session.scalars(sa.select(Notification).where(Notification.kind == "monitoring.round_opened")
                                .order_by(Notification.id)).all()
    assert len(opened) == 2
    with force_locale("fa"):
        assert "سه‌ماههٔ دوم ۱۴۰۵" in render(opened[1].kind, opened[1].params)
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.kind == "task.assigned")) == 2


def test_the_year_boundary_opens_the_first_quarter_of_the_new_year(ctx, monitored):
    run_on(ESFAND_29_1404)
    run_on(FARVARDIN_1_1405)
    assert rounds() == [(monitored.id, date(2025, 12, 22)), (monitored.id, FARVARDIN_1_1405)]


def test_the_leap_year_boundary_at_the_jobs_own_hour(ctx, monitored):
    """The job runs at 00:10 Tehran, which is 20:40 UTC the day before. 1403 is a leap year: its 30 Esfand still
    belongs to the Dey quarter, and ten minutes past midnight on 1 Farvardin 1404 opens the new year's first
    quarter, with tasks due in the new quarter."""
    def job_hour(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 0, 10, tzinfo=ZoneInfo("Asia/Tehran"))

    for moment in (job_hour(ESFAND_30_1403), job_hour(ESFAND_30_1403) + timedelta(hours=23, minutes=49),
                   job_hour(FARVARDIN_1_1404), job_hour(FARVARDIN_1_1404)):
        clock.freeze(moment)
        open_due_rounds(moment)
    assert [(plan, start, end) for plan, start, end in db.session.execute(
        sa.select(MonitoringRound.plan_id, MonitoringRound.period_start, MonitoringRound.period_end)
        .order_by(MonitoringRound.id))] == [(monitored.id, date(2024, 12, 21), ESFAND_30_1403),
                                             (monitored.id, FARVARDIN_1_1404, date(2025, 6, 21))]
    tasks = round_tasks(FARVARDIN_1_1404)
    assert len(tasks) == 2 and all(FARVARDIN_1_1404 < task.due_on <= date(2025, 6, 21) for task in tasks)
    opened = db.session.scalars(sa.select(Notification).where(Notification.kind == "monitoring.round_opened")
                                .order_by(Notification.id)).all()
    with force_locale("fa"):
        assert len(opened) == 2
        assert "سه‌ماههٔ چهارم ۱۴۰۳" in render(opened[0].kind, opened[0].params)
        assert "سه‌ماههٔ اول ۱۴۰۴" in render(opened[1].kind, opened[1].params)


def test_after_downtime_only_the_current_period_opens_and_only_once(ctx, monitored):
    run_on(date(2026, 5, 5))
    run_on(MEHR_1_1405 + timedelta(days=3))  # the scheduler was down through the whole Tir quarter
    run_on(MEHR_1_1405 + timedelta(days=3))
    assert rounds() == [(monitored.id, FARVARDIN_1_1405), (monitored.id, MEHR_1_1405)]


def test_the_plans_own_period(ctx, monitored):
    monitored.monitoring_period_months = 1
    db.session.commit()
    # Ordibehesht 1405 runs 2026-04-21 … 2026-05-21; 1 Khordad is 2026-05-22.
    for day in (date(2026, 5, 5), date(2026, 5, 21), date(2026, 5, 22), date(2026, 6, 21)):
        run_on(day)
    assert [start for _plan, start in rounds()] == [date(2026, 4, 21), date(2026, 5, 22)]


def test_entering_monitoring_opens_the_round_and_a_revision_in_the_same_quarter_does_not_repeat_it(ctx, monitored):
    supervisor2 = make_user("supervisor", monitored.owner.agency, name="ناظر دوم")
    move(monitored, "open_revision", monitored.owner, supervisor2, reason="اصلاح")
    assert rounds() == []
    move(monitored, "approve_revision", monitored.owner, supervisor2)
    assert rounds() == [(monitored.id, FARVARDIN_1_1405)]
    move(monitored, "open_revision", monitored.owner, supervisor2, reason="اصلاح دوباره")
    move(monitored, "approve_revision", monitored.owner, supervisor2)
    assert rounds() == [(monitored.id, FARVARDIN_1_1405)]
    # Progress reports come from rounds only: the stage's own entry opened no task outside a round.
    assert db.session.scalar(sa.select(sa.func.count()).where(Task.stage == Stage.MONITORING,
                                                              Task.round_id.is_(None))) == 0


def test_plans_not_in_monitoring_or_closed_get_no_round(ctx, monitored):
    monitored.closed_at = at(date(2026, 5, 1))
    db.session.commit()
    summary = run_on(date(2026, 5, 5))
    assert rounds() == []
    assert ascii_digits(summary).startswith("0 rounds")
