"""Template filters follow the UI language: Jalali + Persian digits in Persian, Gregorian + ASCII in English."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import render_template_string, session
from flask_babel import refresh

from planapp.web.filters import jdate


def render_in(app, language: str, template: str, **context) -> str:
    with app.test_request_context("/"):
        session["lang"] = language
        refresh()  # Flask-Babel caches the locale on the application context
        return render_template_string(template, **context)


def test_jdate_in_persian_and_english(ctx):
    day = date(2026, 3, 21)
    assert render_in(ctx, "fa", "{{ d|jdate }}", d=day) == "۱۴۰۵/۰۱/۰۱"
    assert render_in(ctx, "en", "{{ d|jdate }}", d=day) == "2026-03-21"


def test_jdatetime_shows_tehran_time(ctx):
    moment = datetime(2026, 3, 21, 8, 15, tzinfo=UTC)
    assert render_in(ctx, "fa", "{{ m|jdatetime }}", m=moment) == "۱۴۰۵/۰۱/۰۱ ۱۱:۴۵"
    assert render_in(ctx, "en", "{{ m|jdatetime }}", m=moment) == "2026-03-21 11:45"


def test_num_and_digits(ctx):
    assert render_in(ctx, "fa", "{{ 15000|num }} {{ 42|digits }}") == "۱۵٬۰۰۰ ۴۲"
    assert render_in(ctx, "en", "{{ 15000|num }} {{ 42|digits }}") == "15,000 42"


def test_missing_dates_show_a_dash(ctx):
    with ctx.test_request_context("/"):
        assert jdate(None) == "—"


def test_file_sizes_never_read_zero_and_use_the_languages_digits(ctx):
    template = "{{ a|filesize }} | {{ b|filesize }} | {{ c|filesize }}"
    sizes = {"a": 312, "b": 1536, "c": 12_900_000}
    assert render_in(ctx, "fa", template, **sizes) == "۳۱۲ بایت | ۱٫۵ کیلوبایت | ۱۲٫۳ مگابایت"
    assert render_in(ctx, "en", template, **sizes) == "312 bytes | 1.5 KB | 12.3 MB"


def test_a_users_file_name_keeps_its_place_in_a_persian_sentence_and_stays_escaped(ctx):
    html = render_in(ctx, "fa", "«{{ name|isolate }}»، {{ 8|digits }}", name="<b>جدول</b>.xlsx")
    assert html == "«\u2068&lt;b&gt;جدول&lt;/b&gt;.xlsx\u2069»، ۸"
