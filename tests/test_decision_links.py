"""Decisions by e-mail link (RELIABILITY A5, X7, W1 for links): the e-mail about a request carries, for each
supervisor who may decide it, a secret, expiring (DECISION_LINK_VALID_HOURS), single-use link to a confirm page.

GET never acts (opened twice, nothing is decided); the page is for the person the link was sent to (a stranger is
sent to sign in and comes back; another signed-in user gets 403); the POST uses the link once and decides with the
plan page's rules (a reason to reject, the plan's version); a refused decision leaves the link usable; racing uses
decide once. The in-app notification keeps the plain plan link. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from planapp.accounts import tokens
from planapp.accounts.models import ActionToken, User
from planapp.approvals import decision_links
from planapp.approvals import services as approvals
from planapp.approvals.models import RequestStatus, TransitionRequest
from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.core.errors import Conflict
from planapp.extensions import db
from planapp.mail.models import OutboxMessage
from planapp.notifications.models import Notification
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from tests import concurrency
from tests.factories import PASSWORD, make_plan, make_user, signed_in
from tests.test_get_is_safe import database_checksum
from tests.test_xss import PAYLOADS, unescaped_reflections

NOW = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
THREADS = 12
LINK = re.compile(r"https?://[^/\s\"]+(/decide/[A-Za-z0-9_-]{86})")
FA_GIVE_REASON = "بنویسید چرا درخواست رد می‌شود"
FA_ALREADY = "پیش‌تر تصمیم گرفته شده است"
FA_STALE = "شخص دیگری"
FA_USED = "پیش‌تر به کار رفته است"
FA_EXPIRED = "منقضی شده است"
FA_SOMEONE_ELSE = "برای شخص دیگری فرستاده شده است"
FA_APPROVED = "انتقال تأیید شد."


@dataclass
class Case:
    owner: User
    deciders: list[User]
    plan: Plan
    request: TransitionRequest


@pytest.fixture
def case(ctx) -> Case:
    """A plan whose owner asks to move on; two other supervisors may decide; the clock is frozen."""
    clock.freeze(NOW)  # the ctx fixture thaws it
    owner = make_user("supervisor", name="مالک برنامه")
    deciders = [make_user("supervisor", name=f"ناظر {n}") for n in (1, 2)]
    plan = make_plan(owner, title="برنامهٔ آمایش")
    request = approvals.request_transition(owner, plan.id, "complete_assessment", "لطفاً بررسی شود", NOW)
    db.session.commit()
    return Case(owner, deciders, plan, request)


def mail_to(user: User) -> OutboxMessage:
    return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                            OutboxMessage.kind == "transition.requested"))


def link_of(user: User) -> str:
    found = LINK.search(mail_to(user).text_body)
    assert found, mail_to(user).text_body
    return found.group(1)


def current(request_id: int) -> TransitionRequest:
    db.session.expire_all()
    return db.session.get(TransitionRequest, request_id)


def used_links() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ActionToken)
                             .where(ActionToken.used_at.is_not(None)))


def decide(client, link: str, decision: str, comment: str = "", version: int | None = None):
    plan_version = db.session.scalar(sa.select(Plan.version).where(Plan.id == current_plan_id(link)))
    return client.post(link, data={"decision": decision, "comment": comment,
                                   "version": str(plan_version if version is None else version)})


def current_plan_id(link: str) -> int:
    token = db.session.scalar(sa.select(ActionToken).where(
        ActionToken.token_hash == tokens.hash_token(link.rsplit("/", 1)[1])))
    return db.session.get(TransitionRequest, token.payload["request_id"]).plan_id


# --- the e-mails ---------------------------------------------------------------------------------------------------


def test_deciders_get_a_decision_link_and_everyone_else_the_plan_link(case, ctx):
    plan_link = f"/plans/{case.plan.id}"
    for decider in case.deciders:
        mail = mail_to(decider)
        assert mail.critical and LINK.search(mail.html_body)
        assert plan_link not in mail.text_body
    owner_mail = mail_to(case.owner)  # asked for it: may not decide it (four eyes), so no decision link
    assert plan_link in owner_mail.text_body and not LINK.search(owner_mail.text_body)
    # The in-app twins keep the plain plan link, for everyone.
    links = set(db.session.scalars(sa.select(Notification.link).where(Notification.kind == "transition.requested")))
    assert links == {plan_link}
    rows = list(db.session.scalars(sa.select(ActionToken).where(ActionToken.purpose == "decision")))
    assert sorted(row.user_id for row in rows) == sorted(d.id for d in case.deciders)
    hours = ctx.config["DECISION_LINK_VALID_HOURS"]
    assert all(row.payload == {"request_id": case.request.id} and row.expires_at == NOW + timedelta(hours=hours)
               and row.used_at is None for row in rows)


def test_a_request_asked_by_the_system_gives_every_supervisor_a_decision_link(ctx):
    clock.freeze(NOW)
    owner, other = make_user("supervisor"), make_user("supervisor")
    plan = make_plan(owner)
    approvals.request_transition(None, plan.id, "complete_assessment", "", NOW)
    db.session.commit()
    assert LINK.search(mail_to(owner).text_body) and LINK.search(mail_to(other).text_body)


def test_the_decision_e_mails_are_queued_in_the_requests_transaction(ctx):
    clock.freeze(NOW)
    owner, _other = make_user("supervisor"), make_user("supervisor")
    plan = make_plan(owner)
    before = (db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)), used_links())
    approvals.request_transition(owner, plan.id, "complete_assessment", "", NOW)
    db.session.rollback()
    assert (db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)), used_links()) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionToken)) == 0


# --- GET: the confirm page -------------------------------------------------------------------------------------------


def test_opening_the_link_twice_decides_nothing(case, ctx):
    """X7: the page shows the request and the two buttons; two GETs (and htmx ones) leave the database as it was."""
    decider = case.deciders[0]
    link = link_of(decider)
    client = signed_in(ctx.test_client(), decider)
    before = database_checksum()
    for headers in ({}, {}, {"HX-Request": "true", "HX-Boosted": "true"}):
        page = client.get(link, headers=headers)
        assert page.status_code == 200
    assert database_checksum() == before
    assert current(case.request.id).status == RequestStatus.PENDING and used_links() == 0
    assert 'id="confirm-approve"' in page.text and 'id="confirm-reject"' in page.text
    assert "برنامهٔ آمایش" in page.text and "لطفاً بررسی شود" in page.text and "مالک برنامه" in page.text
    assert f'name="version" value="{case.plan.version}"' in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_a_stranger_is_sent_to_sign_in_and_comes_back_to_the_link(case, ctx):
    decider = case.deciders[0]
    link = link_of(decider)
    browser = ctx.test_client()
    response = browser.get(link)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [link]
    signed = browser.post(f"/login?next={link}", data={"email": decider.email, "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"] == link
    assert browser.get(link).status_code == 200
    assert used_links() == 0


def test_another_signed_in_user_gets_403(case, ctx):
    link = link_of(case.deciders[0])
    other_supervisor = signed_in(ctx.test_client(), case.deciders[1])
    for response in (other_supervisor.get(link), decide(other_supervisor, link, "approve")):
        assert response.status_code == 403 and FA_SOMEONE_ELSE in response.text
    officer = signed_in(ctx.test_client(), make_user("officer"))
    assert officer.get(link).status_code == 403
    assert current(case.request.id).status == RequestStatus.PENDING and used_links() == 0


@pytest.mark.parametrize("link", ["/decide/nonsense", "/decide/" + "A" * 43])
def test_an_unknown_link_is_404(case, ctx, link):
    response = signed_in(ctx.test_client(), case.deciders[0]).get(link)
    assert response.status_code == 404 and "معتبر نیست" in response.text


def test_a_link_expires_after_its_hours(case, ctx):
    link = link_of(case.deciders[0])
    client = signed_in(ctx.test_client(), case.deciders[0])
    clock.freeze(NOW + timedelta(hours=ctx.config["DECISION_LINK_VALID_HOURS"]))
    for response in (client.get(link), decide(client, link, "approve")):
        assert response.status_code == 410 and FA_EXPIRED in response.text
    assert current(case.request.id).status == RequestStatus.PENDING


# --- POST: deciding --------------------------------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_the_link_survives_the_refusal(case, ctx):
    decider = case.deciders[0]
    link = link_of(decider)
    client = signed_in(ctx.test_client(), decider)
    refused = decide(client, link, "reject", "")
    assert refused.status_code == 200 and FA_GIVE_REASON in refused.text
    assert current(case.request.id).status == RequestStatus.PENDING and used_links() == 0
    done = decide(client, link, "reject", "جدول شاخص‌ها ناقص است")
    assert done.status_code == 302 and done.headers["Location"] == f"/plans/{case.plan.id}"
    request = current(case.request.id)
    assert (request.status, request.decided_by_id, request.decision_comment) == (
        RequestStatus.REJECTED, decider.id, "جدول شاخص‌ها ناقص است")
    assert used_links() == 1
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "transition.rejected"))
    assert list(told) == [case.owner.id]
    again = decide(client, link, "approve")
    assert again.status_code == 410 and FA_USED in again.text
    assert client.get(link).status_code == 410


def test_approving_by_link_moves_the_plan_once(case, ctx):
    decider = case.deciders[1]
    link = link_of(decider)
    client = signed_in(ctx.test_client(), decider)
    response = decide(client, link, "approve", "موافقم")
    assert response.status_code == 302
    assert FA_APPROVED in client.get(response.headers["Location"]).text
    request = current(case.request.id)
    assert (request.status, request.decided_by_id) == (RequestStatus.APPROVED, decider.id)
    assert db.session.get(Plan, case.plan.id).stage == Stage.ANALYSIS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "plan.transition", AuditEvent.object_id == case.plan.id)) == 1


def test_a_stale_page_is_refused_with_409_and_the_link_still_works(case, ctx):
    decider = case.deciders[0]
    link = link_of(decider)
    client = signed_in(ctx.test_client(), decider)
    stale = decide(client, link, "approve", version=case.plan.version - 1)
    assert stale.status_code == 409 and FA_STALE in stale.text
    assert current(case.request.id).status == RequestStatus.PENDING and used_links() == 0
    assert decide(client, link, "approve").status_code == 302


def test_a_request_decided_on_the_plan_page_meanwhile(case, ctx):
    first, second = case.deciders
    approvals.decide_request(second, case.request.id, False, "نه اکنون", NOW)
    db.session.commit()
    link = link_of(first)
    client = signed_in(ctx.test_client(), first)
    page = client.get(link)
    assert page.status_code == 200 and FA_ALREADY in page.text and 'id="confirm-approve"' not in page.text
    late = decide(client, link, "approve")
    assert late.status_code == 409 and FA_ALREADY in late.text
    assert current(case.request.id).decided_by_id == second.id and used_links() == 0


def test_the_requests_text_is_escaped_on_the_confirm_page(ctx):
    clock.freeze(NOW)
    owner, decider = make_user("supervisor"), make_user("supervisor")
    client = signed_in(ctx.test_client(), decider)
    for n, payload in enumerate(PAYLOADS):
        plan = make_plan(owner, title=f"{payload} {n}")
        approvals.request_transition(owner, plan.id, "complete_assessment", payload, NOW)
        db.session.commit()
    links = [LINK.search(m.text_body).group(1) for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.user_id == decider.id))]
    assert len(links) == len(PAYLOADS)
    for link in links:
        page = client.get(link)
        assert page.status_code == 200
        assert not unescaped_reflections(page.text, PAYLOADS), link


# --- racing ----------------------------------------------------------------------------------------------------------


def run_at_once(app, works) -> tuple[list, list[BaseException]]:
    """The works at once (tests/concurrency.py); a refused link or decision is the outcome ("refused", type, reason)."""
    return concurrency.run_at_once(app, works, (tokens.LinkRefused, Conflict), lambda refusal: (
        "refused", type(refusal).__name__, getattr(refusal, "reason", "")))


def test_one_link_used_by_many_requests_at_once_decides_once(case, ctx):
    """W1 + A5: THREADS POSTs with the same link (a double click, a retried request) → one decision."""
    decider_id = case.deciders[0].id
    raw = link_of(case.deciders[0]).rsplit("/", 1)[1]

    def work():
        user = db.session.get(User, decider_id)
        decision_links.decide_by_link(user, raw, True, "", NOW)
        return ("decided",)

    outcomes, errors = run_at_once(ctx, [work] * THREADS)
    assert [repr(error) for error in errors] == []
    assert outcomes.count(("decided",)) == 1 and len(outcomes) == THREADS
    assert all(o == ("refused", "LinkRefused", "used") for o in outcomes if o != ("decided",))
    assert current(case.request.id).decided_by_id == decider_id and used_links() == 1
    assert db.session.get(Plan, case.plan.id).stage == Stage.ANALYSIS


def test_every_decider_using_their_own_link_at_once_decides_once(ctx):
    clock.freeze(NOW)
    owner = make_user("supervisor")
    deciders = [make_user("supervisor") for _ in range(THREADS)]
    plan = make_plan(owner)
    request = approvals.request_transition(owner, plan.id, "complete_assessment", "", NOW)
    db.session.commit()
    raws = {d.id: link_of(d).rsplit("/", 1)[1] for d in deciders}

    def work(user_id: int):
        def go():
            decision_links.decide_by_link(db.session.get(User, user_id), raws[user_id], True, "", NOW)
            return ("decided", user_id)
        return go

    outcomes, errors = run_at_once(ctx, [work(uid) for uid in raws])
    assert [repr(error) for error in errors] == []
    decided = [o for o in outcomes if o[0] == "decided"]
    assert len(decided) == 1
    assert all(o[:2] == ("refused", "Conflict") for o in outcomes if o[0] != "decided")
    assert current(request.id).decided_by_id == decided[0][1]
    assert used_links() == 1  # the refused decisions rolled their link back: still unused, and useless now
