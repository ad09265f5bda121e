"""The scheduler process (`flask scheduler run`): standby until it leads, then APScheduler until it stops leading.

Never started by create_app: a scheduler inside the web app runs once per gunicorn worker and twice under the
reloader, and schedulers sharing a job store run jobs twice (APScheduler's FAQ). One process leads (leader.py);
any other is a standby that takes over when the leader dies.

Lost leadership (a failed renewal: the database went away, or the lease was taken after a stall) shuts APScheduler
down and the process goes back to standby rather than exiting: it needs no supervisor to come back, and while
it waits another process may lead. SIGTERM and SIGINT stop it cleanly: running jobs finish, leadership is released.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.util import utc_timestamp_to_datetime
from flask import Flask, current_app, has_app_context

from planapp.core import clock
from planapp.extensions import db
from planapp.scheduler.jobs import TEHRAN, Job, find_job, load_schedule
from planapp.scheduler.leader import Leadership, leadership_for, process_id
from planapp.scheduler.runs import run_once

log = logging.getLogger(__name__)

JOB_TABLE = "scheduler_jobs"  # created by migration 0006
# A slot missed while no scheduler ran is still run (once: coalesce) when one starts within this time.
MISFIRE_GRACE = timedelta(days=2)
JOB_CALLABLE = "planapp.scheduler.runner:run_job"  # textual: the job store pickles a reference, not a function
STANDBY_LOG_EVERY = 300  # seconds between "still standby" lines

# The application of this process, for run_job (APScheduler calls it from its thread pool without one).
_app: Flask | None = None
_runner_id: str | None = None


def run_job(name: str, fire_time: datetime | None = None) -> bool:
    """What APScheduler calls for every job: the declared function, once per (job, fire_time), in an app context.

    `fire_time` is the slot's scheduled time, added by FireTimeExecutor; without it (an operator's manual run) the
    current minute stands in.
    """
    app = _app or (current_app._get_current_object() if has_app_context() else None)  # type: ignore[attr-defined]
    if app is None:
        raise RuntimeError("run_job needs the scheduler's application (planapp.scheduler.runner.serve sets it)")
    with app.app_context():
        job = find_job(app.config, name)
        fire_time = fire_time or clock.now().replace(second=0, microsecond=0)
        return run_once(name, fire_time, lambda: job.load()(clock.now()), runner=runner_id())


class _FiredJob:
    """A job as run_job sees it for one firing: the stored job, its fire time added to the call's keywords."""

    def __init__(self, job: Any, fire_time: datetime) -> None:
        self._job = job
        self.kwargs = {**job.kwargs, "fire_time": fire_time}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


class FireTimeExecutor(ThreadPoolExecutor):
    """A thread pool that tells the job which slot it runs for.

    APScheduler 3 does not pass the scheduled time to the callable (agronholm/apscheduler#297, never in 3.x), and
    the alternatives are not reliable: EVENT_JOB_SUBMITTED is dispatched only after every due job has been handed to
    the pool (the job may already be running), `job.next_run_time` is advanced concurrently, and rounding `now`
    down at call time gives the next slot when a run starts late. The executor receives the exact run times from
    the scheduler (computed from the trigger, so identical in every process), and this is the one place to hand
    them on. With coalesce=True there is one run time per submission; were there several, the latest stands for
    them all, as coalescing would have it (the jobs are pollers).
    """

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        super()._do_submit_job(_FiredJob(job, run_times[-1]), run_times[-1:])


def build_scheduler() -> tuple[BlockingScheduler, SQLAlchemyJobStore]:
    """APScheduler as PlanApp runs it (inside an app context: the job store uses db.engine)."""
    store = SQLAlchemyJobStore(engine=db.engine, tablename=JOB_TABLE)
    scheduler = BlockingScheduler(
        jobstores={"default": store},
        executors={"default": FireTimeExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(MISFIRE_GRACE.total_seconds())},
        timezone=ZoneInfo(TEHRAN),
    )
    return scheduler, store


def add_schedule(scheduler: BlockingScheduler, store: SQLAlchemyJobStore, schedule: tuple[Job, ...],
                 config: Any) -> None:
    """Put the declared jobs in the store, keeping what the store knows about missed runs.

    replace_existing=True picks up changed triggers, but alone it would also recompute next_run_time from now and
    so forget a run missed while no scheduler ran. A stored next_run_time in the past is therefore kept: APScheduler
    then sees the missed slots and, coalescing, runs the job once for the latest of them. Jobs no longer declared
    are removed.
    """
    now = datetime.now(UTC)
    table = store.jobs_t
    with store.engine.begin() as connection:
        stored = dict(connection.execute(sa.select(table.c.id, table.c.next_run_time)).all())
        gone = set(stored) - {job.name for job in schedule}
        if gone:
            connection.execute(table.delete().where(table.c.id.in_(gone)))
    for job in schedule:
        options: dict[str, Any] = {}
        missed = stored.get(job.name)
        if job.run_on_start:
            options["next_run_time"] = now
        elif missed is not None and missed <= now.timestamp():
            options["next_run_time"] = utc_timestamp_to_datetime(missed).astimezone(scheduler.timezone)
        scheduler.add_job(JOB_CALLABLE, job.trigger, args=[job.name], id=job.name, name=job.name,
                          replace_existing=True, **options, **job.trigger_kwargs(config))


class SchedulerProcess:
    """Standby ⇄ leader, until told to stop."""

    def __init__(self, app: Flask, leadership: Leadership | None = None) -> None:
        self.app = app
        lease_seconds = int(app.config.get("SCHEDULER_LEASE_SECONDS", 30))
        self.leadership = leadership or leadership_for(db.engine, lease_seconds)
        self.period = max(lease_seconds / 3, 0.5)  # renew (leader) and poll (standby) this often
        self.stopping = False
        self.lost = False
        self.losses = 0  # times leadership was lost while leading

    def request_stop(self, *_: Any) -> None:
        # A signal handler: only set a flag (taking a lock here could deadlock); the loops look at it.
        self.stopping = True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))

    def run(self) -> None:
        with self.app.app_context():  # db.engine for the job store; jobs get contexts of their own
            self._run()

    def _run(self) -> None:
        last_standby_log = -float("inf")
        try:
            while not self.stopping:
                try:
                    leading = self.leadership.acquire()
                except sa.exc.SQLAlchemyError as error:
                    log.warning("scheduler: cannot reach the database: %s", str(error).splitlines()[0])
                    leading = False
                if leading:
                    self.lead()
                    last_standby_log = -float("inf")
                    continue
                if time.monotonic() - last_standby_log >= STANDBY_LOG_EVERY:
                    log.info("scheduler %s: standby (leader: %s)", self.leadership.holder, self._leader())
                    last_standby_log = time.monotonic()
                self._sleep(self.period)
        finally:
            self.leadership.release()
            log.info("scheduler %s: stopped", self.leadership.holder)

    def _leader(self) -> str:
        try:
            return self.leadership.leader() or "none"
        except sa.exc.SQLAlchemyError:
            return "unknown"

    def lead(self) -> None:
        log.info("scheduler %s: leader", self.leadership.holder)
        self.lost = False
        scheduler, store = build_scheduler()
        done = threading.Event()
        keeper = threading.Thread(target=self._keep, args=(scheduler, done), name="scheduler-leadership",
                                  daemon=True)
        try:
            add_schedule(scheduler, store, load_schedule(self.app.config), self.app.config)
            keeper.start()
            scheduler.start()  # blocks until the keeper shuts it down
        except Exception:
            log.exception("scheduler %s: failed while leading; stepping down", self.leadership.holder)
            self.leadership.release()
            self._sleep(self.period)
        finally:
            done.set()
            if keeper.is_alive():
                keeper.join()
            if scheduler.running:
                scheduler.shutdown(wait=True)
        if self.lost:
            self.losses += 1
            log.warning("scheduler %s: leadership lost; back to standby", self.leadership.holder)

    def _keep(self, scheduler: BlockingScheduler, done: threading.Event) -> None:
        """Renew leadership every period; shut APScheduler down when it is lost or a stop is asked for."""
        next_renewal = time.monotonic() + self.period
        while not done.wait(0.2):
            if not scheduler.running:
                continue
            if not self.stopping:
                if time.monotonic() < next_renewal:
                    continue
                if self.leadership.renew():
                    next_renewal = time.monotonic() + self.period
                    continue
                self.lost = True
            scheduler.shutdown(wait=True)  # running jobs finish and record their status
            return


def serve(app: Flask) -> None:
    """Run the scheduler process in the calling (main) thread until SIGTERM/SIGINT."""
    global _app, _runner_id
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_schedule(app.config)  # a broken PLANAPP_SCHEDULE stops the process here, not at every takeover
    process = SchedulerProcess(app)
    _app, _runner_id = app, process.leadership.holder
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, process.request_stop)
    process.run()


def runner_id() -> str:
    return _runner_id or f"{process_id()}:cli"
