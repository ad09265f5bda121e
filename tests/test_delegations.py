"""Delegation (issue 4): a user names a substitute for the days away, who then sees (and may work on) the absent
user's personal tasks until the delegation ends or is revoked; refusals in Persian that store nothing, and the
audit trail.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from planapp.accounts import delegations
from planapp.accounts.models import Delegation
from planapp.core import clock
from planapp.core.i18n import ascii_digits
from planapp.extensions import db
from planapp.tasks import services as tasks
from tests.factories import make_agency, make_user
from tests.task_admin_helpers import (
    FA_BAD_DATE,
    FA_REQUIRED,
    HX,
    MISSING_ID,
    admin_world,
    events,
    text_of,
)
from tests.task_helpers import NOW, TODAY, client_for, count, doc

# What the user reads (fa); digits are compared after folding to ASCII.
FA_END_BEFORE_START = "پایان غیبت پیش از آغاز آن است."
FA_IN_THE_PAST = "آغاز غیبت نمی‌تواند در گذشته باشد (امروز 1405/02/15 است)."
FA_COLLEAGUE = "یکی از همکاران فعال دستگاه خودتان را انتخاب کنید."
FA_NOT_YOURSELF = "نمی‌توانید جانشین خودتان باشید."
FA_OVERLAP = "شما از 1405/02/26 تا 1405/02/31 جانشین دارید"
FA_AWAY_TOO = "هم از 1405/02/16 تا 1405/02/30 حضور ندارد"
FA_ALREADY_REVOKED = "این جانشینی پیش‌تر لغو شده است."

w = admin_world  # a fixture from tests/task_admin_helpers.py, under the name the tests use


# --- delegation --------------------------------------------------------------------------------------------------


def delegation_form(**changes) -> dict:
    return {"starts_on": "۱۴۰۵/۰۲/۱۵", "ends_on": "1405/02/20", "substitute_id": "", "reason": "مأموریت اداری"} | {
        key: str(value) for key, value in changes.items()}


def post_delegation(client, **changes):
    return client.post("/account/delegation", headers={**HX, "HX-Target": "delegation-panel"},
                       data=delegation_form(**changes))


def inbox_titles(client) -> list[str]:
    page = client.get("/tasks/?mine=1")
    assert page.status_code == 200
    return [" ".join(a.text_content().split()) for a in doc(page).xpath('//div[@id="task-list"]//tbody//a')]


def test_a_substitute_sees_the_absent_officers_personal_task_until_it_is_revoked(ctx, w):
    task = tasks.create_task(w.sup, w.plan, {"title": "گزارش شخصی علی", "assignee_id": w.a1.id,
                                             "due_on": date(2026, 5, 12)}, NOW)
    db.session.commit()
    absent, substitute = client_for(ctx, w.a1), client_for(ctx, w.a2)
    assert "گزارش شخصی علی" not in inbox_titles(substitute)

    page = absent.get("/account/delegation")
    choices = doc(page).xpath('//select[@id="substitute_id"]/option/text()')
    assert choices == ["— انتخاب کنید —", "مریم راهور"]  # the other active people of agency A, not oneself

    saved = post_delegation(absent, substitute_id=w.a2.id)
    assert saved.status_code == 200 and "<html" not in saved.text and 'id="delegation-panel"' in saved.text
    assert "مریم راهور از 1405/02/15 تا 1405/02/20 جانشین شماست." in ascii_digits(saved.text)
    delegation = db.session.scalars(sa.select(Delegation)).one()
    assert (delegation.user_id, delegation.substitute_id, delegation.starts_on, delegation.ends_on,
            delegation.reason, delegation.created_at, delegation.revoked_at) == (
        w.a1.id, w.a2.id, date(2026, 5, 5), date(2026, 5, 10), "مأموریت اداری", NOW, None)
    current = doc(saved).xpath(f'//tr[@id="delegation-{delegation.id}"]')[0].text_content()
    assert "مریم راهور" in current and "برقرار" in current

    assert "گزارش شخصی علی" in inbox_titles(substitute)
    assert substitute.get(f"/tasks/{task.id}/").status_code == 200
    stands_in = text_of(substitute.get("/account/delegation"))
    assert "شما جانشین این افراد هستید" in stands_in and "علی راهور، از 1405/02/15 تا 1405/02/20" in stands_in
    assert "گزارش شخصی علی" not in inbox_titles(client_for(ctx, w.b1))  # nobody else

    revoked = absent.post(f"/account/delegation/{delegation.id}/revoke",
                          headers={**HX, "HX-Target": "delegation-panel"})
    assert revoked.status_code == 200 and "جانشینی مریم راهور لغو شد." in revoked.text
    assert "لغوشده در 1405/02/15" in ascii_digits(
        doc(revoked).xpath('//section[@id="past-delegations"]')[0].text_content())
    assert "گزارش شخصی علی" not in inbox_titles(client_for(ctx, w.a2))
    assert client_for(ctx, w.a2).get(f"/tasks/{task.id}/").status_code == 404

    trail = events("delegation.")
    assert [(e.action, e.actor_id, e.object_id) for e in trail] == [
        ("delegation.create", w.a1.id, delegation.id), ("delegation.revoke", w.a1.id, delegation.id)]
    assert trail[0].after == {"user_id": w.a1.id, "substitute_id": w.a2.id, "starts_on": "2026-05-05",
                              "ends_on": "2026-05-10", "reason": "مأموریت اداری"}
    # A revoked delegation no longer blocks the same days.
    assert post_delegation(absent, substitute_id=w.a2.id).status_code == 200
    assert count(Delegation) == 2


def test_a_planned_delegation_gives_nothing_before_it_begins(ctx, w):
    tasks.create_task(w.sup, w.plan, {"title": "گزارش شخصی علی", "assignee_id": w.a1.id,
                                      "due_on": date(2026, 5, 12)}, NOW)
    db.session.commit()
    saved = post_delegation(client_for(ctx, w.a1), starts_on="1405/02/18", ends_on="1405/02/25",
                            substitute_id=w.a2.id)
    assert "آینده" in doc(saved).xpath('//section[@id="current-delegations"]')[0].text_content()
    assert "گزارش شخصی علی" not in inbox_titles(client_for(ctx, w.a2))


@pytest.mark.parametrize(("changes", "expected"), [
    pytest.param({"starts_on": "1405/02/20", "ends_on": "1405/02/18"}, FA_END_BEFORE_START, id="end before start"),
    pytest.param({"starts_on": "1405/02/14"}, FA_IN_THE_PAST, id="starts yesterday"),
    pytest.param({"substitute_id": "b1"}, FA_COLLEAGUE, id="another agency"),
    pytest.param({"substitute_id": "a3"}, FA_COLLEAGUE, id="a deactivated colleague"),
    pytest.param({"substitute_id": str(MISSING_ID)}, FA_COLLEAGUE, id="nobody"),
    pytest.param({"substitute_id": "a1"}, FA_NOT_YOURSELF, id="oneself"),
    pytest.param({"substitute_id": ""}, FA_REQUIRED, id="no substitute"),
    pytest.param({"ends_on": "1405/13/40"}, FA_BAD_DATE, id="no such day"),
    pytest.param({"starts_on": ""}, FA_REQUIRED, id="no start"),
    pytest.param({"starts_on": "1405/02/28", "ends_on": "1405/03/05"}, FA_OVERLAP, id="overlaps another"),
    pytest.param({"substitute_id": "a4"}, FA_AWAY_TOO, id="the substitute is away too"),
])
def test_a_bad_delegation_is_refused_in_persian_and_nothing_is_stored(ctx, w, changes, expected):
    a3 = make_user("officer", w.agency_a, name="رضا راهور")
    a3.is_active = False
    a4 = make_user("officer", w.agency_a, name="زهرا راهور")
    a5 = make_user("officer", w.agency_a, name="سارا راهور")
    delegations.set_delegation(w.a1, {"starts_on": date(2026, 5, 16), "ends_on": date(2026, 5, 21),
                                      "substitute_id": w.a2.id}, NOW)  # 1405/02/26 … 1405/02/31
    delegations.set_delegation(a4, {"starts_on": date(2026, 5, 6), "ends_on": date(2026, 5, 20),
                                    "substitute_id": a5.id}, NOW)  # a4 is away 1405/02/16 … 1405/02/30
    db.session.commit()
    people = {"a1": w.a1.id, "b1": w.b1.id, "a3": a3.id, "a4": a4.id}
    form = {"substitute_id": w.a2.id} | {key: people.get(value, value) for key, value in changes.items()}
    before = (count(Delegation), len(events("delegation.")))

    response = post_delegation(client_for(ctx, w.a1), **form)
    assert response.status_code == 200
    assert expected in text_of(response)
    assert (count(Delegation), len(events("delegation."))) == before


def test_only_ones_own_current_delegation_can_be_revoked(ctx, w):
    mine = delegations.set_delegation(w.a1, {"starts_on": TODAY, "ends_on": date(2026, 5, 10),
                                             "substitute_id": w.a2.id}, NOW)
    db.session.commit()
    other = client_for(ctx, w.a2)
    assert other.post(f"/account/delegation/{mine.id}/revoke", headers=HX).status_code == 404  # not shown to exist
    assert client_for(ctx, w.admin).post(f"/account/delegation/{mine.id}/revoke", headers=HX).status_code == 404
    db.session.expire_all()
    assert db.session.get(Delegation, mine.id).revoked_at is None

    owner = client_for(ctx, w.a1)
    assert owner.post(f"/account/delegation/{mine.id}/revoke").status_code == 302  # without htmx: back to the page
    again = owner.post(f"/account/delegation/{mine.id}/revoke", headers={**HX, "HX-Target": "delegation-panel"})
    assert again.status_code == 200 and FA_ALREADY_REVOKED in again.text
    assert [e.action for e in events("delegation.")] == ["delegation.create", "delegation.revoke"]
    # One that is over stays as it was.
    clock.freeze(datetime(2026, 5, 20, 8, 0, tzinfo=UTC))
    over = Delegation(user_id=w.a1.id, substitute_id=w.a2.id, starts_on=TODAY, ends_on=date(2026, 5, 10),
                      created_at=NOW)
    db.session.add(over)
    db.session.commit()
    refused = owner.post(f"/account/delegation/{over.id}/revoke", headers={**HX, "HX-Target": "delegation-panel"})
    assert "این جانشینی پیش‌تر به پایان رسیده است." in refused.text
    db.session.expire_all()
    assert db.session.get(Delegation, over.id).revoked_at is None


def test_the_delegation_page_without_colleagues_says_so(ctx, w):
    loner = make_user("officer", make_agency("انجمن تک‌نفره", kind="ngo"), name="تنها")
    page = client_for(ctx, loner).get("/account/delegation")
    assert page.status_code == 200
    assert "در دستگاه شما کاربر فعال دیگری نیست" in text_of(page)
    assert doc(page).xpath('//select[@id="substitute_id"]') == []
