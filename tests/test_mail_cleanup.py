"""The daily clean-up (issue 5): sent and digested e-mails and job runs older than MAIL_KEEP_DAYS go; failed
(dead) e-mails stay for admins, and nothing recent is touched. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from planapp.extensions import db
from planapp.mail.cleanup import clean_up
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.scheduler.models import JobRun

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def message(key: str, status: MailStatus, age_days: int) -> None:
    created = NOW - timedelta(days=age_days)
    db.session.add(OutboxMessage(key=key, kind="task.assigned", to_addr="a@example.ir", subject="s", text_body="t",
                                 status=status, next_attempt_at=created, created_at=created))


def test_old_sent_messages_and_runs_go_dead_and_recent_ones_stay(ctx):
    ctx.config["MAIL_KEEP_DAYS"] = "90"
    message("old-sent", MailStatus.SENT, 120)
    message("old-digested", MailStatus.DIGESTED, 91)
    message("old-dead", MailStatus.DEAD, 400)
    message("old-queued", MailStatus.QUEUED, 200)  # never sent: must not vanish
    message("recent-sent", MailStatus.SENT, 89)
    for name, age in (("old", 100), ("recent", 1)):
        db.session.add(JobRun(job=f"clean_up-{name}", fire_time=NOW - timedelta(days=age),
                              started_at=NOW - timedelta(days=age), status="done"))
    db.session.commit()

    summary = clean_up(NOW)

    assert summary.startswith("2 old messages and 1 old job runs")
    assert sorted(db.session.scalars(sa.select(OutboxMessage.key))) == ["old-dead", "old-queued", "recent-sent"]
    assert list(db.session.scalars(sa.select(JobRun.job))) == ["clean_up-recent"]
    assert clean_up(NOW).startswith("0 old messages and 0 old job runs")
