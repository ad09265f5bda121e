"""Starter task templates for every stage (admins edit them afterwards). Idempotent: found by stage and title."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.agencies.models import AgencyKind
from planapp.extensions import db
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import TaskTemplate

G, NG, NGO, P = AgencyKind.GOVERNMENT, AgencyKind.NON_GOVERNMENT, AgencyKind.NGO, AgencyKind.PRIVATE

# (stage, kind, title, English title, description, agencies of this kind, mandatory, working days)
TEMPLATES = [
    (Stage.SITUATION_ASSESSMENT, TaskKind.SUBMIT_INDICATORS, "ارسال شاخص‌های اقتصادی، اجتماعی و فرهنگی",
     "Submit economic, social and cultural indicators",
     "شاخص‌های حوزهٔ کاری دستگاه را برای سال‌های اخیر، به تفکیک شهرستان، ثبت یا بارگذاری کنید.", G, True, 10),
    (Stage.SITUATION_ASSESSMENT, TaskKind.SWOT_INPUT, "ارائهٔ نقاط قوت، ضعف، فرصت و تهدید",
     "SWOT input", "نقاط قوت، ضعف، فرصت‌ها و تهدیدهای استان را از نگاه دستگاه یا تشکل خود بنویسید.", NG, False, 10),
    (Stage.SITUATION_ASSESSMENT, TaskKind.SWOT_INPUT, "ارائهٔ نقاط قوت، ضعف، فرصت و تهدید",
     "SWOT input", "نقاط قوت، ضعف، فرصت‌ها و تهدیدهای استان را از نگاه دستگاه یا تشکل خود بنویسید.", NGO, False, 10),
    (Stage.ANALYSIS, TaskKind.SCORE_MATRIX, "امتیازدهی ماتریس معیارها", "Score the criteria matrix",
     "نامزدهای هستهٔ پیشران را بر پایهٔ معیارهای تعیین‌شده امتیاز دهید.", G, True, 7),
    (Stage.GOALS, TaskKind.PROPOSE_GOALS, "پیشنهاد اهداف و پیوند آن‌ها با اسناد بالادستی",
     "Propose goals traced to upstream documents", "", G, True, 10),
    (Stage.PROGRAMS, TaskKind.PROPOSE_PROJECTS, "پیشنهاد برنامه‌ها و طرح‌ها", "Propose programs and projects",
     "", G, True, 15),
    (Stage.PHASING_RESOURCES, TaskKind.PHASING_RESOURCES, "زمان‌بندی و برآورد منابع طرح‌ها",
     "Phasing and resources of projects", "", G, True, 10),
    (Stage.DRAFTING, TaskKind.REVIEW_DRAFT, "بررسی پیش‌نویس سند", "Review the draft document", "", G, False, 7),
    (Stage.MONITORING, TaskKind.PROGRESS_REPORT, "گزارش پیشرفت دوره‌ای طرح‌ها", "Periodic progress report",
     "پیشرفت فیزیکی، هزینه‌کرد و شاخص‌های عملکرد طرح‌های دستگاه را گزارش کنید.", G, True, 10),
    (Stage.REVISION, TaskKind.REVIEW_DRAFT, "پیشنهاد اصلاحات سند", "Propose corrections to the document", "", G,
     False, 10),
]


def seed_templates() -> int:
    created = 0
    for stage, kind, title, title_en, description, agency_kind, mandatory, days in TEMPLATES:
        exists = db.session.scalar(sa.select(TaskTemplate.id).where(
            TaskTemplate.stage == stage, TaskTemplate.title == title, TaskTemplate.agency_kind == agency_kind))
        if exists is None:
            db.session.add(TaskTemplate(stage=stage, kind=kind, title=title, title_en=title_en,
                                        description=description, agency_kind=agency_kind, mandatory=mandatory,
                                        due_in_days=days))
            created += 1
    db.session.flush()
    return created
