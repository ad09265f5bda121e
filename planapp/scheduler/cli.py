"""`flask scheduler run | status | run-job NAME`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from apscheduler.util import utc_timestamp_to_datetime
from flask import current_app
from flask.cli import AppGroup

from planapp.core import clock
from planapp.extensions import db
from planapp.scheduler import runner
from planapp.scheduler.jobs import TEHRAN, load_schedule
from planapp.scheduler.leader import LeaseLeadership, current_lock_holder
from planapp.scheduler.runs import last_runs

scheduler_cli = AppGroup("scheduler", help="The job scheduler (its own process; one leader per database).")


def _tehran(moment: datetime | None) -> str:
    return moment.astimezone(ZoneInfo(TEHRAN)).isoformat(sep=" ", timespec="seconds") if moment else "-"


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler: standby until this process leads, then run the jobs. SIGTERM/SIGINT stop it."""
    runner.serve(current_app._get_current_object())  # type: ignore[attr-defined]


@scheduler_cli.command("status")
def status_command() -> None:
    """Who leads, each job's next run and its last run."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            holder = current_lock_holder(connection)
        click.echo(f"leader: {holder or 'none'} (PostgreSQL advisory lock)")
    else:
        lease = LeaseLeadership(db.engine, 0).current()
        if lease is None:
            click.echo("leader: none (no scheduler has run)")
        elif lease[1] > clock.now():
            click.echo(f"leader: {lease[0]} (lease until {_tehran(lease[1])})")
        else:
            click.echo(f"leader: none (the last, {lease[0]}, lost or released its lease at {_tehran(lease[1])})")

    table = sa.table(runner.JOB_TABLE, sa.column("id"), sa.column("next_run_time"))
    next_times = dict(db.session.execute(sa.select(table.c.id, table.c.next_run_time)).all())
    runs = last_runs()
    click.echo(f"{'job':<20} {'next run (Tehran)':<26} {'last fire time (Tehran)':<26} {'status':<8} summary")
    for job in load_schedule(current_app.config):
        next_time = utc_timestamp_to_datetime(next_times.get(job.name))
        last = runs.get(job.name)
        click.echo(f"{job.name:<20} {_tehran(next_time):<26}"
                   f" {_tehran(last.fire_time if last else None):<26} {last.status if last else '-':<8}"
                   f" {last.summary if last else ''}")


@scheduler_cli.command("run-job")
@click.argument("name")
def run_job_command(name: str) -> None:
    """Run one job now (the current minute is its fire time, so a repeat within the minute does nothing)."""
    names = [job.name for job in load_schedule(current_app.config)]
    if name not in names:
        raise click.ClickException(f"no job {name!r}; the jobs are: {', '.join(names)}")
    if not runner.run_job(name):
        click.echo(f"{name}: already run for this minute")
        return
    run = last_runs()[name]
    click.echo(f"{name}: {run.status} {run.summary}".rstrip())
    if run.status != "done":
        raise SystemExit(1)
