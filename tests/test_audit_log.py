"""The audit log page: every change with who, when, what and before → after; admins only."""

from __future__ import annotations

import re

import sqlalchemy as sa

from planapp.audit.models import AuditEvent
from planapp.extensions import db
from tests.factories import make_agency, make_user, signed_in
from tests.sql_helpers import count_statements


def test_admin_sees_changes_with_before_and_after(client):
    admin = make_user(role="admin", email="boss@example.ir")
    agency = make_agency(name="اداره کل منابع طبیعی")
    signed_in(client, admin)
    client.post(f"/admin/agencies/{agency.id}", headers={"HX-Request": "true"},
                data={"name": "اداره کل منابع طبیعی و آبخیزداری", "kind": "government"})
    page = client.get("/admin/audit/?realm=agency")
    assert page.status_code == 200
    assert "agency.update" in page.text and "boss@example.ir" in page.text
    assert "دستگاهی را ویرایش کرد" in page.text  # agency.update in words
    # Read right to left on the Persian page: before ← after.
    assert "اداره کل منابع طبیعی ← اداره کل منابع طبیعی و آبخیزداری" in _visible(page.text.split("<tbody>")[1])
    assert "auth.login" not in page.text  # the realm filter keeps sign-ins out


def test_sign_in_events_are_listed_under_security(client):
    admin = make_user(role="admin", email="boss@example.ir")
    signed_in(client, admin)
    page = client.get("/admin/audit/?realm=auth")
    assert "auth.login" in page.text and "127.0.0.1" in page.text


def test_search_finds_events_by_person(client):
    admin = make_user(role="admin", email="boss@example.ir")
    make_user(email="someone@example.ir")
    signed_in(client, admin)
    page = client.get("/admin/audit/?q=someone")
    assert "someone@example.ir" in page.text and "boss@example.ir" not in page.text.split("<tbody>")[1]


def test_audit_log_pages_without_counting_every_row(client):
    admin = make_user(role="admin")
    for n in range(55):
        make_agency(name=f"دستگاه {n}")
    signed_in(client, admin)
    first = client.get("/admin/audit/")
    assert 'rel="next"' in first.text
    second = client.get("/admin/audit/?page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.text


def test_non_admins_cannot_read_the_audit_log(client):
    for role in ("supervisor", "officer", "participant", "viewer"):
        other = client.application.test_client()
        signed_in(other, make_user(role=role))
        assert other.get("/admin/audit/").status_code == 403


# --- the log in the reader's language; the stored row stays as it was -------------------------------------------


def _record_move(admin) -> None:
    """A plan move as the workflow records it, with a date, a number and stage names in before → after."""
    from planapp.audit.services import record

    record(admin, "plan.transition", None, object_type="plans", summary="برنامه آزمایشی: complete_assessment",
           before={"stage": "situation_assessment", "due_on": "2024-06-01", "document_version": 12},
           after={"stage": "analysis", "due_on": "2024-06-20", "document_version": 13})
    record(admin, "robot.unknown_thing", None, object_type="robots", summary="x", after={"role": "supervisor"})
    db.session.commit()


def _row(page_text: str, action: str) -> str:
    """The table row of the first event whose action is `action` (the raw key is kept in the row)."""
    body = page_text.split("<tbody>")[1]
    return next(row for row in body.split("</tr>") if f'"{action}"' in row or f">{action}<" in row)


def _visible(row: str) -> str:
    """The row's text as read on the page: no tags, no titles, without the folded stored data."""
    return re.sub(r"<[^>]+>", "", row.split("<details")[0])


def test_persian_page_shows_labels_jalali_dates_and_persian_digits(client):
    admin = make_user(role="admin")
    signed_in(client, admin)
    _record_move(admin)
    row = _row(client.get("/admin/audit/").text, "plan.transition")
    text = _visible(row)
    assert "انتقالی را تأیید کرد" in text  # plan.transition, as the plan's activity feed says it
    assert "۱۴۰۳/۰۳/۱۲ ← ۱۴۰۳/۰۳/۳۱" in text  # 2024-06-01 → 2024-06-20 in Jalali
    assert "۱۲ ← ۱۳" in text and "شناخت وضع موجود ← تحلیل و هسته‌های پیشران" in text
    assert "برنامه آزمایشی: رفتن به مرحلهٔ تحلیل" in text  # the event key of the summary by its label
    for raw in ("plan.transition", "2024", "complete_assessment", "situation_assessment", "12"):
        assert raw not in text, raw
    # The stored values stay at hand: the key and each value in a title, the whole row in the details.
    assert 'title="plan.transition"' in row and 'title="برنامه آزمایشی: complete_assessment"' in row
    assert 'title="&#34;2024-06-01&#34;"' in row and 'title="&#34;situation_assessment&#34;"' in row
    assert "&#34;due_on&#34;: &#34;2024-06-01&#34;" in row and "&#34;document_version&#34;: 12" in row


def test_english_page_shows_gregorian_dates_and_english_labels(client):
    admin = make_user(role="admin", language="en")
    signed_in(client, admin)
    _record_move(admin)
    text = _visible(_row(client.get("/admin/audit/").text, "plan.transition"))
    assert "approved a move" in text and "Move on to analysis" in text
    assert "2024-06-01 → 2024-06-20" in text and "12 → 13" in text
    assert "Situation assessment → Analysis and driving cores" in text
    assert "۱" not in text


def test_unknown_action_falls_back_to_the_raw_key(client):
    admin = make_user(role="admin")
    signed_in(client, admin)
    _record_move(admin)
    row = _row(client.get("/admin/audit/").text, "robot.unknown_thing")
    assert '<code dir="ltr">robot.unknown_thing</code>' in row
    assert "ناظر" in _visible(row)  # a role's value by its label (Supervisor)


def test_stored_rows_and_the_chain_are_untouched_by_the_page(client):
    from planapp.audit.chain import verify_chain
    from planapp.audit.queries import iter_chain_rows

    admin = make_user(role="admin")
    signed_in(client, admin)
    _record_move(admin)
    client.get("/admin/audit/")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.transition")).one()
    assert event.before["due_on"] == "2024-06-01" and event.summary.endswith("complete_assessment")
    db.session.commit()  # the chain is read on connections of its own (SQLite: one writer at a time)
    assert verify_chain(iter_chain_rows()).ok


def test_audit_page_statements_do_not_grow_with_rows(client):
    admin = make_user(role="admin")
    signed_in(client, admin)

    def statements() -> int:
        client.get("/admin/audit/")  # warm up
        with count_statements() as sent:
            assert client.get("/admin/audit/").status_code == 200
        return len(sent)

    few = statements()
    for _n in range(5):
        _record_move(admin)
    assert statements() == few
