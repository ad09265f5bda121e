"""Password reset by e-mail (RELIABILITY A4, A5, S3/S5-like session end, A3 lock lifted).

Asking for a link answers the same status and body for a known, an unknown and a deactivated address, and costs
the same kind of time (no password hashing on either path); a known active account gets one e-mail, queued in the
same transaction, with a single-use link valid at most 60 minutes (stated in the e-mail); using it sets the
password, ends every session and lifts a sign-in lock; a reused, expired or replaced link is refused in Persian.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from planapp.accounts import passwords, resets, services, tokens
from planapp.accounts.models import ActionToken, LoginThrottle, User
from planapp.accounts.passwords import verify_password
from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.mail import outbox
from planapp.mail.models import MailStatus, OutboxMessage
from tests.factories import PASSWORD, login, make_user, signed_in
from tests.test_auth import page_without

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
NEW_PASSWORD = "a-fresh-password-2026"
LINK = re.compile(r"https?://[^/\s\"]+(/password/reset/[A-Za-z0-9_-]{86})")
FA_EXPIRED = "منقضی شده است"
FA_USED = "پیش‌تر به کار رفته است"
FA_NOT_VALID = "معتبر نیست"
FA_CHECK_MAIL = "رایانامهٔ خود را ببینید"
FA_CHANGED = "گذرواژهٔ شما تغییر کرد"


@pytest.fixture
def frozen(ctx):
    clock.freeze(NOW)  # the ctx fixture thaws it


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def ask(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def reset_mails(user: User) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                                  OutboxMessage.kind == "password_reset")
                                   .order_by(OutboxMessage.id)))


def link_for(client, user: User) -> str:
    assert ask(client, user.email).status_code == 200
    found = LINK.search(reset_mails(user)[-1].text_body)
    assert found
    return found.group(1)


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- asking for a link (A4) --------------------------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_forgotten_password_page(client):
    page = client.get("/login")
    assert 'href="/password/forgot"' in page.text and "گذرواژه را فراموش کرده‌اید؟" in page.text
    forgot = client.get("/password/forgot")
    assert forgot.status_code == 200 and "۶۰ دقیقه" in forgot.text  # the link's life is stated before asking


def test_known_unknown_and_deactivated_addresses_get_the_same_answer(client, frozen):
    """A4: same status and same body (the typed address and the time-stamped CSRF token aside)."""
    known = make_user(email="known@example.ir")
    gone = make_user(email="gone@example.ir")
    services.set_user_active(None, gone, False)
    db.session.commit()
    answers = {email: ask(client, email) for email in ("known@example.ir", "unknown@example.ir", "gone@example.ir")}
    assert {email: r.status_code for email, r in answers.items()} == dict.fromkeys(answers, 200)
    bodies = {page_without(r.text, email) for email, r in answers.items()}
    assert len(bodies) == 1 and FA_CHECK_MAIL in bodies.pop()
    # Only the known, active account got an e-mail.
    assert [m.to_addr for m in db.session.scalars(sa.select(OutboxMessage))] == ["known@example.ir"]
    assert reset_mails(known) and not reset_mails(gone)


def test_asking_does_the_same_kind_of_work_for_known_and_unknown_addresses(client, frozen, monkeypatch):
    """A4, timing: both paths render one e-mail and write one audit row, and neither hashes or verifies a
    password — so no step that only one path takes can be timed. (Times are measured in benchmarks, never
    asserted in tests.)"""
    make_user(email="known@example.ir")
    work: list[str] = []

    def spy(module, name: str, call_through: bool) -> None:
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, **k: work.append(name) or (real(*a, **k) if call_through
                                                                                else None))

    spy(resets, "render_email", True)  # the unknown address's stand-in e-mail
    spy(outbox, "render_email", True)  # the known address's real one
    spy(resets, "hash_password", False)
    spy(passwords, "hash_password", False)
    spy(passwords, "verify_password", False)
    per_address = {}
    for email in ("known@example.ir", "unknown@example.ir"):
        work.clear()
        audit_before = count(AuditEvent)
        assert ask(client, email).status_code == 200
        per_address[email] = (work[:], count(AuditEvent) - audit_before)
    assert per_address["known@example.ir"] == per_address["unknown@example.ir"] == (["render_email"], 1)


def test_a_known_address_gets_one_e_mail_in_its_language_with_a_link_of_sixty_minutes_at_most(client, frozen):
    user = make_user(email="known@example.ir", name="سارا")
    link = link_for(client, user)
    [mail] = reset_mails(user)
    assert (mail.status, mail.critical, mail.locale) == (MailStatus.QUEUED, True, "fa")
    assert "۶۰ دقیقه" in mail.text_body and "۶۰ دقیقه" in mail.html_body
    token = db.session.scalar(sa.select(ActionToken).where(ActionToken.user_id == user.id))
    assert token.purpose == "password_reset" and token.expires_at == NOW + timedelta(minutes=60)
    assert token.token_hash == tokens.hash_token(link.rsplit("/", 1)[1])
    assert count(AuditEvent, AuditEvent.action == "auth.password_reset_requested", AuditEvent.object_id == user.id) == 1


def test_the_link_never_lives_longer_than_sixty_minutes_whatever_the_setting(ctx, make_app, frozen):
    app = make_app(RESET_VALID_MINUTES=600)
    user = make_user(email="known@example.ir")
    assert ask(app.test_client(), user.email).status_code == 200
    token = db.session.scalar(sa.select(ActionToken).where(ActionToken.user_id == user.id))
    assert token.expires_at == NOW + timedelta(minutes=60)
    assert "۶۰ دقیقه" in reset_mails(user)[-1].text_body
    assert resets.valid_minutes(15) == 15 and resets.valid_minutes(0) == 1


def test_the_e_mail_is_queued_in_the_same_transaction(ctx, frozen):
    user = make_user(email="known@example.ir")
    resets.request_password_reset(user.email, NOW, 60)
    db.session.flush()
    assert count(OutboxMessage) == 1 and count(ActionToken) == 1
    db.session.rollback()
    assert count(OutboxMessage) == 0 and count(ActionToken) == 0


def test_an_invalid_address_is_refused_in_persian_and_nothing_is_stored(client, frozen):
    response = ask(client, "not an address")
    assert response.status_code == 200 and "یک نشانی رایانامهٔ درست وارد کنید" in response.text
    assert count(ActionToken) == 0 and count(OutboxMessage) == 0


def test_asking_is_limited_per_ip_like_sign_in(make_app, ctx):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [ask(client, f"nobody{i}@example.ir").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "درخواست‌ها بیش از حد مجاز است" in ask(client, "x@example.ir").text


# --- using the link (A5) -----------------------------------------------------------------------------------------


def test_the_link_sets_the_password_ends_every_session_and_lifts_the_lock(client, ctx, frozen):
    user = make_user(email="known@example.ir")
    elsewhere = signed_in(ctx.test_client(), user)  # a session on another device
    for _ in range(ctx.config["LOGIN_MAX_FAILURES"]):
        login(ctx.test_client(), user, "wrong-password")
    assert db.session.get(LoginThrottle, user.email).locked_until is not None
    link = link_for(client, user)
    page = client.get(link)
    assert page.status_code == 200 and "known@example.ir" in page.text
    assert "1405/02/15" in ascii_digits(page.text)  # when the link expires, in the Jalali calendar
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert FA_CHANGED in client.get("/login").text
    user = reload(user)
    assert verify_password(user.password_hash, NEW_PASSWORD) and not verify_password(user.password_hash, PASSWORD)
    assert user.password_changed_at == NOW
    assert elsewhere.get("/").status_code == 302  # the other session ended
    assert db.session.get(LoginThrottle, user.email) is None  # the lock is lifted: sign in at once
    assert login(ctx.test_client(), user, NEW_PASSWORD).status_code == 302
    assert count(AuditEvent, AuditEvent.action == "auth.password_reset", AuditEvent.object_id == user.id) == 1


def test_a_reused_link_is_refused_with_410(client, frozen):
    user = make_user(email="known@example.ir")
    link = link_for(client, user)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    for response in (client.get(link), client.post(link, data={"password": "other-password-1",
                                                               "confirm": "other-password-1"})):
        assert response.status_code == 410 and FA_USED in response.text
        assert 'href="/password/forgot"' in response.text  # what to do: ask for a new link
    assert verify_password(reload(user).password_hash, NEW_PASSWORD)


def test_a_link_expires_after_sixty_minutes(client, frozen):
    user = make_user(email="known@example.ir")
    link = link_for(client, user)
    clock.freeze(NOW + timedelta(minutes=59))
    assert client.get(link).status_code == 200
    clock.freeze(NOW + timedelta(minutes=60))
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410 and FA_EXPIRED in response.text and "پیوند تازه" in response.text
    assert verify_password(reload(user).password_hash, PASSWORD)


def test_a_new_link_replaces_the_older_one(client, frozen):
    user = make_user(email="known@example.ir")
    first = link_for(client, user)
    clock.freeze(NOW + timedelta(minutes=5))
    second = link_for(client, user)
    assert first != second and len(reset_mails(user)) == 2
    assert client.get(first).status_code == 410
    assert client.post(second, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize("link", ["/password/reset/x", "/password/reset/" + "A" * 43])
def test_an_unknown_link_is_404(client, link):
    response = client.get(link)
    assert response.status_code == 404 and FA_NOT_VALID in response.text


def test_a_bad_new_password_is_refused_in_persian_and_the_link_still_works(client, frozen):
    user = make_user(email="known@example.ir")
    link = link_for(client, user)
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 200 and "گذرواژه باید" in response.text
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": "different-password-9"})
    assert response.status_code == 200 and "دو گذرواژه یکسان نیستند" in response.text
    assert count(ActionToken, ActionToken.used_at.is_not(None)) == 0
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_an_account_deactivated_after_asking_cannot_use_its_link(client, frozen):
    user = make_user(email="known@example.ir")
    link = link_for(client, user)
    services.set_user_active(None, user, False)
    db.session.commit()
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert verify_password(reload(user).password_hash, PASSWORD)


def test_reset_pages_are_never_cached(client, frozen):
    user = make_user(email="known@example.ir")
    link = link_for(client, user)
    for url in ("/password/forgot", link, "/password/reset/unknown"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
