"""Helpers shared by the test files for the task templates admin, the holidays admin and delegation
(tests/test_task_templates_admin.py, tests/test_holidays_admin.py, tests/test_delegations.py): an administrator
with the task tests' people and plan, and what the forms say in Persian. The rest comes from tests/task_helpers.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from planapp.accounts.models import User
from planapp.audit.models import AuditEvent
from planapp.calendar.models import Holiday
from planapp.core import clock
from planapp.extensions import db
from tests.factories import make_agency, make_plan, make_user
from tests.task_helpers import NOW, World, holiday, page_text

HX = {"HX-Request": "true"}
MISSING_ID = 987654

# What the user reads (fa); digits are compared after folding to ASCII.
FA_REQUIRED = "پر کردن این بخش الزامی است."
FA_BAD_DATE = "یک تاریخ شمسی درست وارد کنید، مانند 1405/09/15."


@dataclass
class AdminWorld(World):
    admin: User


@pytest.fixture
def admin_world(ctx) -> AdminWorld:
    """An admin, two supervisors of the planning office (a private agency, so no template of a government kind
    addresses it), two officers of government agency A, one of government agency B, and a plan at its first stage."""
    clock.freeze(NOW)  # the ctx fixture thaws it
    office = make_agency("سازمان مدیریت و برنامه‌ریزی استان", kind="private")
    agency_a = make_agency("اداره کل راه و شهرسازی")
    agency_b = make_agency("اداره کل منابع طبیعی")
    admin = make_user("admin", office, name="مدیر سامانه")
    sup, sup2 = make_user("supervisor", office, name="ناظر یکم"), make_user("supervisor", office, name="ناظر دوم")
    a1, a2 = make_user("officer", agency_a, name="علی راهور"), make_user("officer", agency_a, name="مریم راهور")
    b1 = make_user("officer", agency_b, name="بهرام جنگلبان")
    plan = make_plan(sup, title="برنامهٔ آمایش استان")
    return AdminWorld(office, agency_a, agency_b, sup, sup2, a1, a2, b1, plan, admin)


text_of = page_text  # the name the admin tests know it by


def events(prefix: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.startswith(prefix))
                                   .order_by(AuditEvent.id)))


def jalali_holiday(day: date, name: str = "تعطیل آزمایشی") -> Holiday:
    return holiday(day, name)
