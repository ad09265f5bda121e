"""Changes people make to e-mail: an admin resends a message, a user chooses which e-mails they receive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import EmailPreference, User
from planapp.audit.services import record
from planapp.core.errors import ValidationFailed
from planapp.extensions import db
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.render import HIDDEN

RESENDABLE = (MailStatus.DEAD, MailStatus.SENT)


def can_resend(message: OutboxMessage) -> bool:
    """Failed or sent — but not a sent one whose single-use link was removed after sending (it would not work)."""
    if message.status not in RESENDABLE:
        return False
    return message.status != MailStatus.SENT or HIDDEN not in message.text_body


def resend_message(actor: Any, message: OutboxMessage, now: datetime) -> None:
    """Back to the queue as new: attempts reset, due now. A compare-and-swap on the status, so a double click
    queues it once; a message already sent gets a new Message-ID (transport.message_id)."""
    if message.status == MailStatus.SENT and not can_resend(message):
        raise ValidationFailed(_l("This e-mail held a single-use link, removed once it was sent. Send a new "
                                  "invitation or password-reset link instead."))
    before = {"status": message.status.value, "attempts": message.attempts, "last_error": message.last_error}
    changed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status.in_(RESENDABLE))
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now, last_error="", lease_until=None,
                claimed_by="", sent_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise ValidationFailed(_l("Only a failed or sent message can be sent again."))
    db.session.expire(message)
    record(actor, "mail.resend", message, summary=f"{message.to_addr}: {message.subject}"[:500], before=before,
           after={"status": MailStatus.QUEUED.value, "attempts": 0}, object_type="outbox")


def set_email_preference(user: User, preference: str) -> None:
    """Immediate, daily digest or off (critical e-mails go whatever is chosen); audited when it changes."""
    chosen = EmailPreference(preference)
    if chosen == user.email_preference:
        return
    before = {"email_preference": user.email_preference.value}
    user.email_preference = chosen
    record(user, "user.email_preference", user, summary=user.email, before=before,
           after={"email_preference": chosen.value})
