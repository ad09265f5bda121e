"""RELIABILITY A5, the mechanism: links that act once (planapp/accounts/tokens.py), on SQLite and PostgreSQL.

A token is signed for its purpose with SECRET_KEY; only the SHA-256 of a token is stored; peeking changes
nothing; consuming is one compare-and-swap UPDATE, so of many requests racing with one link exactly one wins; a link
expires at its time; a new reset or invitation link ends the older unused ones; each refusal (unknown, expired,
used) says so plainly in Persian.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from planapp.accounts import tokens
from planapp.accounts.models import ActionToken
from planapp.core import clock
from planapp.extensions import db
from tests import concurrency
from tests.factories import make_user
from tests.sql_helpers import count_statements

NOW = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
THREADS, ROUNDS = 16, 3
FA_UNKNOWN = "معتبر نیست"
FA_EXPIRED = "منقضی شده است"
FA_USED = "پیش‌تر به کار رفته است"
FA_NEW_LINK = "پیوند تازه"


def count(*where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActionToken).where(*where))


def refusal(purpose: str, raw: str, now: datetime) -> tokens.LinkRefused:
    with pytest.raises(tokens.LinkRefused) as caught:
        tokens.peek(purpose, raw, now)
    return caught.value


def test_only_the_hash_is_stored_and_the_token_is_long_and_random(ctx):
    user = make_user()
    raws = [tokens.issue(tokens.DECISION, user, timedelta(hours=1), NOW, payload={"request_id": n}) for n in range(50)]
    db.session.commit()
    # 32 random bytes and their 32-byte signature, URL-safe
    assert len(set(raws)) == 50 and all(len(raw) == 86 and re.fullmatch(r"[\w-]+", raw) for raw in raws)
    stored = set(db.session.scalars(sa.select(ActionToken.token_hash)))
    assert stored == {hashlib.sha256(raw.encode()).hexdigest() for raw in raws}
    assert not any(raw in value for raw in raws for value in stored)


def test_peek_reads_without_using_and_consume_uses_once(ctx):
    user = make_user()
    raw = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), NOW)
    db.session.commit()
    for _ in range(3):
        assert tokens.peek(tokens.PASSWORD_RESET, raw, NOW).user_id == user.id
    assert count(ActionToken.used_at.is_not(None)) == 0
    used = tokens.consume(tokens.PASSWORD_RESET, raw, NOW + timedelta(minutes=5))
    db.session.commit()
    assert used.used_at == NOW + timedelta(minutes=5)
    with pytest.raises(tokens.LinkRefused) as again:
        tokens.consume(tokens.PASSWORD_RESET, raw, NOW + timedelta(minutes=6))
    assert again.value.reason == tokens.USED and again.value.status == 410
    assert FA_USED in str(again.value.message)


def test_a_link_expires_at_its_time_with_the_frozen_clock(ctx):
    user = make_user()
    raw = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), NOW)
    db.session.commit()
    clock.freeze(NOW + timedelta(minutes=59, seconds=59))
    assert tokens.peek(tokens.PASSWORD_RESET, raw, clock.now())
    clock.freeze(NOW + timedelta(minutes=60))
    expired = refusal(tokens.PASSWORD_RESET, raw, clock.now())
    assert (expired.reason, expired.status) == (tokens.EXPIRED, 410)
    assert FA_EXPIRED in str(expired.message) and FA_NEW_LINK in str(expired.message)
    with pytest.raises(tokens.LinkRefused):
        tokens.consume(tokens.PASSWORD_RESET, raw, clock.now())
    db.session.rollback()
    assert count(ActionToken.used_at.is_not(None)) == 0


@pytest.mark.parametrize("raw", ["", "x", "A" * 43, "A" * 86, "é" * 86, "A" * 5000, "../../etc/passwd", "%00",
                                 "\u0000"])
def test_unknown_and_malformed_links_are_refused_as_unknown(ctx, raw):
    user = make_user()
    tokens.issue(tokens.INVITATION, user, timedelta(days=7), NOW)
    db.session.commit()
    unknown = refusal(tokens.INVITATION, raw, NOW)
    assert (unknown.reason, unknown.status) == (tokens.UNKNOWN, 404)
    assert FA_UNKNOWN in str(unknown.message)


def test_a_link_not_signed_here_is_refused_before_any_query(ctx, monkeypatch):
    """The token's second half signs the first for its purpose with SECRET_KEY: a changed character, a random part
    moved under another signature, or a key changed since (a leaked link after rotation) all read as unknown."""
    user = make_user()
    raw = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), NOW)
    other = tokens.issue(tokens.PASSWORD_RESET, make_user(), timedelta(minutes=60), NOW)
    db.session.commit()
    flipped = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    swapped = raw[:43] + other[43:]
    with count_statements() as statements:
        for forged in (flipped, swapped, raw[:43], raw + "A"):
            assert refusal(tokens.PASSWORD_RESET, forged, NOW).reason == tokens.UNKNOWN
            with pytest.raises(tokens.LinkRefused):
                tokens.consume(tokens.PASSWORD_RESET, forged, NOW)
    assert statements == []
    assert tokens.peek(tokens.PASSWORD_RESET, raw, NOW).user_id == user.id
    monkeypatch.setitem(current_app.config, "SECRET_KEY", "another-key-" + "k" * 40)
    assert refusal(tokens.PASSWORD_RESET, raw, NOW).reason == tokens.UNKNOWN


def test_a_link_works_only_for_its_purpose(ctx):
    user = make_user()
    raw = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), NOW)
    db.session.commit()
    assert refusal(tokens.INVITATION, raw, NOW).reason == tokens.UNKNOWN
    assert refusal(tokens.DECISION, raw, NOW).reason == tokens.UNKNOWN


def test_the_three_refusals_read_differently_for_each_purpose(app):
    with app.test_request_context():
        for purpose in (tokens.INVITATION, tokens.PASSWORD_RESET, tokens.DECISION):
            texts = {str(tokens.LinkRefused(purpose, reason).message)
                     for reason in (tokens.UNKNOWN, tokens.EXPIRED, tokens.USED)}
            assert len(texts) == 3
            assert all(any("\u0600" <= ch <= "\u06ff" for ch in text) for text in texts)  # Persian by default


def test_a_new_reset_link_ends_the_older_unused_ones(ctx):
    user, other = make_user(), make_user()
    first = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), NOW)
    others = tokens.issue(tokens.PASSWORD_RESET, other, timedelta(minutes=60), NOW)
    decision = tokens.issue(tokens.DECISION, user, timedelta(hours=72), NOW)
    db.session.commit()
    second = tokens.issue(tokens.PASSWORD_RESET, user, timedelta(minutes=60), NOW + timedelta(minutes=1))
    db.session.commit()
    later = NOW + timedelta(minutes=2)
    assert refusal(tokens.PASSWORD_RESET, first, later).reason == tokens.EXPIRED
    assert tokens.peek(tokens.PASSWORD_RESET, second, later)
    assert tokens.peek(tokens.PASSWORD_RESET, others, later)  # someone else's link lives on
    assert tokens.peek(tokens.DECISION, decision, later)  # and so do links of other purposes


def race(app, raw: str, purpose: str, now: datetime) -> tuple[list[int], list[str], list[BaseException]]:
    """THREADS requests using one link at once (tests/concurrency.py): the winners' token ids, the refusals'
    reasons, the errors."""
    def use() -> tuple[str, int]:
        return ("won", tokens.consume(purpose, raw, now).id)

    outcomes, errors = concurrency.run_at_once(app, [use] * THREADS, tokens.LinkRefused,
                                               lambda refusal_: ("refused", refusal_.reason))
    winners = [value for kind, value in outcomes if kind == "won"]
    refused = [value for kind, value in outcomes if kind == "refused"]
    return winners, refused, errors


def test_many_requests_racing_with_one_link_exactly_one_wins(ctx):
    """A5 + W1 for links: on both databases, THREADS concurrent uses of one link → one success, the rest 'used'."""
    user = make_user()
    for n in range(ROUNDS):
        raw = tokens.issue(tokens.DECISION, user, timedelta(hours=72), NOW, payload={"request_id": n})
        winners, refused, errors = race(ctx, raw, tokens.DECISION, NOW + timedelta(minutes=1))
        assert [repr(error) for error in errors] == []
        assert len(winners) == 1 and refused == [tokens.USED] * (THREADS - 1)
        used = db.session.scalar(sa.select(ActionToken).where(ActionToken.token_hash == tokens.hash_token(raw)))
        assert used.id == winners[0] and used.used_at == NOW + timedelta(minutes=1)


def test_a_use_rolled_back_leaves_the_link_usable(ctx):
    """The use is in the caller's transaction: if the work after it fails, nothing was used ("nothing lost")."""
    user = make_user()
    raw = tokens.issue(tokens.INVITATION, user, timedelta(days=7), NOW)
    db.session.commit()
    tokens.consume(tokens.INVITATION, raw, NOW)
    db.session.rollback()
    assert tokens.peek(tokens.INVITATION, raw, NOW)
    tokens.consume(tokens.INVITATION, raw, NOW)
    db.session.commit()
    assert refusal(tokens.INVITATION, raw, NOW).reason == tokens.USED
