"""Demo data for `make run` and `flask seed-demo`: East Azerbaijan's planning organization and its partners.

Idempotent: agencies are found by name, users by e-mail; nothing existing is changed. The demo password lives
here and only here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from planapp.accounts import services as accounts
from planapp.accounts.models import User
from planapp.agencies import services as agencies
from planapp.agencies.models import Agency, AgencyKind
from planapp.core.permissions import Role
from planapp.core.text import fold
from planapp.extensions import db

DEMO_PASSWORD = "PlanApp-Demo-1405"  # noqa: S105 — demo data only, printed for the newcomer
DEMO_DOMAIN = "demo.planapp.ir"

G, NG, P, NGO = AgencyKind.GOVERNMENT, AgencyKind.NON_GOVERNMENT, AgencyKind.PRIVATE, AgencyKind.NGO

# (key, Persian name, English name, kind, parent key, e-mail)
AGENCIES = [
    ("pbo", "سازمان برنامه و بودجه کشور", "Plan and Budget Organization", G, None, "info@pbo.demo.planapp.ir"),
    ("mpo", "سازمان مدیریت و برنامه‌ریزی استان آذربایجان شرقی",
     "Management and Planning Organization of East Azerbaijan", G, "pbo", "mpo@demo.planapp.ir"),
    ("stats", "معاونت آمار و اطلاعات استان آذربایجان شرقی", "Statistics and Information Office", G, "mpo", None),
    ("gov", "استانداری آذربایجان شرقی", "East Azerbaijan Governorate", G, None, "ostandari@demo.planapp.ir"),
    ("env", "اداره کل حفاظت محیط زیست استان آذربایجان شرقی",
     "Environmental Protection Office of East Azerbaijan", G, None, "env@demo.planapp.ir"),
    ("ports", "اداره کل بنادر و دریانوردی (نمایندگی استان)",
     "Ports and Maritime Organization, provincial office", G, None, "ports@demo.planapp.ir"),
    ("agri", "سازمان جهاد کشاورزی استان آذربایجان شرقی",
     "Agriculture Jihad Organization of East Azerbaijan", G, None, "agri@demo.planapp.ir"),
    ("industry", "سازمان صنعت، معدن و تجارت استان آذربایجان شرقی",
     "Industry, Mine and Trade Organization of East Azerbaijan", G, None, "smt@demo.planapp.ir"),
    ("heritage", "اداره کل میراث فرهنگی، گردشگری و صنایع‌دستی استان آذربایجان شرقی",
     "Cultural Heritage, Tourism and Handicrafts Office", G, None, "miras@demo.planapp.ir"),
    ("roads", "اداره کل راه و شهرسازی استان آذربایجان شرقی",
     "Roads and Urban Development Office", G, None, "roads@demo.planapp.ir"),
    ("water", "شرکت آب منطقه‌ای آذربایجان شرقی", "East Azerbaijan Regional Water Company", G, None, None),
    ("health", "دانشگاه علوم پزشکی تبریز", "Tabriz University of Medical Sciences", G, None, None),
    ("chamber", "اتاق بازرگانی، صنایع، معادن و کشاورزی تبریز",
     "Tabriz Chamber of Commerce, Industries, Mines and Agriculture", NG, None, "info@chamber.demo.planapp.ir"),
    ("consult", "شرکت مهندسین مشاور توسعه پایدار تبریز", "Tabriz Sustainable Development Consultants", P, None,
     None),
    ("ngo", "انجمن حامیان دریاچه ارومیه", "Friends of Lake Urmia Association", NGO, None, "ngo@demo.planapp.ir"),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    agency: str


USERS = [
    DemoUser("admin", "مدیر سامانه", Role.ADMIN, "mpo"),
    DemoUser("supervisor", "مریم رضایی", Role.SUPERVISOR, "mpo"),
    DemoUser("supervisor2", "علی محمدی", Role.SUPERVISOR, "mpo"),
    DemoUser("officer.env", "رضا احمدی", Role.OFFICER, "env"),
    DemoUser("officer.agri", "زهرا حسینی", Role.OFFICER, "agri"),
    DemoUser("officer.industry", "حسین کریمی", Role.OFFICER, "industry"),
    DemoUser("officer.heritage", "سارا نوری", Role.OFFICER, "heritage"),
    DemoUser("participant", "محمد جعفری", Role.PARTICIPANT, "chamber"),
    DemoUser("participant.ngo", "لیلا قاسمی", Role.PARTICIPANT, "ngo"),
    DemoUser("viewer", "شهروند ناظر", Role.VIEWER, "gov"),
    DemoUser("council1", "استاندار (رئیس شورا)", Role.COUNCIL_MEMBER, "gov"),
    DemoUser("council2", "معاون هماهنگی امور عمرانی", Role.COUNCIL_MEMBER, "gov"),
    DemoUser("council3", "رئیس سازمان مدیریت و برنامه‌ریزی", Role.COUNCIL_MEMBER, "mpo"),
    DemoUser("council4", "نمایندهٔ اتاق بازرگانی", Role.COUNCIL_MEMBER, "chamber"),
    DemoUser("council5", "رئیس دانشگاه علوم پزشکی", Role.COUNCIL_MEMBER, "health"),
]

# (title, period, final stage): walked through the real workflow, so each has its history.
PLANS = [
    ("برنامهٔ هفتم توسعهٔ استان آذربایجان شرقی", (1403, 1407), "monitoring"),
    ("سند توسعهٔ گردشگری استان", (1405, 1409), "analysis"),
    ("سند آمایش سرزمین استان", (1405, 1414), "situation_assessment"),
]


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


def seed_demo() -> list[tuple[str, Role]]:
    """Create what is missing; return the demo logins."""
    by_key: dict[str, Agency] = {}
    for key, name, name_en, kind, parent, email in AGENCIES:
        agency = db.session.scalar(sa.select(Agency).where(Agency.name_key == fold(name)))
        if agency is None:
            data = {"name": name, "name_en": name_en, "kind": kind, "email": email,
                    "parent_id": by_key[parent].id if parent else None}
            agency = agencies.create_agency(None, data)
        by_key[key] = agency
    logins = []
    for demo in USERS:
        email = demo_email(demo.email)
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            data = {"email": email, "name": demo.name, "role": demo.role, "agency_id": by_key[demo.agency].id,
                    "language": "fa"}
            accounts.create_user(None, data, DEMO_PASSWORD)
        logins.append((email, demo.role))
    db.session.flush()
    from planapp.calendar.seed import seed_holidays
    from planapp.indicators.demo_values import seed_demo_values
    from planapp.indicators.seed import seed_catalog
    from planapp.tasks.seed import seed_templates

    seed_holidays(1405)
    seed_templates()
    seed_catalog()
    _assign_indicator_sources(by_key)
    seed_demo_values()
    _seed_plans()
    _seed_io_table()
    db.session.commit()
    return logins


# Which demo agency is the source of which indicators: their "submit indicators" tasks show these in the grid.
INDICATOR_SOURCES = {
    "stats": ("GDP", "GDP_PC", "VA", "EMP", "UNEMP", "YOUTH_UNEMP", "LFPR", "INFLATION", "POP", "POP_GROWTH",
              "URBAN", "HH_SIZE", "LITERACY", "POVERTY", "GINI"),
    "industry": ("EXPORTS", "IMPORTS", "FIRMS", "GFCF"),
    "agri": ("AGRI_PROD", "FOREST", "WATER_AGRI"),
    "env": ("POLLUTED_DAYS", "PROTECTED", "WASTE"),
    "heritage": ("TOURISTS", "FOREIGN_TOURISTS", "HERITAGE", "HOTEL_BEDS"),
    "roads": ("ROAD_DENSITY", "RAIL", "HOUSING", "ROAD_DEATHS", "AIR_PASSENGERS"),
    "water": ("WATER_USE", "GROUNDWATER", "RAINFALL"),
    "health": ("DOCTORS", "BEDS", "INFANT_MORT", "LIFE_EXP", "INSURED"),
}


def _assign_indicator_sources(by_key: dict[str, Agency]) -> None:
    """Indicators without a source get the demo agency that publishes them (an admin's choice is kept)."""
    from planapp.indicators.models import Indicator

    for key, codes in INDICATOR_SOURCES.items():
        db.session.execute(sa.update(Indicator).where(Indicator.code.in_(codes), Indicator.source_agency_id.is_(None))
                           .values(source_agency_id=by_key[key].id))
    db.session.flush()


def _seed_plans() -> None:
    from datetime import date

    from planapp.approvals import services as approvals
    from planapp.core.clock import now
    from planapp.plans import services as plans
    from planapp.plans.models import Plan
    from planapp.plans.workflow import FIRST_STAGE, Stage, transitions_from

    def user(local: str) -> User:
        return db.session.scalar(sa.select(User).where(User.email == demo_email(local)))

    asker, approver = user("supervisor"), user("supervisor2")
    for title, (start, end), final in PLANS:
        if db.session.scalar(sa.select(Plan.id).where(Plan.title == title)):
            continue
        plan = plans.create_plan(asker, {"title": title, "province": "آذربایجان شرقی", "period_start": start,
                                         "period_end": end, "owner_id": asker.id,
                                         "description": "نمونهٔ آزمایشی برای آشنایی با سامانه."}, now())
        stage = FIRST_STAGE
        while stage != Stage(final):
            if stage == Stage.ANALYSIS:  # before the stage's own tasks are finished: the round uses them
                _confirmed_cores(plan, asker)
            _finish_stage_tasks(plan.id, stage)
            move = next(t for t in transitions_from(stage) if t.kind == "advance")
            request = approvals.request_transition(asker, plan.id, move.event, "", now())
            if move.council:
                for n in range(1, 6):
                    approvals.cast_vote(user(f"council{n}"), request.id, "approve" if n < 5 else "abstain", "", now())
                approvals.record_resolution(approver, request.id, "۱۲۳/ش", date(2024, 6, 1), now())
            approvals.decide_request(approver, request.id, True, "", now())
            stage = move.target


# The tourism plan's input-output table (billion rials, plausible, not official): manufacturing and transport come
# out as the key sectors, so the analysis page and the scoring page's key-sector suggestions are filled.
DEMO_IO_LABELS = ["A کشاورزی", "B معدن", "C صنعت", "D برق و گاز", "F ساختمان", "G بازرگانی", "H حمل‌ونقل",
                  "I هتل و رستوران"]
DEMO_IO_FLOWS = [[180, 5, 620, 2, 10, 30, 5, 90], [10, 40, 380, 60, 210, 5, 10, 2],
                 [190, 90, 1650, 70, 640, 260, 280, 140], [45, 35, 260, 120, 40, 70, 50, 35],
                 [10, 8, 30, 25, 60, 35, 30, 12], [80, 20, 420, 15, 130, 110, 120, 60],
                 [60, 45, 310, 20, 110, 190, 160, 45], [5, 3, 25, 4, 6, 30, 20, 15]]
DEMO_IO_OUTPUTS = [2600, 1100, 6800, 1150, 2300, 2900, 1900, 900]


def _seed_io_table() -> None:
    from planapp.analysis import queries
    from planapp.analysis.io_tables import section_codes
    from planapp.analysis.models import InputOutputTable
    from planapp.core.clock import now
    from planapp.plans.models import Plan

    plan_id = db.session.scalar(sa.select(Plan.id).where(Plan.title == PLANS[1][0]))
    if plan_id is None or queries.get_io_table(plan_id) is not None:
        return
    supervisor = db.session.scalar(sa.select(User.id).where(User.email == demo_email("supervisor")))
    db.session.add(InputOutputTable(plan_id=plan_id, labels=DEMO_IO_LABELS, flows=DEMO_IO_FLOWS,
                                    outputs=DEMO_IO_OUTPUTS,
                                    sections=section_codes(DEMO_IO_LABELS, queries.section_names()),
                                    file_name="جدول-داده-ستانده-نمونه.xlsx", uploaded_by_id=supervisor,
                                    uploaded_at=now()))
    db.session.flush()


# The demo's closed scoring round: three agencies score three candidates on three criteria (one a cost), so the
# results page, its charts and its export are filled, and the two top-ranked candidates are the confirmed cores.
DEMO_CANDIDATES = ("صنایع ماشین‌سازی و خودرو", "کشاورزی و صنایع غذایی", "گردشگری سلامت")
DEMO_CRITERIA = (("اشتغال‌زایی", "benefit", "5"), ("مزیت صادراتی", "benefit", "3"), ("مصرف آب", "cost", "2"))
DEMO_SCORES = {"officer.industry": ((9, 8, 3), (6, 5, 8), (5, 4, 2)),
               "officer.agri": ((8, 7, 4), (8, 6, 7), (4, 5, 3)),
               "officer.heritage": ((7, 8, 3), (5, 6, 6), (7, 5, 2))}


def _confirmed_cores(plan, supervisor: User) -> None:
    """Demo history: a plan past analysis left it after a real scoring round, with its driving cores confirmed."""
    from planapp.core.clock import now
    from planapp.scoring import queries, rounds, services
    from planapp.tasks import services as tasks

    for name in DEMO_CANDIDATES:
        services.add_candidate(supervisor, plan, name, now())
    criteria = [services.add_criterion(supervisor, plan, name, kind, now()) for name, kind, _ in DEMO_CRITERIA]
    matrix = queries.get_active_matrix(plan.id)
    services.set_direct_weights(supervisor, plan, {c.id: w for c, (_, _, w) in zip(criteria, DEMO_CRITERIA,
                                                                                     strict=True)},
                                matrix.version, now())
    officers = [db.session.scalar(sa.select(User).where(User.email == demo_email(local))) for local in DEMO_SCORES]
    by_agency = {t.agency_id: t for t in rounds.open_round(supervisor, plan, [o.agency_id for o in officers], "14",
                                                           now())}
    candidates = queries.list_candidates(matrix.id)
    for officer, grid in zip(officers, DEMO_SCORES.values(), strict=True):
        task = by_agency[officer.agency_id]
        if task.status.value == "open":
            tasks.apply_action(officer, task.id, "take", now())
        for candidate, row in zip(candidates, grid, strict=True):
            for criterion, value in zip(criteria, row, strict=True):
                rounds.save_score(officer, task, candidate.id, criterion.id, str(value), now())
        tasks.apply_action(officer, task.id, "submit", now())
        tasks.apply_action(supervisor, task.id, "accept", now())
    results = rounds.close_round(supervisor, plan, now())
    rounds.confirm_cores(supervisor, plan, [c["id"] for c in results["candidates"][:2]], {}, now())
    db.session.flush()


def _finish_stage_tasks(plan_id: int, stage) -> None:
    """Demo history: the tasks of a stage the demo plan has already left count as done."""
    from planapp.tasks.lifecycle import TaskStatus
    from planapp.tasks.models import Task

    for task in db.session.scalars(sa.select(Task).where(Task.plan_id == plan_id, Task.stage == stage)):
        task.status = TaskStatus.ACCEPTED
    db.session.flush()
