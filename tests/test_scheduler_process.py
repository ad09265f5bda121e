"""RELIABILITY W5 and missed runs, end to end: real `flask scheduler run` processes against the test database.

Two processes start at once: exactly one leads and every (job, fire_time) runs exactly once; the leader is killed
with SIGKILL and the standby takes over within a bound, with no duplicate. After days without a scheduler, a
missed job runs once, not once per missed slot. The jobs are the fast test schedule (tests/scheduler_jobs.py),
each execution a line in a file, so executions are counted independently of the job_runs rows.
"""

from __future__ import annotations

import contextvars
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from planapp.core import clock
from planapp.core.i18n import local_date
from planapp.extensions import db
from planapp.mail.dispatch import dispatch_due
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.scheduler import runner
from planapp.scheduler.leader import leadership_for
from planapp.scheduler.models import JobRun
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import Task, TaskReminder
from tests.factories import make_agency, make_plan, make_user
from tests.scheduler_jobs import store_job

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
LEASE_SECONDS = 4  # standby polls every 4/3 s; a loaded SQLite leader still renews in time
TAKEOVER_BOUND = 15  # seconds from SIGKILL to the standby's first run
JOBS = sa.table(runner.JOB_TABLE, sa.column("id"), sa.column("next_run_time"))


@pytest.fixture
def scheduler_db(ctx) -> Iterator:
    """ctx, with APScheduler's table (not a model, so not emptied by ctx) emptied too, before and after."""
    db.session.execute(sa.delete(JOBS))
    db.session.commit()
    yield ctx
    db.session.rollback()
    db.session.execute(sa.delete(JOBS))
    db.session.commit()


class Schedulers:
    """`flask scheduler run` processes of one test; all killed at the end, whatever happens."""

    def __init__(self, database_url: str, tmp_path: Path, schedule: str, env: dict[str, str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.log = tmp_path / "executions.log"
        self.env = {
            **os.environ, "FLASK_APP": "wsgi.py", "PLANAPP_ENV": "development", "DATABASE_URL": database_url,
            "PLANAPP_SCHEDULE": schedule, "SCHEDULER_TEST_LOG": str(self.log),
            "SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONUNBUFFERED": "1", **(env or {}),
        }
        self.env.pop("FLASK_DEBUG", None)
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        output = (self.tmp_path / f"scheduler-{len(self.processes)}.out").open("w")
        process = subprocess.Popen([str(FLASK), "scheduler", "run"], cwd=ROOT, env=self.env, stdout=output,
                                   stderr=subprocess.STDOUT)
        output.close()
        process.output = self.tmp_path / f"scheduler-{len(self.processes)}.out"  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def by_pid(self, pid: int) -> subprocess.Popen:
        return next(process for process in self.processes if process.pid == pid)

    def executions(self) -> Counter:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return Counter(tuple(line.split()[:2]) for line in lines)

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


@pytest.fixture
def schedulers(scheduler_db, database_url, tmp_path) -> Iterator[Callable[..., Schedulers]]:
    created: list[Schedulers] = []

    def factory(schedule: str, env: dict[str, str] | None = None) -> Schedulers:
        created.append(Schedulers(database_url, tmp_path, schedule, env))
        return created[-1]

    yield factory
    for group in created:
        group.kill_all()


def committed_runs(job: str) -> list[sa.Row]:
    """What the schedulers have committed, as plain rows: the read ends at once and nothing reloads later (on
    SQLite every transaction takes the write lock, and the schedulers need it)."""
    db.session.rollback()
    columns = (JobRun.runner, JobRun.fire_time, JobRun.status, JobRun.started_at)
    rows = list(db.session.execute(sa.select(*columns).where(JobRun.job == job).order_by(JobRun.fire_time)))
    db.session.rollback()
    return rows


def wait_for(condition: Callable[[], object], seconds: float, what: str, processes: list) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    outputs = "\n".join(process.output.read_text()[-2000:] for process in processes)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}\n{outputs}")


def pid_of(run: sa.Row) -> int:
    return int(run.runner.split(":")[1])  # runner = host:pid:random


def test_two_schedulers_one_leader_each_slot_once_and_the_standby_takes_over(schedulers, backend):
    group = schedulers("tests.scheduler_jobs:SCHEDULE")
    group.start()
    group.start()
    def four_ticks() -> list[sa.Row] | None:
        runs = committed_runs("tick")
        return runs if len(runs) >= 4 else None

    ticks = wait_for(four_ticks, 30, "four ticks", group.processes)
    leaders = {pid_of(run) for run in ticks}
    assert len(leaders) == 1, f"two leaders ran jobs: {leaders}"
    leader = group.by_pid(leaders.pop())
    standby = next(process for process in group.processes if process is not leader)
    assert "standby" in standby.output.read_text()

    killed_at = clock.now()
    leader.send_signal(signal.SIGKILL)
    leader.wait(10)

    def new_leader_runs() -> list[sa.Row]:
        return [run for run in committed_runs("tick") if pid_of(run) == standby.pid]

    wait_for(lambda: len(new_leader_runs()) >= 3, TAKEOVER_BOUND + 5, "three runs by the new leader",
             group.processes)
    first = new_leader_runs()[0]
    takeover = (first.started_at - killed_at).total_seconds()

    standby.send_signal(signal.SIGTERM)  # a clean stop: exit 0, leadership released
    assert standby.wait(15) == 0, standby.output.read_text()[-2000:]

    runs = committed_runs("tick")
    executions = group.executions()
    old = [run for run in runs if pid_of(run) == leader.pid]
    new = [run for run in runs if pid_of(run) == standby.pid]
    print(f"\n[{backend}] runs: {len(old)} by the first leader, {len(new)} by the second; "
          f"takeover {takeover:.1f} s after SIGKILL; duplicate executions: "
          f"{sum(count - 1 for count in executions.values())}")
    assert takeover < TAKEOVER_BOUND
    assert len(old) + len(new) == len(runs)  # nobody else ran anything
    assert max(run.fire_time for run in old) < min(run.fire_time for run in new)  # never both at once
    assert set(executions.values()) == {1}, [key for key, count in executions.items() if count > 1]
    # Every finished run executed exactly once; only the run cut by SIGKILL may be left "running".
    done = {("tick", run.fire_time.isoformat()) for run in runs if run.status == "done"}
    executed = {(job, datetime.fromisoformat(fire).astimezone(UTC).isoformat()) for job, fire in executions}
    assert done <= executed
    assert len([run for run in runs if run.status != "done"]) <= 1
    observer = leadership_for(db.engine, LEASE_SECONDS)
    try:
        assert observer.leader() is None
    finally:
        observer.release()


def test_two_schedulers_send_each_email_once_and_the_standby_takes_over_the_mail(schedulers, backend,
                                                                               smtp_server):
    """The acceptance test of issue 5 with the real jobs: two `flask scheduler run` processes sweep reminders and
    dispatch e-mail to a real SMTP server. One leads; it is killed (SIGKILL) once its e-mails are out; reminders
    due afterwards are sent by the standby. The server accepts every e-mail exactly once."""
    now = datetime.now(UTC)
    due = local_date(now) + timedelta(days=2)  # "due soon" today and tomorrow: a date change adds no step
    office, agency = make_agency("سازمان برنامه", kind="private"), make_agency("اداره کل راه")
    supervisor = make_user("supervisor", office, name="ناظر")
    officers = [make_user("officer", agency, name=f"کارشناس {n}") for n in (1, 2)]
    plan = make_plan(supervisor, title="برنامهٔ استان")

    def add_tasks(names: range) -> None:
        db.session.add_all(Task(plan_id=plan.id, stage=plan.stage, kind=TaskKind.OTHER, title=f"کار {n}",
                                agency_id=agency.id, due_on=due, created_at=now) for n in names)
        db.session.commit()

    def all_sent(expected: int) -> bool:
        db.session.rollback()
        statuses = list(db.session.scalars(sa.select(OutboxMessage.status)))
        db.session.rollback()
        return len(statuses) == expected and set(statuses) == {MailStatus.SENT} and len(smtp_server.received) >= \
            expected

    add_tasks(range(3))
    group = schedulers("tests.scheduler_jobs:MAIL", smtp_server.config())
    group.start()
    group.start()
    wait_for(lambda: all_sent(3 * len(officers)), 40, "the first reminders sent", group.processes)
    runs = committed_runs("reminder_sweep") + committed_runs("dispatch_outbox")
    leaders = {pid_of(run) for run in runs}
    assert len(leaders) == 1, f"two leaders ran jobs: {leaders}"
    leader = group.by_pid(leaders.pop())
    standby = next(process for process in group.processes if process is not leader)
    leader.send_signal(signal.SIGKILL)
    leader.wait(10)

    add_tasks(range(3, 6))
    wait_for(lambda: all_sent(6 * len(officers)), TAKEOVER_BOUND + 20, "the standby sending the later reminders",
             group.processes)
    time.sleep(2)  # time for a duplicate, were one coming
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(15) == 0, standby.output.read_text()[-2000:]

    counts = smtp_server.message_id_counts()
    recipients = Counter(rcpt for item in smtp_server.received for rcpt in item.rcpt_tos)
    runs = committed_runs("reminder_sweep") + committed_runs("dispatch_outbox")
    old = [run for run in runs if pid_of(run) == leader.pid]
    new = [run for run in runs if pid_of(run) == standby.pid]
    print(f"\n[{backend}] e-mails accepted: {len(smtp_server.received)}, distinct: {len(counts)}; "
          f"runs: {len(old)} by the first leader, {len(new)} by the standby")
    assert len(counts) == 6 * len(officers) and set(counts.values()) == {1}
    assert recipients == {officer.email: 6 for officer in officers}
    assert len(old) + len(new) == len(runs) and new
    assert max(run.fire_time for run in old) < min(run.fire_time for run in new)
    db.session.rollback()


def restart_after_downtime(schedulers, schedule: str, job: str) -> Schedulers:
    """Start one scheduler on `schedule`, wait for `job`'s catch-up run (and a little longer, for any wrong second
    one), then stop it cleanly."""
    group = schedulers(schedule)
    group.start()
    wait_for(lambda: committed_runs(job), 30, f"the catch-up run of {job}", group.processes)
    time.sleep(1.5)
    group.processes[0].send_signal(signal.SIGTERM)
    assert group.processes[0].wait(15) == 0
    return group


def test_after_days_without_a_scheduler_a_missed_job_runs_once(schedulers, scheduler_db, backend):
    """W6 at the scheduler's level: coalesce. An hourly job last scheduled three days ago has 72 missed slots."""
    now = datetime.now(UTC)
    long_ago = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
    db.session.commit()
    store_job("hourly", {"hours": 1}, long_ago)  # what a scheduler stopped three days ago leaves in its store

    group = restart_after_downtime(schedulers, "tests.scheduler_jobs:HOURLY", "hourly")

    runs = committed_runs("hourly")
    latest_slots = {moment.replace(minute=0, second=0, microsecond=0) for moment in (now, datetime.now(UTC))}
    print(f"\n[{backend}] 72 slots missed; runs after restart: {len(runs)}; executions: "
          f"{sum(group.executions().values())}")
    assert len(runs) == 1 and runs[0].status == "done"
    assert runs[0].fire_time in latest_slots
    assert sum(group.executions().values()) == 1
    db.session.rollback()
    next_run = db.session.scalar(sa.select(JOBS.c.next_run_time).where(JOBS.c.id == "hourly"))
    db.session.rollback()
    assert next_run > time.time()  # back on schedule


def test_after_three_days_down_the_restarted_scheduler_sends_each_missed_reminder_once(
        schedulers, scheduler_db, backend, smtp_app, smtp_server):
    """W6 end to end: the real reminder sweep, last run three days ago, in a real `flask scheduler run`. On
    restart it runs once and every task that needed a reminder meanwhile gets exactly one, for the step it is at
    now; the SMTP server receives each e-mail once."""
    now = datetime.now(UTC)
    today = local_date(now)
    office, agency = make_agency("سازمان برنامه", kind="private"), make_agency("اداره کل راه")
    supervisor = make_user("supervisor", office, name="ناظر")
    officers = [make_user("officer", agency, name=f"کارشناس {n}") for n in (1, 2)]
    plan = make_plan(supervisor, title="برنامهٔ استان")
    due = {"soon": today + timedelta(days=1), "today": today, "late": today - timedelta(days=2),
           "very late": today - timedelta(days=6)}
    tasks = {name: Task(plan_id=plan.id, stage=plan.stage, kind=TaskKind.OTHER, title=f"کار {name}",
                        agency_id=agency.id, due_on=day, created_at=now - timedelta(days=10))
             for name, day in due.items()}
    db.session.add_all(tasks.values())
    db.session.flush()
    # Three days ago the sweep last ran: "late" (then due in a day) got its due-soon reminder.
    db.session.add(TaskReminder(task_id=tasks["late"].id, step="due_soon", due_on=due["late"],
                                created_at=now - timedelta(days=3)))
    db.session.commit()
    store_job("reminder_sweep", {"minutes": 15}, now - timedelta(days=3))

    restart_after_downtime(schedulers, "tests.scheduler_jobs:REMINDERS", "reminder_sweep")
    assert len(committed_runs("reminder_sweep")) == 1

    db.session.rollback()
    steps = {(task_id, step) for task_id, step in db.session.execute(
        sa.select(TaskReminder.task_id, TaskReminder.step))}
    ids = {name: task.id for name, task in tasks.items()}
    assert steps == {(ids["soon"], "due_soon"), (ids["today"], "due_today"), (ids["late"], "due_soon"),
                     (ids["late"], "overdue:0"), (ids["very late"], "overdue:1"), (ids["very late"], "escalation")}
    dispatch_due(now + timedelta(minutes=1))
    counts = smtp_server.message_id_counts()
    assert set(counts.values()) == {1} and len(counts) == 4 * len(officers) + 1  # 4 reminders each, 1 escalation
    db.session.rollback()


def invoke(app, *args: str):
    """Run a CLI command as `flask …` does: its own application context and session."""
    db.session.commit()
    result = contextvars.Context().run(lambda: _invoke(app, args))
    db.session.expire_all()
    return result


def _invoke(app, args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_operators_run_a_job_now_and_see_the_status(scheduler_db, monkeypatch, tmp_path):
    monkeypatch.setenv("PLANAPP_SCHEDULE", "tests.scheduler_jobs:SCHEDULE")
    monkeypatch.setenv("SCHEDULER_TEST_LOG", str(tmp_path / "log"))
    first = invoke(scheduler_db, "scheduler", "run-job", "tick")
    assert first.exit_code == 0 and first.output.startswith("tick: done tick "), first.output
    again = invoke(scheduler_db, "scheduler", "run-job", "tick")
    assert "already run for this minute" in again.output or again.output.startswith("tick: done")  # minute edge
    unknown = invoke(scheduler_db, "scheduler", "run-job", "nope")
    assert unknown.exit_code != 0 and "the jobs are: tick" in unknown.output

    status = invoke(scheduler_db, "scheduler", "status")
    assert status.exit_code == 0, status.output
    assert "leader: none" in status.output
    assert any(line.startswith("tick ") and " done " in line for line in status.output.splitlines())

    monkeypatch.setenv("PLANAPP_SCHEDULE", "tests.scheduler_jobs:MISSING")
    failed = invoke(scheduler_db, "scheduler", "run-job", "missing")
    assert failed.exit_code == 1 and "failed ModuleNotFoundError" in failed.output


def test_creating_the_app_and_serving_requests_starts_no_scheduler(make_app, scheduler_db, backend):
    """W5's first half: what a gunicorn worker or the reloader does (create the app, serve) takes no leadership,
    starts no APScheduler thread, stores no job and runs none."""
    before = set(threading.enumerate())
    app = make_app()
    client = app.test_client()
    assert client.get("/healthz").status_code == 200 and client.get("/login").status_code == 200
    assert runner._app is None
    assert [thread.name for thread in set(threading.enumerate()) - before] == []
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JOBS)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0
    db.session.rollback()  # SQLite: every transaction takes the write lock, and the observer needs it
    observer = leadership_for(db.engine, LEASE_SECONDS)
    try:
        assert observer.leader() is None  # no lease row (SQLite), no advisory lock held (PostgreSQL)
    finally:
        observer.release()
