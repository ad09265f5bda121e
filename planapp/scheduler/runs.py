"""Each (job, fire_time) runs once, whoever fires it: the unique row in job_runs is the claim.

APScheduler is at most once per fire time and a single leader is the rule, but a leader that stalls past its lease,
an operator's `flask scheduler run-job` or a new leader catching up can all fire a slot that already ran. The
insert of JobRun(job, fire_time) commits before the work starts; whoever loses the unique constraint does nothing.
A run whose process dies mid-way stays "running" and is not retried for that fire time (the next slot's poll
picks up what is still due: the jobs work from database state).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from planapp.core import clock
from planapp.extensions import db
from planapp.scheduler.models import JobRun

log = logging.getLogger(__name__)

SUMMARY_LENGTH = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_current: ContextVar[tuple[str, datetime] | None] = ContextVar("planapp_job_run", default=None)


def one_line(text: str, length: int = SUMMARY_LENGTH) -> str:
    """Text safe for a log line or a status column: no CR/LF or other control characters, bounded length."""
    return _CONTROL.sub(" ", text).strip()[:length]


def current_run() -> tuple[str, datetime] | None:
    """(job, fire_time) of the run in progress in this context: for jobs that want to log or key by it."""
    return _current.get()


def run_once(job: str, fire_time: datetime, fn: Callable[[], object], runner: str | None = None) -> bool:
    """Claim (job, fire_time) and run fn; False, without running it, if anyone already claimed it.

    Uses db.session, which must hold no pending work of the caller's (the runner gives every run a fresh
    application context). The claim commits alone; then fn runs, and its status ("done" with fn's return text,
    or "failed" with the error) commits with whatever fn left uncommitted. A failure is recorded and logged, not
    raised: the run happened, and is not repeated for this fire time.
    """
    run = JobRun(job=job, fire_time=fire_time, runner=runner or f"{socket.gethostname()[:60]}:{os.getpid()}",
                 started_at=clock.now(), status="running", summary="")
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("job %s at %s: already run, skipped", job, fire_time.isoformat())
        return False

    token = _current.set((job, fire_time))
    try:
        result = fn()
    except Exception as error:
        db.session.rollback()  # the job's half-done work goes; the claim (committed) stays
        run.status, run.summary = "failed", one_line(f"{type(error).__name__}: {error}")
        log.exception("job %s at %s failed: %s", job, fire_time.isoformat(), run.summary)
    else:
        run.status, run.summary = "done", one_line("" if result is None else str(result))
        log.info("job %s at %s done: %s", job, fire_time.isoformat(), run.summary)
    finally:
        _current.reset(token)
    run.finished_at = clock.now()
    db.session.commit()
    return True


def delete_old_runs(before: datetime) -> int:
    """Delete the records of runs fired before `before`; returns how many. The caller commits (run_once does)."""
    return db.session.execute(sa.delete(JobRun).where(JobRun.fire_time < before)).rowcount


def last_runs() -> dict[str, JobRun]:
    """The latest run of every job that has run, by job name."""
    latest = (
        sa.select(JobRun.job, sa.func.max(JobRun.fire_time).label("fire_time")).group_by(JobRun.job).subquery()
    )
    rows = db.session.scalars(
        sa.select(JobRun).join(latest, sa.and_(JobRun.job == latest.c.job, JobRun.fire_time == latest.c.fire_time))
    )
    return {run.job: run for run in rows}
