"""Starter task templates for every stage (admins edit them afterwards). Idempotent: found by stage and title."""

from __future__ import annotations

import sqlalchemy as sa

from planapp.agencies.models import AgencyKind
from planapp.extensions import db
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import TaskTemplate

G, NG, NGO, P = AgencyKind.GOVERNMENT, AgencyKind.NON_GOVERNMENT, AgencyKind.NGO, AgencyKind.PRIVATE

# (stage, kind, title, English title, description, English description, agencies of this kind, mandatory,
#  working days)
TEMPLATES = [
    (Stage.SITUATION_ASSESSMENT, TaskKind.SUBMIT_INDICATORS, "ارسال شاخص‌های اقتصادی، اجتماعی و فرهنگی",
     "Submit economic, social and cultural indicators",
     "شاخص‌های حوزهٔ کاری دستگاه را برای سال‌های اخیر، به تفکیک شهرستان، ثبت یا بارگذاری کنید.",
     "Enter or upload the indicators of your agency's field for recent years, county by county.", G, True, 10),
    (Stage.SITUATION_ASSESSMENT, TaskKind.SWOT_INPUT, "ارائهٔ نقاط قوت، ضعف، فرصت و تهدید", "SWOT input",
     "نقاط قوت، ضعف، فرصت‌ها و تهدیدهای استان را از نگاه دستگاه یا تشکل خود بنویسید.",
     "Write down the province's strengths, weaknesses, opportunities and threats as your agency or organization "
     "sees them.", NG, False, 10),
    (Stage.SITUATION_ASSESSMENT, TaskKind.SWOT_INPUT, "ارائهٔ نقاط قوت، ضعف، فرصت و تهدید", "SWOT input",
     "نقاط قوت، ضعف، فرصت‌ها و تهدیدهای استان را از نگاه دستگاه یا تشکل خود بنویسید.",
     "Write down the province's strengths, weaknesses, opportunities and threats as your agency or organization "
     "sees them.", NGO, False, 10),
    (Stage.ANALYSIS, TaskKind.SCORE_MATRIX, "امتیازدهی ماتریس معیارها", "Score the criteria matrix",
     "نامزدهای هستهٔ پیشران را بر پایهٔ معیارهای تعیین‌شده امتیاز دهید.",
     "Score the candidate driving cores against the criteria that have been set.", G, True, 7),
    (Stage.GOALS, TaskKind.PROPOSE_GOALS, "پیشنهاد اهداف و پیوند آن‌ها با اسناد بالادستی",
     "Propose goals traced to upstream documents",
     "اهداف پیشنهادی دستگاه برای دورهٔ برنامه را بنویسید و برای هر هدف، سند بالادستی و بند مرتبط با آن را ذکر کنید.",
     "Write your agency's proposed goals for the plan period and, for each goal, name the upstream document and the "
     "clause it serves.", G, True, 10),
    (Stage.PROGRAMS, TaskKind.PROPOSE_PROJECTS, "پیشنهاد برنامه‌ها و طرح‌ها", "Propose programs and projects",
     "برنامه‌ها و طرح‌هایی را که دستگاه برای رسیدن به اهداف برنامه پیشنهاد می‌کند، همراه با هدف مرتبط با هر یک، ثبت کنید.",
     "Enter the programs and projects your agency proposes to reach the plan's goals, each with the goal it serves.",
     G, True, 15),
    (Stage.PHASING_RESOURCES, TaskKind.PHASING_RESOURCES, "زمان‌بندی و برآورد منابع طرح‌ها",
     "Phasing and resources of projects",
     "برای هر طرح دستگاه، زمان‌بندی اجرا به تفکیک سال‌های برنامه و منابع مالی و انسانی مورد نیاز و محل تأمین آن‌ها را "
     "برآورد کنید.",
     "For each of your agency's projects, estimate the schedule year by year over the plan period, and the financial "
     "and human resources it needs and where they will come from.", G, True, 10),
    (Stage.DRAFTING, TaskKind.REVIEW_DRAFT, "بررسی پیش‌نویس سند", "Review the draft document",
     "پیش‌نویس سند را بخوانید و نظرها و اصلاحات پیشنهادی دستگاه را، با ذکر بخش مربوط، بنویسید.",
     "Read the draft document and write your agency's comments and proposed corrections, naming the section each "
     "concerns.", G, False, 7),
    (Stage.MONITORING, TaskKind.PROGRESS_REPORT, "گزارش پیشرفت دوره‌ای طرح‌ها", "Periodic progress report",
     "پیشرفت فیزیکی، هزینه‌کرد و شاخص‌های عملکرد طرح‌های دستگاه را گزارش کنید.",
     "Report the physical progress, spending and performance indicators of your agency's projects.", G, True, 10),
    (Stage.REVISION, TaskKind.REVIEW_DRAFT, "پیشنهاد اصلاحات سند", "Propose corrections to the document",
     "بخش‌هایی از سند را که بنا بر گزارش‌های پایش نیاز به اصلاح دارند مشخص کنید و متن یا ارقام جایگزین را پیشنهاد دهید.",
     "Point out the parts of the document that the monitoring reports show need correcting, and propose the "
     "replacement text or figures.", G, False, 10),
]


def seed_templates() -> int:
    created = 0
    for stage, kind, title, title_en, description, description_en, agency_kind, mandatory, days in TEMPLATES:
        exists = db.session.scalar(sa.select(TaskTemplate.id).where(
            TaskTemplate.stage == stage, TaskTemplate.title == title, TaskTemplate.agency_kind == agency_kind))
        if exists is None:
            db.session.add(TaskTemplate(stage=stage, kind=kind, title=title, title_en=title_en,
                                        description=description, description_en=description_en,
                                        agency_kind=agency_kind, mandatory=mandatory,
                                        due_in_days=days))
            created += 1
    db.session.flush()
    return created
