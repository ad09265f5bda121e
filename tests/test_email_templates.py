"""Every kind of e-mail renders in Persian (RTL, Persian digits, Jalali dates, every sentence translated) and in
English, with its link, and escapes what users typed in the HTML part."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from planapp.mail.messages import OWN_TEMPLATES, SUBJECTS
from planapp.mail.render import render_email
from planapp.notifications.messages import TEMPLATES

TYPED = "<b>گزارش</b> & <script>x()</script>"  # what a person could type into a task title or a name
ESCAPED = "&lt;b&gt;گزارش&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;"
PARAMS = {
    "actor": "علی رضایی", "plan": TYPED, "task": TYPED, "stage": "analysis", "reason": TYPED, "agency": TYPED,
    "due": "2026-05-01", "days": 12, "period": "۱۴۰۵", "count": 7, "to": "a@example.ir", "error": "SMTP 550",
    "inviter": "علی رضایی", "minutes": 60, "items": [TYPED, "دومی"], "day": date(2026, 5, 2), "more": 0,
}
KINDS = sorted(set(TEMPLATES) | OWN_TEMPLATES)
LINK = "/tasks/12/?tab=files&x=1"
URL = re.compile(r"https?://\S+")


def visible_text(page: str) -> str:
    body = page.split("<body", 1)[1].split(">", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def latin_words(text: str) -> set[str]:
    """English words left in a Persian e-mail once addresses, codes and the typed text are set aside."""
    text = URL.sub(" ", text).replace("SMTP 550", "").replace("a@example.ir", "")
    text = re.sub(r"</?\w+>|x\(\)", " ", text)
    return set(re.findall(r"[A-Za-z]{2,}", text))


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_in_persian_is_rtl_translated_and_in_persian_digits(ctx, kind):
    rendered = render_email(kind, PARAMS, LINK, "fa", "زهرا <حسینی>")
    assert '<html lang="fa" dir="rtl">' in rendered.html and 'dir="rtl"' in rendered.html.split("<body", 1)[1]
    assert rendered.subject and "\n" not in rendered.subject and "\r" not in rendered.subject
    assert not latin_words(rendered.text), latin_words(rendered.text)  # every sentence has its Persian
    assert not latin_words(visible_text(rendered.html)), kind
    if kind in SUBJECTS:
        assert not latin_words(rendered.subject), rendered.subject
    url = "http://127.0.0.1:5000/tasks/12/?tab=files&x=1"
    assert url in rendered.text and 'href="http://127.0.0.1:5000/tasks/12/?tab=files&amp;x=1"' in rendered.html
    assert "زهرا &lt;حسینی&gt; گرامی" in rendered.html and "زهرا <حسینی> گرامی" in rendered.text
    if kind in ("task.overdue", "task.escalated", "task.due_soon"):
        assert "۱۴۰۵/۰۲/۱۱" in rendered.text  # 2026-05-01 in the Jalali calendar, Persian digits
    if kind in ("task.overdue", "task.escalated"):
        assert "۱۲ روز" in rendered.text
    if kind == "digest":
        assert "۱۴۰۵/۰۲/۱۲" in rendered.text


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_in_english_is_ltr_with_gregorian_dates(ctx, kind):
    rendered = render_email(kind, PARAMS, LINK, "en", "Zahra")
    assert '<html lang="en" dir="ltr">' in rendered.html
    assert not re.search("[۰-۹]", URL.sub("", rendered.text).replace("۱۴۰۵", "")), rendered.text
    assert "http://127.0.0.1:5000/tasks/12/?tab=files&x=1" in rendered.text
    assert "Dear Zahra," in rendered.text and "Dear Zahra," in rendered.html
    if kind in ("task.overdue", "task.escalated", "task.due_soon"):
        assert "2026-05-01" in rendered.text
    if kind == "digest":
        assert "2026-05-02" in rendered.text


@pytest.mark.parametrize("locale", ["fa", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_typed_text_is_escaped_in_the_html_part_and_kept_in_the_text_part(ctx, kind, locale):
    rendered = render_email(kind, PARAMS, LINK, locale, TYPED)
    assert "<script>" not in rendered.html and "<b>گزارش" not in rendered.html
    assert ESCAPED in rendered.html  # the name in the greeting, and titles/items where the kind shows them
    assert TYPED in rendered.text  # plain text is not HTML: shown as typed
    assert rendered.html.count("<a ") == rendered.html.count("</a>") >= 1


def test_numbers_and_dates_in_own_templates_follow_the_language(ctx):
    invitation = render_email("invitation", {**PARAMS, "days": 7}, LINK, "fa")
    assert "۷ روز" in invitation.text and "7" not in URL.sub("", invitation.text)
    reset = render_email("password_reset", PARAMS, LINK, "fa")
    assert "۶۰ دقیقه" in reset.text
    assert "60 minutes" in render_email("password_reset", PARAMS, LINK, "en").text
    many = render_email("digest", {**PARAMS, "more": 1250}, "/notifications/", "fa")
    assert "۱٬۲۵۰" in many.text
