from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from planapp.extensions import db

# APScheduler's job store table (SQLAlchemyJobStore, tablename="scheduler_jobs"), described here as APScheduler
# 3.11 defines it, so that migrations own it and the schema check sees it; APScheduler uses its own copy.
scheduler_jobs = sa.Table(
    "scheduler_jobs",
    db.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)


class JobRun(db.Model):
    """One run of a scheduled job. The unique (job, fire_time) is what makes a run happen once, whoever fires it."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "fire_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(100))
    fire_time: Mapped[datetime]
    runner: Mapped[str] = mapped_column(sa.String(100), default="")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="running")  # running | done | failed
    summary: Mapped[str] = mapped_column(sa.String(500), default="")


class SchedulerLease(db.Model):
    """The leader's lease where the database has no advisory locks (SQLite): renewed while the leader lives."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(100))
    expires_at: Mapped[datetime]
