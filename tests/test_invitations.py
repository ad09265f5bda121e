"""Participants invited by e-mail (RELIABILITY A5 for invitations, X11, X1): a supervisor invites a person to an
agency or to one task; the e-mail is queued in the same transaction; the link (single use, INVITATION_VALID_DAYS
days, stated in the e-mail and on the page) lets the person choose a password and lands them in their inbox; a guest
of a task sees that task and no other of its agency. Bad input — an invalid address, an address with an account, an
expired or reused link — is refused with a clear Persian message, and nothing is stored or lost.

Every test runs on SQLite and on PostgreSQL, with the clock frozen (tests/task_helpers.py).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from planapp.accounts import invitations, tokens
from planapp.accounts.models import ActionToken, User
from planapp.accounts.passwords import verify_password
from planapp.audit.models import AuditEvent
from planapp.core import clock
from planapp.core.permissions import AccessDenied, Perm, can
from planapp.core.text import clean_line
from planapp.extensions import db
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.mail.settings import mail_setup
from planapp.mail.transport import build
from planapp.tasks.lifecycle import TaskStatus
from planapp.tasks.models import Task, task_guests
from tests.factories import PASSWORD, make_user
from tests.task_helpers import NOW, client_for, count, new_task, page_text, post_action, task_world, titles_in
from tests.test_xss import PAYLOADS, unescaped_reflections

w = task_world  # a fixture from tests/task_helpers.py, under the name the tests use

NEW_PASSWORD = "a-good-new-password-77"
HX = {"HX-Request": "true", "HX-Target": "invite-form"}
FA_BAD_EMAIL = "یک نشانی رایانامهٔ درست وارد کنید"
FA_HAS_ACCOUNT = "به حسابی تعلق دارد"
FA_EXPIRED = "منقضی شده است"
FA_USED = "پیش‌تر به کار رفته است"
FA_NOT_VALID = "معتبر نیست"
FA_PASSWORD_LENGTH = "گذرواژه باید"
FA_DIFFER = "دو گذرواژه"
FA_SENT = "دعوت‌نامه برای"
LINK = re.compile(r"https?://[^/\s\"]+(/invitation/[A-Za-z0-9_-]{86})")


def invite(client, email: str = "guest@example.ir", name: str = "مهمان تازه", agency_id: object = "",
           task_id: object = "", language: str = "fa", **headers):
    return client.post("/invitations/", data={"email": email, "name": name, "agency_id": str(agency_id),
                                              "task_id": str(task_id), "language": language},
                       headers=headers or HX)


def invitation_mail(user: User) -> OutboxMessage:
    rows = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                                  OutboxMessage.kind == "invitation")
                                   .order_by(OutboxMessage.id)))
    assert rows, "no invitation e-mail queued"
    return rows[-1]


def link_of(message: OutboxMessage) -> str:
    found = LINK.search(message.text_body)
    assert found, message.text_body
    assert found.group(0) in message.html_body
    return found.group(1)


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def stored() -> dict[str, int]:
    """What an invitation writes."""
    db.session.expire_all()
    return {"users": count(User), "tokens": count(ActionToken), "outbox": count(OutboxMessage),
            "guests": db.session.scalar(sa.select(sa.func.count()).select_from(task_guests)),
            "audit": count(AuditEvent, AuditEvent.action.like("user.%"))}


# --- inviting ----------------------------------------------------------------------------------------------------


def test_a_supervisor_invites_a_person_to_an_agency(ctx, w):
    response = invite(client_for(ctx, w.sup), "New.Person@Example.ir", "نگار نوروزی", w.agency_b.id)
    assert response.status_code == 200, response.text
    assert FA_SENT in response.text and "new.person@example.ir" in response.text
    assert response.headers["HX-Trigger"] == '{"invitations-changed": null}'
    assert 'id="invite-form"' in response.text and 'value="new.person@example.ir"' not in response.text  # fresh

    person = user_by_email("new.person@example.ir")
    assert (person.name, person.role.value, person.agency_id, person.is_active) == \
           ("نگار نوروزی", "participant", w.agency_b.id, False)
    assert person.password_hash.startswith("$argon2id$")  # a real hash of a password nobody knows
    assert not any(verify_password(person.password_hash, guess) for guess in ("", PASSWORD, person.email))
    token = db.session.scalar(sa.select(ActionToken).where(ActionToken.user_id == person.id))
    assert (token.purpose, token.created_by_id, token.used_at) == ("invitation", w.sup.id, None)
    assert token.expires_at == NOW + timedelta(days=ctx.config["INVITATION_VALID_DAYS"]) == NOW + timedelta(days=7)

    mail = invitation_mail(person)
    assert (mail.status, mail.critical, mail.to_addr, mail.locale) == (MailStatus.QUEUED, True,
                                                                       "new.person@example.ir", "fa")
    assert "ناظر یکم" in mail.text_body and "اداره کل منابع طبیعی" in mail.text_body
    assert "۷ روز" in mail.text_body and "۷ روز" in mail.html_body  # the validity is stated, in Persian digits
    assert tokens.hash_token(link_of(mail).rsplit("/", 1)[1]) == token.token_hash
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.invite"))
    assert (event.actor_id, event.object_id, event.after["agency_id"]) == (w.sup.id, person.id, w.agency_b.id)


def test_the_invitation_e_mail_speaks_the_invited_persons_language(ctx, w):
    invite(client_for(ctx, w.sup), "english@example.ir", "Jane Guest", w.agency_b.id, language="en")
    mail = invitation_mail(user_by_email("english@example.ir"))
    assert mail.locale == "en" and mail.subject == "You are invited to PlanApp"
    assert "expires in 7 days" in mail.text_body


def test_a_task_invitation_makes_the_person_a_guest_of_the_task_with_its_agency_by_default(ctx, w):
    task = new_task(w, w.agency_a, title="گزارش پل‌ها")
    response = invite(client_for(ctx, w.sup), "expert@example.ir", "کارشناس پل", "", task.id)
    assert response.status_code == 200 and FA_SENT in response.text
    person = user_by_email("expert@example.ir")
    assert person.agency_id == w.agency_a.id  # the task's agency, since none was chosen
    assert db.session.execute(sa.select(task_guests)).all() == [(task.id, person.id)]
    mail = invitation_mail(person)
    assert w.plan.title in mail.text_body  # "invites you to take part in preparing «plan»"
    token = db.session.scalar(sa.select(ActionToken).where(ActionToken.user_id == person.id))
    assert token.payload == {"agency_id": w.agency_a.id, "task_id": task.id}


def test_the_task_page_offers_supervisors_the_invitation_form_for_that_task(ctx, w):
    task = new_task(w, w.agency_a, title="گزارش پل‌ها")
    supervisor = client_for(ctx, w.sup)
    page = supervisor.get(f"/tasks/{task.id}/")
    assert f'href="/invitations/?task={task.id}"' in page.text
    form = supervisor.get(f"/invitations/?task={task.id}")
    assert form.status_code == 200
    assert "گزارش پل‌ها" in form.text and f'name="task_id" type="hidden" value="{task.id}"' in form.text
    assert re.search(rf'<option selected value="{w.agency_a.id}">', form.text)  # the task's agency preselected
    assert f'href="/invitations/?task={task.id}"' not in client_for(ctx, w.a1).get(f"/tasks/{task.id}/").text


@pytest.mark.parametrize("email", ["not-an-address", "a@b", "two@@example.ir", "x@example.ir\r\nBcc: e@evil.ir",
                                   "a" * 250 + "@example.ir", ""])
def test_an_invalid_address_is_refused_in_persian_and_nothing_is_stored(ctx, w, email):
    before = stored()
    response = invite(client_for(ctx, w.sup), email, "مهمان", w.agency_b.id)
    assert response.status_code == 200  # re-rendered in place (htmx does not swap 4xx into a form)
    assert 'id="email-error"' in response.text
    assert FA_BAD_EMAIL in response.text or "الزامی است" in response.text or "نویسه" in response.text
    assert stored() == before


def test_the_service_itself_refuses_an_invalid_address(ctx, w):
    before = stored()
    with pytest.raises(invitations.ValidationFailed) as refused:
        invitations.invite_participant(w.sup, {"email": "no-at-sign.example.ir", "name": "مهمان",
                                               "agency_id": w.agency_b.id}, NOW, 7)
    db.session.rollback()
    assert refused.value.field == "email" and FA_BAD_EMAIL in str(refused.value.message)
    assert stored() == before


def test_an_address_with_an_account_is_refused_clearly(ctx, w):
    before = stored()
    response = invite(client_for(ctx, w.sup), w.b1.email.upper(), "کسی دیگر", w.agency_b.id)
    assert response.status_code == 200 and FA_HAS_ACCOUNT in response.text
    assert stored() == before
    assert user_by_email(w.b1.email).name == "بهرام جنگلبان"  # the existing account is untouched


def test_inviting_again_sends_a_new_link_and_the_old_one_stops_working(ctx, w):
    supervisor = client_for(ctx, w.sup)
    invite(supervisor, "late@example.ir", "نام با غلط", w.agency_b.id)
    person = user_by_email("late@example.ir")
    first = link_of(invitation_mail(person))
    clock.freeze(NOW + timedelta(days=2))
    response = invite(supervisor, "late@example.ir", "نام درست", w.agency_a.id)
    assert response.status_code == 200 and FA_SENT in response.text
    person = user_by_email("late@example.ir")
    assert (person.name, person.agency_id, count(User, User.email == "late@example.ir")) == ("نام درست",
                                                                                            w.agency_a.id, 1)
    second = link_of(invitation_mail(person))
    assert first != second and count(OutboxMessage, OutboxMessage.kind == "invitation") == 2
    anonymous = ctx.test_client()
    old = anonymous.get(first)
    assert old.status_code == 410 and FA_EXPIRED in old.text
    assert anonymous.get(second).status_code == 200
    assert count(AuditEvent, AuditEvent.action == "user.reinvite") == 1


def test_an_accepted_invitation_cannot_be_sent_again(ctx, w):
    supervisor = client_for(ctx, w.sup)
    invite(supervisor, "done@example.ir", "پذیرفته", w.agency_b.id)
    link = link_of(invitation_mail(user_by_email("done@example.ir")))
    assert ctx.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    before = stored()
    response = invite(supervisor, "done@example.ir", "پذیرفته", w.agency_b.id)
    assert FA_HAS_ACCOUNT in response.text and stored() == before


@pytest.mark.parametrize("role", ["officer", "participant", "viewer", "council_member"])
def test_only_supervisors_and_admins_may_invite(ctx, w, role):
    client = client_for(ctx, make_user(role, w.agency_b))
    before = stored()
    response = invite(client, "x@example.ir", "کسی", w.agency_b.id)
    assert response.status_code == 403
    assert stored() == before


def test_an_admin_invites_to_an_agency_but_not_to_a_task(ctx, w):
    """Admins keep the system and may invite to an agency; tasks belong to those who run them (REVIEW_TASK)."""
    admin = make_user("admin", w.office)
    task = new_task(w, w.agency_a)
    assert FA_SENT in invite(client_for(ctx, admin), "by.admin@example.ir", "دعوت مدیر", w.agency_b.id).text
    before = stored()
    with pytest.raises(AccessDenied):
        invitations.invite_participant(admin, {"email": "t@example.ir", "name": "کسی", "agency_id": w.agency_b.id,
                                               "task_id": task.id}, NOW, 7)
    db.session.rollback()
    assert stored() == before


def test_the_e_mail_is_queued_in_the_same_transaction(ctx, w):
    """Decision 2: the invitation e-mail exists exactly when the invitation does (rollback → no row)."""
    before = stored()
    invitations.invite_participant(w.sup, {"email": "rolled@example.ir", "name": "برگشتی",
                                           "agency_id": w.agency_b.id}, NOW, 7)
    db.session.flush()
    assert count(OutboxMessage, OutboxMessage.to_addr == "rolled@example.ir") == 1  # inside the transaction
    db.session.rollback()
    assert stored() == before
    assert count(OutboxMessage, OutboxMessage.to_addr == "rolled@example.ir") == 0


def test_a_name_with_line_breaks_forges_no_header(ctx, w):
    """X11: CR/LF (and U+2028) in the invited name and the inviter's name never become e-mail headers."""
    w.sup.name = "ناظر\r\nX-Injected: 1"  # as if an older import had stored it raw
    db.session.commit()
    hostile = "Eve\r\nBcc: victim@evil.ir\u2028Subject: pay now"
    invitations.invite_participant(w.sup, {"email": "eve@example.ir", "name": hostile,
                                           "agency_id": w.agency_b.id}, NOW, 7)
    db.session.commit()
    person = user_by_email("eve@example.ir")
    assert person.name == clean_line(hostile) and not re.search(r"[\r\n\u2028]", person.name)
    mail = invitation_mail(person)
    assert not re.search(r"[\r\n\u2028]", mail.subject + mail.to_name)
    message = build(mail, mail_setup({**ctx.config, "MAIL_SERVER": "smtp.example.ir"}).smtp)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert len(message.get_all("Subject")) == 1 and "pay now" not in str(message["Subject"])
    assert "victim@evil.ir" not in str(message["To"]).split("<")[-1]
    assert str(message["To"]).endswith("<eve@example.ir>")
    headers, _, body = message.as_bytes().partition(b"\n\n")
    names = [line.split(b":")[0] for line in headers.split(b"\n") if line and not line[:1].isspace()]
    assert sorted(names) == sorted([b"Subject", b"From", b"To", b"Message-ID", b"Date", b"Auto-Submitted",
                                    b"MIME-Version", b"Content-Type"])
    assert "X-Injected: 1" not in message.get_body(("plain",)).get_content().splitlines()  # no line of its own


# --- accepting ---------------------------------------------------------------------------------------------------


def invited_to(ctx, w, task: Task | None = None, agency=None) -> tuple[User, str]:
    invitations.invite_participant(w.sup, {"email": "invited@example.ir", "name": "مهمان دعوت‌شده",
                                           "agency_id": (agency or w.agency_b).id,
                                           "task_id": task.id if task else None}, NOW, 7)
    db.session.commit()
    person = user_by_email("invited@example.ir")
    return person, link_of(invitation_mail(person))


def test_the_invitation_page_says_who_invited_to_what_until_when(ctx, w):
    task = new_task(w, w.agency_a, title="گزارش پل‌ها")
    _person, link = invited_to(ctx, w, task)
    page = ctx.test_client().get(link)
    assert page.status_code == 200
    text = page_text(page)
    assert "مهمان دعوت‌شده" in text and "گزارش پل‌ها" in text and w.plan.title in text
    assert "invited@example.ir" in text and "1405/02/22" in text  # expires NOW + 7 days, in the Jalali calendar
    assert page.headers["Cache-Control"] == "no-store"
    assert count(ActionToken, ActionToken.used_at.is_not(None)) == 0  # looking changes nothing


def test_choosing_a_password_activates_signs_in_and_opens_the_inbox(ctx, w):
    task = new_task(w, w.agency_a, title="گزارش پل‌ها")
    person, link = invited_to(ctx, w, task)
    browser = ctx.test_client()
    response = browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/tasks/"
    person = user_by_email("invited@example.ir")
    assert person.is_active and person.password_changed_at == NOW
    inbox = browser.get("/tasks/")
    assert inbox.status_code == 200 and titles_in(inbox) == ["گزارش پل‌ها"]
    assert "مهمان دعوت‌شده" in inbox.text
    token = db.session.scalar(sa.select(ActionToken).where(ActionToken.user_id == person.id))
    assert token.used_at == NOW
    assert count(AuditEvent, AuditEvent.action == "user.invitation_accepted", AuditEvent.object_id == person.id) == 1
    # The password works from now on, through the ordinary sign-in.
    other = ctx.test_client()
    assert other.post("/login", data={"email": "invited@example.ir", "password": NEW_PASSWORD}).status_code == 302


def test_a_reused_invitation_link_is_refused_with_410(ctx, w):
    _person, link = invited_to(ctx, w)
    assert ctx.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    again = ctx.test_client()
    for response in (again.get(link), again.post(link, data={"password": "x" * 12, "confirm": "x" * 12})):
        assert response.status_code == 410
        assert FA_USED in response.text and "ورود" in response.text
    assert verify_password_of("invited@example.ir", NEW_PASSWORD)  # the second POST changed nothing


def verify_password_of(email: str, password: str) -> bool:
    return verify_password(user_by_email(email).password_hash, password)


def test_an_expired_invitation_link_is_refused_with_410_and_says_what_to_do(ctx, w):
    _person, link = invited_to(ctx, w)
    clock.freeze(NOW + timedelta(days=7) - timedelta(seconds=1))
    assert ctx.test_client().get(link).status_code == 200
    clock.freeze(NOW + timedelta(days=7))
    for response in (ctx.test_client().get(link),
                     ctx.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})):
        assert response.status_code == 410
        assert FA_EXPIRED in response.text and "دعوت تازه" in response.text
    assert not user_by_email("invited@example.ir").is_active


@pytest.mark.parametrize("link", ["/invitation/nonsense", "/invitation/" + "A" * 43, "/invitation/" + "é" * 50])
def test_an_unknown_invitation_link_is_404(ctx, w, link):
    response = ctx.test_client().get(link)
    assert response.status_code == 404 and FA_NOT_VALID in response.text


@pytest.mark.parametrize(("password", "confirm", "expected"), [
    ("short", "short", FA_PASSWORD_LENGTH),
    (NEW_PASSWORD, NEW_PASSWORD + "x", FA_DIFFER),
    ("", "", "الزامی است"),
])
def test_a_bad_password_is_refused_in_persian_and_the_link_still_works(ctx, w, password, confirm, expected):
    _person, link = invited_to(ctx, w)
    browser = ctx.test_client()
    response = browser.post(link, data={"password": password, "confirm": confirm})
    assert response.status_code == 200 and expected in response.text
    assert not user_by_email("invited@example.ir").is_active
    assert count(ActionToken, ActionToken.used_at.is_not(None)) == 0  # nothing lost
    assert browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_accepting_ends_any_session_opened_before(ctx, w):
    """The session token rotates at acceptance: nothing signed in with the account before (there can be nothing,
    but the rule is the same as a password change) survives."""
    person, link = invited_to(ctx, w)
    before = person.session_token
    ctx.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert user_by_email("invited@example.ir").session_token != before


# --- what a guest sees -------------------------------------------------------------------------------------------


def test_a_guest_from_another_agency_sees_that_task_and_no_other_of_its_agency(ctx, w):
    """Rule kept consistent with the inbox: a participant sees the tasks of their own agency, their personal ones,
    and the tasks they are a guest of — never the rest of the agency that owns the guest task."""
    guest_task = new_task(w, w.agency_a, title="گزارش پل‌ها")
    other_task = new_task(w, w.agency_a, title="کار دیگر راه و شهرسازی")
    own_agency_task = new_task(w, w.agency_b, title="کار منابع طبیعی")
    _person, link = invited_to(ctx, w, guest_task, agency=w.agency_b)
    browser = ctx.test_client()
    browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert sorted(titles_in(browser.get("/tasks/"))) == sorted(["گزارش پل‌ها", "کار منابع طبیعی"])
    assert browser.get(f"/tasks/{guest_task.id}/").status_code == 200
    assert browser.get(f"/tasks/{other_task.id}/").status_code == 404
    assert browser.get(f"/tasks/{own_agency_task.id}/").status_code == 200
    guest = user_by_email("invited@example.ir")
    assert can(guest, Perm.WORK_ON_TASK, guest_task) and not can(guest, Perm.VIEW_TASKS, other_task)
    # And the guest can work on it: take it, as the agency's own officers can.
    response = post_action(browser, guest_task, "take")
    assert response.status_code == 200, response.text
    db.session.expire_all()
    assert db.session.get(Task, guest_task.id).status == TaskStatus.IN_PROGRESS
    assert "کار دیگر راه و شهرسازی" not in browser.get("/tasks/export.csv").text


def test_a_guest_inbox_costs_the_same_number_of_queries_with_more_guest_tasks(ctx, w):
    from tests.test_task_inbox import statements_for

    tasks = [new_task(w, w.agency_a, title=f"کار مهمان {n}") for n in range(3)]
    person, link = invited_to(ctx, w, tasks[0])
    browser = ctx.test_client()
    browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    small = statements_for(browser, "/tasks/")
    for task in tasks[1:] + [new_task(w, w.agency_a, title=f"کار بیشتر {n}") for n in range(10)]:
        db.session.execute(task_guests.insert().values(task_id=task.id, user_id=person.id))
    db.session.commit()
    large = statements_for(browser, "/tasks/")
    assert len(large) == len(small)
    assert len(titles_in(browser.get("/tasks/"))) == 13


# --- the participants page and X1 --------------------------------------------------------------------------------


def test_the_participants_page_lists_invitations_and_their_state(ctx, w):
    supervisor = client_for(ctx, w.sup)
    invite(supervisor, "waiting@example.ir", "منتظر", w.agency_b.id)
    invite(supervisor, "accepted@example.ir", "پذیرفته", w.agency_b.id)
    link = link_of(invitation_mail(user_by_email("accepted@example.ir")))
    ctx.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    page = supervisor.get("/invitations/")
    assert page.status_code == 200
    statuses = dict(re.findall(r'<tr data-status="(\w+)">\s*<td>([^<]+)</td>', page.text))
    assert statuses == {"waiting": "منتظر", "accepted": "پذیرفته"}
    fragment = supervisor.get("/invitations/", headers={"HX-Request": "true", "HX-Target": "invitation-table"})
    assert fragment.text.lstrip().startswith('<div id="invitation-table"') and "<html" not in fragment.text
    assert 'id="participants-link"' in page.text


def test_invited_names_are_escaped_everywhere_they_are_shown(ctx, w):
    """X1: the name an inviter types is shown on the participants page, the acceptance page, the inbox and in the
    HTML e-mail — always escaped."""
    supervisor = client_for(ctx, w.sup)
    task = new_task(w, w.agency_a, title="گزارش پل‌ها")
    for n, payload in enumerate(PAYLOADS):
        response = invite(supervisor, f"p{n}@example.ir", payload[:120], w.agency_b.id, task.id)
        assert response.status_code == 200 and FA_SENT in response.text, response.text
    texts = [payload[:120] for payload in PAYLOADS]
    responses = {"participants": supervisor.get("/invitations/"),
                 "table": supervisor.get("/invitations/", headers={"HX-Request": "true",
                                                                   "HX-Target": "invitation-table"})}
    for n in range(len(PAYLOADS)):
        mail = invitation_mail(user_by_email(f"p{n}@example.ir"))
        responses[f"accept {n}"] = ctx.test_client().get(link_of(mail))
        problems = unescaped_reflections(mail.html_body, texts)
        assert not problems, (n, problems)
    for label, response in responses.items():
        assert response.status_code == 200, label
        assert not unescaped_reflections(response.text, texts), label
    assert str(escape(PAYLOADS[0])) in responses["participants"].text


def test_the_participants_page_is_refused_to_those_who_may_not_invite(ctx, w):
    assert client_for(ctx, w.a1).get("/invitations/").status_code == 403
    assert ctx.test_client().get("/invitations/").status_code == 302
    assert 'id="participants-link"' not in client_for(ctx, w.a1).get("/").text
