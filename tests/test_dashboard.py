"""The dashboard shows what waits for the person: an officer's tasks to do (overdue first, with counts), a
supervisor's submissions to review; in a fixed number of statements however many tasks there are."""

from __future__ import annotations

from datetime import date, timedelta

import lxml.html
import pytest

from planapp.extensions import db
from planapp.tasks.lifecycle import TaskStatus
from tests.factories import make_user
from tests.sql_helpers import count_statements
from tests.task_helpers import NOW, client_for, new_task, task_world

w = task_world
TODAY = NOW.date()  # 1405/02/15 in Tehran too (11:30)


def card(response) -> lxml.html.HtmlElement | None:
    found = lxml.html.fromstring(response.text).xpath('//*[@id="tasks-card"]')
    return found[0] if found else None


def due(task, day: date):
    task.due_on = day  # test setup: a past due date cannot be typed, only reached
    return task


@pytest.fixture
def officer_tasks(w):
    late = due(new_task(w, w.agency_a, title="گزارش دیرکرد"), TODAY - timedelta(days=3))
    later = due(new_task(w, w.agency_a, title="گزارش دیرتر"), TODAY - timedelta(days=1))
    soon = due(new_task(w, w.agency_a, title="کار این هفته"), TODAY + timedelta(days=3))
    far = due(new_task(w, w.agency_a, title="کار ماه بعد"), TODAY + timedelta(days=30))
    new_task(w, w.agency_a, title="ارسال‌شده", status=TaskStatus.SUBMITTED)
    new_task(w, w.agency_b, title="کار دستگاه دیگر")
    db.session.commit()
    return late, later, soon, far


def test_an_officer_sees_the_counts_and_the_next_tasks_overdue_first(ctx, w, officer_tasks):
    late, later, soon, far = officer_tasks
    found = card(client_for(ctx, w.a1).get("/"))
    assert found is not None
    text = " ".join(found.text_content().split())
    # 4 to do (not the submitted one, not agency B's), 2 overdue, 1 due within a week; Persian digits.
    assert "۴ وظیفه برای انجام" in text and "۲ وظیفه از مهلت گذشته" in text and "۱ وظیفه با مهلت تا یک هفته" in text
    links = [(a.text_content(), a.get("href")) for a in found.xpath('.//ul[@class="next-tasks"]//a')]
    assert links == [(t.title, f"/tasks/{t.id}/") for t in (late, later, soon, far)]
    assert "کار دستگاه دیگر" not in text and "ارسال‌شده" not in text
    assert len(found.xpath('.//strong[@class="late"]')) == 3  # the count and the two overdue tasks
    assert found.xpath('.//a[@href="/tasks/"]')


def test_at_most_five_tasks_are_listed_in_the_same_statements_however_many(ctx, w, officer_tasks):
    browser = client_for(ctx, w.a1)
    browser.get("/")
    with count_statements(include_begin=False) as few:
        browser.get("/")
    for n in range(25):
        new_task(w, w.agency_a, title=f"کار {n}")
    db.session.commit()
    with count_statements(include_begin=False) as many:
        response = browser.get("/")
    assert len(card(response).xpath('.//ul[@class="next-tasks"]/li')) == 5
    assert "۲۹ وظیفه برای انجام" in card(response).text_content()
    assert len(many) == len(few), many


def test_an_english_reader_gets_english_words_and_ascii_digits(ctx, w, officer_tasks):
    w.a1.language = "en"
    db.session.commit()
    text = " ".join(card(client_for(ctx, w.a1).get("/")).text_content().split())
    assert "Your tasks" in text and "4 tasks to do" in text and "2 overdue" in text and "1 due within a week" in text


def test_nothing_to_do_is_said_in_a_sentence(ctx, w):
    participant = make_user("participant", w.agency_b, name="مشارکت‌کننده")
    text = card(client_for(ctx, participant).get("/")).text_content()
    assert "اکنون کاری در انتظار شما نیست" in text


def test_a_supervisor_sees_the_submissions_to_review_and_an_admin_no_task_card(ctx, w):
    new_task(w, w.agency_a, title="ارسال یکم", status=TaskStatus.SUBMITTED)
    new_task(w, w.agency_b, title="ارسال دوم", status=TaskStatus.SUBMITTED)
    new_task(w, w.agency_b, title="باز")
    text = " ".join(card(client_for(ctx, w.sup).get("/")).text_content().split())
    assert "۲ وظیفهٔ ارسال‌شده در انتظار بررسی است" in text
    assert 'href="/tasks/review"' in client_for(ctx, w.sup).get("/").text
    assert card(client_for(ctx, make_user("admin", w.office)).get("/")) is None
