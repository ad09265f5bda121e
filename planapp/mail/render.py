"""E-mails rendered in the recipient's language: a subject, a plain-text body and an HTML body (RTL in Persian)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import flask_babel
from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from jinja2 import pass_context
from markupsafe import Markup

from planapp.core.text import clean_line
from planapp.mail.messages import OWN_TEMPLATES, SUBJECTS

SUBJECT_MAX = 150
# A single-use link's secret: a long URL-safe path segment (tokens.issue makes 43 characters). The database keeps
# only hashes of these tokens, so a copy of it must not hold live links through the outbox either.
_LINK_SECRET = re.compile(r"(https?://[^\s\"'<>]*/)([A-Za-z0-9_-]{32,})")
HIDDEN = "••••••••"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def has_link_secret(text: str) -> bool:
    return bool(_LINK_SECRET.search(text))


def hide_link_secrets(text: str) -> str:
    """The text with every single-use link's token replaced by dots (shown to admins; kept once sent)."""
    return _LINK_SECRET.sub(lambda match: match.group(1) + HIDDEN, text)


def absolute(link: str | None) -> str | None:
    """A site path made absolute with PUBLIC_URL (the scheduler has no request to take the host from)."""
    if not link:
        return None
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/" + link.lstrip("/")


def render_email(kind: str, params: dict[str, Any], link: str | None, locale: str, name: str = "") -> Rendered:
    locale = supported(locale)
    if current_locale() == locale:
        return _render(kind, params, link, locale, name)
    with force_locale(locale):
        return _render(kind, params, link, locale, name)


def supported(locale: str) -> str:
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str | None:
    locale = get_locale()
    return locale.language if locale else None


_TRANSLATED: dict[tuple[str, str], str] = {}


def _gettext_for(locale: str):
    """Jinja's `_()` for e-mails: the same "newstyle" semantics as Flask-Babel's (escaping of the variables in
    HTML), with each message looked up once per language — a sweep renders tens of thousands of e-mails."""

    @pass_context
    def gettext(context, string: str, **variables: Any) -> str:
        key = (locale, string)
        text = _TRANSLATED.get(key)
        if text is None:
            text = _TRANSLATED[key] = flask_babel.gettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 — our own translated message; the variables are escaped by %
        return text % variables

    return gettext


def _render(kind: str, params: dict[str, Any], link: str | None, locale: str, name: str) -> Rendered:
    from planapp.notifications.messages import render as sentence_for

    template = kind if kind in OWN_TEMPLATES else "notice"
    sentence = "" if kind in OWN_TEMPLATES else sentence_for(kind, params)
    context = {"kind": kind, "params": params, "link": absolute(link), "name": name, "sentence": sentence,
               "locale": locale, "direction": "rtl" if locale == "fa" else "ltr",
               "preferences_link": absolute("/account/email"), "gettext": _gettext_for(locale)}
    subject = str(SUBJECTS[kind]) if kind in SUBJECTS else sentence
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    # No CR/LF in a header, whatever a title or a name contains (X11); long sentences are cut for the subject.
    subject = clean_line(subject)
    if len(subject) > SUBJECT_MAX:
        subject = subject[:SUBJECT_MAX - 1] + "…"
    return Rendered(subject=subject, text=text, html=html)
