"""Configuration classes. Every setting that differs between machines comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

# Only good for development and tests; ProductionConfig refuses to start with it.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # None means "an SQLite file under instance/", resolved in create_app where the instance path is known.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Sessions (RELIABILITY decision 4): HttpOnly, SameSite=Lax, 12 h absolute, 30 min idle.
    SESSION_COOKIE_NAME = "planapp_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 30))
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

    # A form may stay open as long as a session lives.
    WTF_CSRF_TIME_LIMIT = int(PERMANENT_SESSION_LIFETIME.total_seconds())

    # Sign-in throttling: per e-mail in the database (shared by all workers), per IP in the limiter store.
    LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")

    LANGUAGES = ("fa", "en")
    BABEL_DEFAULT_LOCALE = "fa"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tehran"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")

    PER_PAGE = 20
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # None: instance/uploads
    TASK_FILE_MAX_BYTES = env_int("TASK_FILE_MAX_BYTES", 10 * 1024 * 1024)
    # Indicator imports (CSV/XLSX): the file's limit (the request may be this plus a little form overhead), and
    # how a queued import is run: "thread" (in the web process, at once), "inline" (before the response: tests)
    # or "scheduler" (only by the scheduler's job, which also picks up imports a restart left queued).
    INDICATOR_IMPORT_MAX_BYTES = env_int("INDICATOR_IMPORT_MAX_BYTES", 30 * 1024 * 1024)
    IMPORT_RUNNER = os.environ.get("IMPORT_RUNNER", "thread")
    # Python weekday numbers of the weekly days off: Friday (4); add Thursday (3) where offices close then.
    WEEKEND_DAYS = tuple(int(day) for day in os.environ.get("WEEKEND_DAYS", "4").split(",") if day.strip())
    # Share of the planning council's members who must take part in a vote (quorum); majority of those present.
    COUNCIL_QUORUM = float(os.environ.get("COUNCIL_QUORUM", 2 / 3))

    # E-mail. Without MAIL_SERVER (development) messages go to the development mailbox, an admin page, instead of
    # SMTP. Values stay text here: a malformed one must not stop the app; the outbox page shows what is wrong.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = os.environ.get("MAIL_PORT", "")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SECURITY = os.environ.get("MAIL_SECURITY", "")  # "", starttls or ssl
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "PlanApp <no-reply@planapp.local>")
    MAIL_TIMEOUT_SECONDS = os.environ.get("MAIL_TIMEOUT_SECONDS", "20")
    # Then the message is dead and admins are alerted: 48 attempts at most an hour apart ride out ~42 hours
    # of SMTP outage without losing a message (planapp/mail/settings.py reads these, a bad one is reported).
    MAIL_MAX_ATTEMPTS = os.environ.get("MAIL_MAX_ATTEMPTS", "48")
    MAIL_RETRY_BASE_SECONDS = os.environ.get("MAIL_RETRY_BASE_SECONDS", "60")  # 1, 2, 4 … minutes
    MAIL_RETRY_CAP_SECONDS = os.environ.get("MAIL_RETRY_CAP_SECONDS", "3600")  # never more than an hour apart
    MAIL_KEEP_DAYS = os.environ.get("MAIL_KEEP_DAYS", "90")  # sent messages are deleted after this
    # Links in e-mails need the public address of the site (no request to take it from in the scheduler).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7)
    RESET_VALID_MINUTES = env_int("RESET_VALID_MINUTES", 60)
    DECISION_LINK_VALID_HOURS = env_int("DECISION_LINK_VALID_HOURS", 72)
    # Reminders: at most this many reminder e-mails per task and person; later ones wait for the daily digest.
    REMINDER_EMAIL_CAP = env_int("REMINDER_EMAIL_CAP", 3)
    DIGEST_HOUR = env_int("DIGEST_HOUR", 7)  # Tehran time
    SCHEDULER_LEASE_SECONDS = env_int("SCHEDULER_LEASE_SECONDS", 30)


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    IMPORT_RUNNER = "inline"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def check_production_config(config: dict) -> None:
    """Refuse to serve production with secrets a stranger could guess."""
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError("DATABASE_URL must be set in production.")
