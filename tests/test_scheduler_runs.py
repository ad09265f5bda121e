"""RELIABILITY W5 (the guard): each (job, fire_time) runs once, whoever fires it and however often."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from planapp.core import clock
from planapp.extensions import db
from planapp.scheduler.jobs import SCHEDULE, Job, Setting, find_job, load_schedule
from planapp.scheduler.models import JobRun
from planapp.scheduler.runs import current_run, delete_old_runs, last_runs, run_once

FIRE = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def runs(job: str = "job") -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(JobRun).where(JobRun.job == job).order_by(JobRun.fire_time)))


def test_the_same_fire_time_runs_once_and_the_next_one_runs_again(ctx):
    calls: list[tuple[str, datetime] | None] = []

    def work() -> str:
        calls.append(current_run())
        return "3 sent"

    assert run_once("job", FIRE, work) is True
    assert run_once("job", FIRE, work) is False
    assert run_once("job", FIRE + timedelta(seconds=30), work) is True
    assert run_once("other", FIRE, work) is True  # the key is (job, fire_time)
    assert calls == [("job", FIRE), ("job", FIRE + timedelta(seconds=30)), ("other", FIRE)]
    assert current_run() is None
    first = runs()[0]
    assert (first.status, first.summary, first.fire_time) == ("done", "3 sent", FIRE)
    assert first.finished_at is not None and first.finished_at >= first.started_at


def test_eight_threads_firing_one_slot_run_it_once(ctx):
    db.session.commit()  # the test's own session holds nothing while the threads write
    calls, results, errors = [], [], []
    start = threading.Barrier(8)

    def fire() -> None:
        with ctx.app_context():
            start.wait()
            try:
                results.append(run_once("job", FIRE, lambda: calls.append(1) or "ran"))
            except BaseException as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert len(calls) == 1
    assert [run.status for run in runs()] == ["done"]


def test_a_failing_job_is_recorded_failed_on_one_line_and_not_rerun(ctx, caplog):
    def broken() -> str:
        db.session.add(JobRun(job="half-done", fire_time=FIRE, started_at=FIRE))  # rolled back with the failure
        raise RuntimeError("SMTP down\r\nforged: log line")

    assert run_once("job", FIRE, broken) is True
    assert run_once("job", FIRE, lambda: "would succeed now") is False
    [run] = runs()
    assert run.status == "failed"
    assert run.summary == "RuntimeError: SMTP down forged: log line"
    assert runs("half-done") == []
    assert any("SMTP down forged" in record.getMessage() for record in caplog.records)
    assert not any("\n" in record.getMessage() for record in caplog.records)


def test_summaries_are_bounded(ctx):
    run_once("job", FIRE, lambda: "x" * 2000)
    assert len(runs()[0].summary) == 500


def test_old_runs_are_deleted_and_the_latest_run_of_each_job_is_found(ctx):
    for days in (40, 35, 1):
        run_once("job", FIRE - timedelta(days=days), lambda: "ok")
    run_once("other", FIRE, lambda: "ok")
    assert delete_old_runs(FIRE - timedelta(days=30)) == 2
    db.session.commit()
    assert [run.fire_time for run in runs()] == [FIRE - timedelta(days=1)]
    latest = last_runs()
    assert {name: run.fire_time for name, run in latest.items()} == {"job": FIRE - timedelta(days=1), "other": FIRE}


def test_run_job_uses_the_clock_and_records_an_import_failure(ctx, monkeypatch):
    """A job whose module does not exist fails loudly when it runs, and only then."""
    from planapp.scheduler import runner

    monkeypatch.setenv("PLANAPP_SCHEDULE", "tests.scheduler_jobs:MISSING")
    clock.freeze(FIRE + timedelta(seconds=42))
    db.session.commit()
    assert runner.run_job("missing") is True
    assert runner.run_job("missing") is False  # same minute
    [run] = runs("missing")
    assert run.fire_time == FIRE and run.status == "failed"
    assert "ModuleNotFoundError" in run.summary and "planapp.no_such_module" in run.summary


def test_the_schedule_is_data_and_can_be_replaced(app, monkeypatch):
    monkeypatch.delenv("PLANAPP_SCHEDULE", raising=False)
    assert load_schedule({}) == SCHEDULE
    assert [job.name for job in SCHEDULE] == ["dispatch_outbox", "reminder_sweep", "monitoring_rounds",
                                               "daily_digest", "clean_up", "indicator_imports"]
    digest = find_job({}, "daily_digest")
    assert digest.trigger_kwargs({"DIGEST_HOUR": 9}) == {"hour": 9, "minute": 0, "timezone": "Asia/Tehran"}
    assert find_job({}, "monitoring_rounds").run_on_start
    assert load_schedule({"SCHEDULER_SCHEDULE": "tests.scheduler_jobs:SCHEDULE"})[0].name == "tick"
    monkeypatch.setenv("PLANAPP_SCHEDULE", "tests.scheduler_jobs:HOURLY")
    assert load_schedule({})[0].name == "hourly"
    with pytest.raises(KeyError):
        find_job({}, "nope")
    with pytest.raises(RuntimeError):
        twice = (Job("a", "cron", {"hour": Setting("X")}, "m:f"),) * 2
        monkeypatch.setattr("tests.scheduler_jobs.HOURLY", twice)
        load_schedule({})
