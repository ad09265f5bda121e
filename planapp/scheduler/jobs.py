"""The schedule, declared as data: each job's name, APScheduler trigger, and the function that does the work.

Every function belongs to its domain, has the signature fn(now: datetime) -> str (a short summary for job_runs),
works from database state ("what is due and not yet done") and is idempotent (RELIABILITY decision 1). They are
named by dotted path and imported only when the job runs, so a domain module that is missing or broken fails its
own job, recorded and logged, and nothing else.

Interval jobs count their slots from a fixed origin, not from whenever a scheduler started: every process, and
every new leader after a takeover, then agrees on the fire times, which is what lets run_once recognise a slot
that already ran.

A whole other schedule (tests, trying things out) is named by the config key SCHEDULER_SCHEDULE or the
environment variable PLANAPP_SCHEDULE, as "package.module:ATTRIBUTE" holding a tuple of Job.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TEHRAN = "Asia/Tehran"
# The origin of interval slots: 30-second jobs fire at :00 and :30, quarter-hour jobs on the quarter hours.
SLOT_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Setting:
    """A trigger value taken from the application's config when the schedule is built (e.g. DIGEST_HOUR)."""

    key: str


@dataclass(frozen=True)
class Job:
    name: str
    trigger: str  # an APScheduler trigger alias: "interval" or "cron" ("date" for one-offs)
    trigger_args: Mapping[str, Any]
    target: str  # "package.module:function", fn(now: datetime) -> str
    run_on_start: bool = False  # also run as soon as a scheduler becomes leader
    description: str = field(default="", compare=False)

    def trigger_kwargs(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return {key: config[value.key] if isinstance(value, Setting) else value
                for key, value in self.trigger_args.items()}

    def load(self) -> Callable[[datetime], str]:
        """Import the function now (an ImportError here fails this run of this job only)."""
        return import_path(self.target)


def import_path(path: str) -> Any:
    """"package.module:attribute" → the attribute (errors name the module or attribute that is missing)."""
    module, _, attribute = path.partition(":")
    if not attribute:
        raise ValueError(f"{path!r}: expected 'package.module:attribute'")
    return getattr(importlib.import_module(module), attribute)


def every(**interval: int) -> dict[str, Any]:
    return {**interval, "start_date": SLOT_ORIGIN}


def daily(hour: int | Setting, minute: int) -> dict[str, Any]:
    return {"hour": hour, "minute": minute, "timezone": TEHRAN}


SCHEDULE: tuple[Job, ...] = (
    Job("dispatch_outbox", "interval", every(seconds=30), "planapp.mail.dispatch:dispatch_due",
        description="send the queued e-mails that are due"),
    Job("reminder_sweep", "interval", every(minutes=15), "planapp.tasks.reminders:sweep",
        description="queue reminders and escalations for tasks due soon or overdue"),
    Job("monitoring_rounds", "cron", daily(0, 10), "planapp.monitoring.rounds:open_due_rounds", run_on_start=True,
        description="open the monitoring rounds whose period has begun"),
    Job("daily_digest", "cron", daily(Setting("DIGEST_HOUR"), 0), "planapp.mail.digest:send_digests",
        description="send each digest reader one e-mail of the day's notices"),
    Job("clean_up", "cron", daily(3, 30), "planapp.mail.cleanup:clean_up",
        description="delete old sent e-mails and job records (failed ones stay for admins)"),
    Job("indicator_imports", "interval", every(seconds=10), "planapp.indicators.imports:run_pending",
        description="run indicator imports left queued, fail the stuck ones"),
)


def load_schedule(config: Mapping[str, Any]) -> tuple[Job, ...]:
    """The schedule in force: SCHEDULE unless SCHEDULER_SCHEDULE / PLANAPP_SCHEDULE names another."""
    path = config.get("SCHEDULER_SCHEDULE") or os.environ.get("PLANAPP_SCHEDULE")
    schedule = tuple(import_path(path)) if path else SCHEDULE
    names = [job.name for job in schedule]
    if not all(isinstance(job, Job) for job in schedule) or len(set(names)) != len(names):
        raise RuntimeError(f"{path}: a schedule is a tuple of Job with distinct names")
    return schedule


def find_job(config: Mapping[str, Any], name: str) -> Job:
    for job in load_schedule(config):
        if job.name == name:
            return job
    raise KeyError(name)
