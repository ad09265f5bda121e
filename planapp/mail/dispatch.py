"""The dispatcher: claims due messages, sends them over one SMTP connection, commits each result at once.

Claiming is a compare-and-swap (status and lease in the WHERE clause; on PostgreSQL rows another dispatcher is
claiming are skipped, not waited for), so two dispatchers never hold the same message; a dispatcher that dies
mid-batch leaves leases that expire, and the messages go out on a later run. No database transaction stays open
while the SMTP server is talked to (on SQLite that would hold the write lock for the whole conversation).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from time import monotonic

import sqlalchemy as sa
from flask import current_app

from planapp.core.clock import now as clock_now
from planapp.extensions import db
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.render import has_link_secret, hide_link_secrets
from planapp.mail.settings import Limits, mail_setup
from planapp.mail.transport import SendFailed, SmtpConnection, message_id

log = logging.getLogger(__name__)

BATCH = 200
LEASE = timedelta(minutes=5)


def _due(now: datetime):
    return sa.or_(
        sa.and_(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == MailStatus.SENDING, OutboxMessage.lease_until < now),
    )


def claim(now: datetime, limit: int = BATCH, lease: timedelta = LEASE) -> tuple[str, list[OutboxMessage]]:
    """Take up to `limit` due messages for this run (counting the attempt); returns them detached, fully loaded,
    with no transaction left open."""
    token = secrets.token_hex(8)
    ids = (sa.select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
           .limit(limit).with_for_update(skip_locked=True))  # FOR UPDATE SKIP LOCKED on PostgreSQL only
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids.scalar_subquery()), _due(now))
        .values(status=MailStatus.SENDING, lease_until=now + lease, claimed_by=token,
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    claimed = list(db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.claimed_by == token, OutboxMessage.status == MailStatus.SENDING).order_by(OutboxMessage.id)))
    for message in claimed:
        db.session.expunge(message)
    db.session.rollback()  # end the read: nothing is held while the SMTP server answers
    return token, claimed


def _settle(message: OutboxMessage, token: str, **values) -> None:
    """Write the result only if this run still holds the message, and commit it at once."""
    held = db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                             OutboxMessage.claimed_by == token,
                                                             OutboxMessage.status == MailStatus.SENDING)
                              .values(lease_until=None, **values).execution_options(synchronize_session=False))
    db.session.commit()
    if held.rowcount == 0:  # the lease ran out and another run took the message: it may go out twice
        log.warning("e-mail %s: this dispatcher's lease was lost before its result was saved", message.id)


def backoff(attempts: int, limits: Limits | None = None) -> timedelta:
    """1, 2, 4, 8 … times the base, never more than the cap."""
    limits = limits or mail_setup(current_app.config).limits
    seconds = limits.retry_base * 2 ** min(max(attempts - 1, 0), 40)
    return timedelta(seconds=min(seconds, limits.retry_cap))


class _Run:
    """One dispatcher run: settles each message as its answer comes, alerts admins once at the end."""

    def __init__(self, token: str, now: datetime, limits: Limits):
        self.token, self.now, self.limits = token, now, limits
        self.sent = self.retry = self.released = 0
        self.dead: list[tuple[OutboxMessage, str]] = []

    def delivered(self, message: OutboxMessage, mid: str) -> None:
        """Sent: committed at once. A single-use link leaves the stored copy now: the person has it, and the
        database must not hold a live link (tokens are stored hashed for that reason)."""
        scrub = {}
        if has_link_secret(message.text_body) or has_link_secret(message.html_body):
            scrub = {"text_body": hide_link_secrets(message.text_body),
                     "html_body": hide_link_secrets(message.html_body)}
        _settle(message, self.token, status=MailStatus.SENT, sent_at=self.now, message_id=mid, last_error="",
                **scrub)
        self.sent += 1

    def failed(self, message: OutboxMessage, failure: SendFailed) -> None:
        """Back to the queue with backoff, or dead (a permanent error, or the last attempt)."""
        dead = failure.permanent or message.attempts >= self.limits.max_attempts
        if dead:
            _settle(message, self.token, status=MailStatus.DEAD, last_error=failure.text)
            self.dead.append((message, failure.text))
        else:
            _settle(message, self.token, status=MailStatus.QUEUED, last_error=failure.text,
                    next_attempt_at=self.now + backoff(message.attempts, self.limits))
            self.retry += 1
        log.warning("e-mail %s to user %s not sent (attempt %s%s): %s", message.id, message.user_id,
                    message.attempts, ", dead" if dead else "", failure.text)

    def release(self, messages: Sequence[OutboxMessage]) -> None:
        """Not tried in this run (its lease is running out): due again at once, the attempt not counted."""
        for message in messages:
            _settle(message, self.token, status=MailStatus.QUEUED, next_attempt_at=self.now,
                    attempts=OutboxMessage.attempts - 1)
            self.released += 1

    def alert_admins(self) -> None:
        """In the app only (an alert e-mail about failing e-mail could fail the same way); one per run."""
        if not self.dead:
            return
        from planapp.accounts.models import User
        from planapp.core.permissions import POLICY, Perm
        from planapp.notifications.services import notify

        roles = [role for role, perms in POLICY.items() if Perm.MANAGE_OUTBOX in perms]
        admins = list(db.session.scalars(sa.select(User.id).where(User.role.in_(roles), User.is_active.is_(True))))
        if len(self.dead) == 1:
            message, error = self.dead[0]
            notify(admins, "mail.dead", {"to": message.to_addr, "subject": message.subject, "error": error},
                   f"/admin/outbox/{message.id}", self.now, email=False)
        else:
            notify(admins, "mail.dead_many", {"count": len(self.dead), "error": self.dead[0][1]},
                   "/admin/outbox/?status=dead", self.now, email=False)
        db.session.commit()

    def summary(self) -> str:
        text = f"{self.sent} sent, {self.retry} to retry, {len(self.dead)} dead"
        return text + (f", {self.released} left for the next run" if self.released else "")


def dispatch_due(now: datetime | None = None, batch: int = BATCH) -> str:
    """Send what is due. Returns a summary for the scheduler's run log."""
    now = now or clock_now()
    setup = mail_setup(current_app.config)
    if setup.mode == "broken":
        log.error("e-mail settings are wrong, nothing is sent until they are fixed: %s", setup.error)
        return f"not sent: {setup.error}"
    timeout = setup.smtp.timeout if setup.smtp else 0
    lease = max(LEASE, timedelta(seconds=4 * timeout))
    token, claimed = claim(now, batch, lease)
    if not claimed:
        return "nothing due"
    if setup.mode == "mailbox":  # development: kept for admins to read in the outbox page
        for message in claimed:
            _settle(message, token, status=MailStatus.SENT, sent_at=now, message_id=message_id(message, "mailbox"),
                    last_error="")
        return f"{len(claimed)} kept in the development mailbox"
    run = _Run(token, now, setup.limits)
    # Stop starting sends while the lease still covers one more (the SMTP timeout) and some slack: a message
    # whose lease ran out could be claimed and sent by another dispatcher while this one still sends it.
    deadline = monotonic() + lease.total_seconds() - timeout - 30
    try:
        with SmtpConnection(setup.smtp) as connection:
            for index, message in enumerate(claimed):
                if monotonic() > deadline:
                    run.release(claimed[index:])
                    break
                try:
                    mid = connection.send(message)
                except SendFailed as failure:
                    run.failed(message, failure)
                    if failure.connection_lost:  # nothing more goes through this connection
                        for rest in claimed[index + 1:]:
                            run.failed(rest, failure)
                        break
                    continue
                run.delivered(message, mid)
    except SendFailed as failure:  # could not connect or sign in: no message's fault, each waits for another try
        transient = SendFailed(failure.text, permanent=False, connection_lost=True)
        for message in claimed:
            run.failed(message, transient)
    finally:
        run.alert_admins()
    return run.summary()
