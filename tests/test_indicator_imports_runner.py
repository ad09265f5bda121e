"""Who runs an indicator import, and what happens when a runner dies: two runners at once never both process one
import; the scheduler's job runs imports left queued (a restart) and fails the ones stuck for ten minutes,
deleting their staging rows; a runner whose import was taken from it stops without storing anything. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from planapp.core import clock
from planapp.extensions import db
from planapp.indicators import imports
from planapp.indicators.models import ImportStatus, IndicatorImport, IndicatorImportRow
from planapp.scheduler.jobs import find_job
from planapp.scheduler.runner import run_job
from planapp.scheduler.runs import JobRun
from tests.concurrency import run_at_once
from tests.indicator_import_helpers import GOOD, NOW, csv_bytes, import_world, queue, reloaded, staged, values

w = import_world


def test_two_runners_at_once_never_both_process_one_import(w, ctx):
    for _attempt in range(3):
        import_id = queue(w.officer, csv_bytes(GOOD))
        outcomes, errors = run_at_once(ctx, [lambda i=import_id: imports.run_import(i)] * 2)
        assert errors == []
        assert sorted(map(str, outcomes)) == ["None", "done"]
    uploads = list(db.session.scalars(sa.select(IndicatorImport).order_by(IndicatorImport.id)))
    assert [(u.inserted, u.unchanged) for u in uploads] == [(3, 0), (0, 3), (0, 3)]


def test_the_scheduler_job_runs_imports_left_queued(w, ctx):
    job = find_job(ctx.config, "indicator_imports")
    assert job.target == "planapp.indicators.imports:run_pending" and job.trigger_args["seconds"] == 10
    first, second = queue(w.officer, csv_bytes(GOOD)), queue(w.sup, csv_bytes(GOOD))
    db.session.commit()
    assert run_job("indicator_imports", NOW) is True
    assert [reloaded(i).status for i in (first, second)] == [ImportStatus.DONE, ImportStatus.DONE]
    assert db.session.scalar(sa.select(JobRun.summary).where(JobRun.job == "indicator_imports")) == \
        "2 imports run, 0 stuck ones failed"
    assert imports.run_pending(NOW + timedelta(seconds=10)) == "0 imports run, 0 stuck ones failed"  # idempotent


def _stuck(w, status: ImportStatus, progress_at) -> int:
    import_id = queue(w.officer, csv_bytes(GOOD))
    db.session.execute(sa.update(IndicatorImport).where(IndicatorImport.id == import_id).values(
        status=status, progress_at=progress_at, started_at=progress_at))
    db.session.add(IndicatorImportRow(import_id=import_id, row=2, indicator_id=1, region_id=1, sector_id=1,
                                      year=1403, value=1.0))
    db.session.commit()
    return import_id


def test_imports_stuck_for_ten_minutes_are_failed_and_their_staging_rows_deleted(w):
    old = NOW - timedelta(minutes=11)
    dead = [_stuck(w, status, old) for status in (ImportStatus.VALIDATING, ImportStatus.STAGING,
                                                   ImportStatus.IMPORTING)]
    alive = _stuck(w, ImportStatus.STAGING, NOW - timedelta(minutes=2))
    assert imports.recover_stuck(NOW) == 3
    for import_id in dead:
        upload = reloaded(import_id)
        assert upload.status == ImportStatus.FAILED and upload.report == {"error": "stalled"}
    assert reloaded(alive).status == ImportStatus.STAGING
    assert staged() == 1  # the live import's row only
    assert imports.recover_stuck(NOW) == 0
    assert values() == {}


def test_a_runner_whose_import_was_failed_as_stuck_stops_and_stores_nothing(w, ctx):
    import_id = queue(w.officer, csv_bytes([[*row[:3], str(1400 + n), *row[4:]] for n, row in
                                            enumerate(GOOD * 30)]))

    def freeze_then_recover(status, done, total):
        if status == ImportStatus.STAGING and done > 0:  # the runner seems dead for 11 minutes…
            with ctx.app_context():
                assert imports.recover_stuck(clock.now() + timedelta(minutes=11)) == 1

    assert imports.run_import(import_id, step=20, observe=freeze_then_recover) == ImportStatus.FAILED
    upload = reloaded(import_id)
    assert upload.status == ImportStatus.FAILED and upload.report == {"error": "stalled"}
    assert values() == {} and staged() == 0
