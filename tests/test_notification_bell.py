"""The bell: the unread count in the top bar, refreshed by htmx (a poll and the notifications-changed event);
marking one or all read in place with htmx, and with plain form posts."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from html.parser import HTMLParser

import sqlalchemy as sa

from planapp.extensions import db
from planapp.notifications.models import Notification
from planapp.notifications.services import notify
from tests.factories import make_user, signed_in

T0 = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


class Attributes(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.found = element_id, None

    def handle_starttag(self, tag, attrs):
        if dict(attrs).get("id") == self.element_id:
            self.found = dict(attrs)


def attributes_of(page: str, element_id: str) -> dict | None:
    parser = Attributes(element_id)
    parser.feed(page)
    return parser.found


def three_notifications(user) -> list[int]:
    for n in range(3):
        notify([user.id], "task.assigned", {"task": f"وظیفه {n}", "plan": "برنامه"}, f"/tasks/{n}/", T0)
    db.session.commit()
    return list(db.session.scalars(sa.select(Notification.id).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def unread(user) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == user.id,
                                                              Notification.read_at.is_(None)))


def test_the_bell_polls_and_listens_without_setting_a_target_its_link_would_inherit(ctx, client):
    user = make_user()
    three_notifications(user)
    page = signed_in(client, user).get("/").text
    wrapper = attributes_of(page, "notifications-nav")
    assert wrapper["hx-get"] == "/notifications/count"
    assert wrapper["hx-trigger"] == "every 60s, notifications-changed from:body"
    assert "hx-target" not in wrapper and "hx-swap" not in wrapper
    assert attributes_of(page, "notifications-link")["href"] == "/notifications/"
    assert ">۳</span>" in page


def test_the_count_fragment_is_the_link_with_persian_digits(ctx, client):
    user = make_user()
    three_notifications(user)
    signed_in(client, user)
    fragment = client.get("/notifications/count", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.strip().startswith('<a class="bell" href="/notifications/" id="notifications-link">')
    assert ">۳</span>" in fragment.text and "<html" not in fragment.text
    client.post("/notifications/read-all")
    assert 'class="count"' not in client.get("/notifications/count", headers=HX).text


def test_the_poll_does_not_keep_an_idle_session_alive(ctx, client):
    """A tab left open polls every minute; after SESSION_IDLE_TIMEOUT without the person, the session ends."""
    user = make_user()
    signed_in(client, user)
    idle = int(ctx.config["SESSION_IDLE_TIMEOUT"].total_seconds())
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - idle + 120  # two minutes before the idle limit
        seen = session["seen"]
    assert client.get("/notifications/count", headers=HX).status_code == 200
    with client.session_transaction() as session:
        assert session["seen"] == seen  # the poll is not activity
    client.get("/notifications/")
    with client.session_transaction() as session:
        assert session["seen"] > seen  # a page the person opens is
        session["seen"] = int(time.time()) - idle - 5
    response = client.get("/notifications/count", headers=HX)
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"  # the page goes to sign-in


def test_marking_one_read_in_place_returns_the_item_and_tells_the_bell(ctx, client):
    user = make_user()
    ids = three_notifications(user)
    signed_in(client, user)
    page = client.get("/notifications/").text
    form = attributes_of(page, f"notification-{ids[0]}")
    assert form is not None and "خوانده شد" in page  # the "Mark as read" button
    response = client.post(f"/notifications/{ids[0]}/read",
                           headers={**HX, "HX-Target": f"notification-{ids[0]}"})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"notifications-changed": None}
    assert response.text.strip().startswith(f'<li class="read" id="notification-{ids[0]}">')
    assert "mark-read" not in response.text and "<html" not in response.text
    assert unread(user) == 2


def test_marking_all_read_in_place_returns_the_list_and_tells_the_bell(ctx, client):
    user = make_user()
    three_notifications(user)
    signed_in(client, user)
    response = client.post("/notifications/read-all", headers={**HX, "HX-Target": "notification-list"})
    assert response.status_code == 200 and "notifications-changed" in response.headers["HX-Trigger"]
    assert response.text.strip().startswith('<div id="notification-list">')
    assert 'class="unread"' not in response.text and response.text.count('class="read"') == 3
    assert unread(user) == 0


def test_without_javascript_the_forms_still_work(ctx, client):
    user = make_user()
    ids = three_notifications(user)
    signed_in(client, user)
    opened = client.post(f"/notifications/{ids[1]}/read", data={"next": "/tasks/1/"})
    assert opened.status_code == 302 and opened.location == "/tasks/1/"  # the notification's link
    marked = client.post(f"/notifications/{ids[2]}/read")  # the "Mark as read" button: back to the list
    assert marked.status_code == 302 and marked.location == "/notifications/"
    assert unread(user) == 1
    everything = client.post("/notifications/read-all")
    assert everything.status_code == 302 and unread(user) == 0
    boosted = client.post(f"/notifications/{ids[0]}/read", data={"next": "//evil.example/"},
                          headers={**HX, "HX-Boosted": "true"})
    assert boosted.status_code == 302 and boosted.location == "/notifications/"  # never off-site


def test_someone_elses_notification_is_not_touched(ctx, client):
    owner, other = make_user(), make_user()
    ids = three_notifications(owner)
    signed_in(client, other)
    response = client.post(f"/notifications/{ids[0]}/read", headers={**HX, "HX-Target": f"notification-{ids[0]}"})
    assert response.status_code == 200 and response.text == ""
    assert unread(owner) == 3


def test_the_list_pages_as_a_fragment(ctx, client):
    user = make_user()
    for n in range(35):
        notify([user.id], "task.assigned", {"task": f"وظیفه {n}", "plan": "برنامه"}, "/tasks/", T0)
    db.session.commit()
    signed_in(client, user)
    fragment = client.get("/notifications/?page=2", headers={**HX, "HX-Target": "notification-list"})
    assert fragment.text.strip().startswith('<div id="notification-list">') and "<html" not in fragment.text
    assert fragment.text.count("<li ") == 5 and 'rel="prev"' in fragment.text
