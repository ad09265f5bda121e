"""Fast schedules for the scheduler tests (PLANAPP_SCHEDULE=tests.scheduler_jobs:SCHEDULE).

The job writes one line per execution to the file named by SCHEDULER_TEST_LOG: "job fire_time pid". Counting
lines by (job, fire_time) counts real executions, independently of the job_runs rows that are meant to prevent
duplicates.
"""

from __future__ import annotations

import os
from datetime import datetime

from apscheduler.job import Job as StoredJob
from apscheduler.triggers.interval import IntervalTrigger

from planapp.scheduler import runner
from planapp.scheduler.jobs import Job, every
from planapp.scheduler.runs import current_run


def tick(now: datetime) -> str:
    job, fire_time = current_run() or ("?", now)
    line = f"{job} {fire_time.isoformat()} {os.getpid()}\n"
    path = os.environ.get("SCHEDULER_TEST_LOG")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # one write(2) per line: no tearing
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    return f"tick {fire_time.isoformat()}"


def broken(now: datetime) -> str:
    raise RuntimeError("broken on purpose\r\nforged: log line")


SCHEDULE = (Job("tick", "interval", every(seconds=1), "tests.scheduler_jobs:tick"),)
# An hourly job: after days of downtime there are dozens of missed slots to (not) replay.
HOURLY = (Job("hourly", "interval", every(hours=1), "tests.scheduler_jobs:tick"),)
MISSING = (Job("missing", "interval", every(seconds=30), "planapp.no_such_module:run"),)


def store_job(name: str, interval: dict[str, int], next_run_time: datetime) -> None:
    """Write an interval job into APScheduler's job store as a scheduler would (in an app context)."""
    scheduler, store = runner.build_scheduler()  # never started: it lends the job its time zone
    store.add_job(StoredJob(
        scheduler, id=name, name=name, func=runner.JOB_CALLABLE, args=[name], kwargs={},
        trigger=IntervalTrigger(**every(**interval)), executor="default",
        misfire_grace_time=int(runner.MISFIRE_GRACE.total_seconds()), coalesce=True, max_instances=1,
        next_run_time=next_run_time,
    ))
# The real reminder sweep on the real quarter-hour slots: restart tests (W6) store it days in the past.
REMINDERS = (Job("reminder_sweep", "interval", every(minutes=15), "planapp.tasks.reminders:sweep"),)
# The real reminder sweep and dispatcher on fast slots: two schedulers sending real e-mail (W5 with E1).
MAIL = (Job("reminder_sweep", "interval", every(seconds=2), "planapp.tasks.reminders:sweep"),
        Job("dispatch_outbox", "interval", every(seconds=1), "planapp.mail.dispatch:dispatch_due"))
