from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from planapp.accounts.models import User
from planapp.agencies.models import Agency, AgencyKind
from planapp.core.db import TimestampMixin, str_enum
from planapp.extensions import db
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.tasks.lifecycle import CLOSED, TaskKind, TaskStatus

template_agencies = sa.Table(
    "task_template_agencies",
    db.metadata,
    sa.Column("template_id", sa.ForeignKey("task_templates.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
)


class TaskTemplate(TimestampMixin, db.Model):
    """What work a stage creates: one task per assignee agency when a plan enters the stage."""

    __tablename__ = "task_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[Stage] = mapped_column(str_enum(Stage), index=True)
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    agency_kind: Mapped[AgencyKind | None] = mapped_column(str_enum(AgencyKind))  # every active agency of a kind
    mandatory: Mapped[bool] = mapped_column(default=True)
    due_in_days: Mapped[int] = mapped_column(default=10)  # working days after the stage is entered
    # Reminders: N days before the due date, every M days once overdue, escalation after K days overdue.
    remind_before_days: Mapped[int] = mapped_column(default=2)
    overdue_every_days: Mapped[int] = mapped_column(default=3)
    escalate_after_days: Mapped[int] = mapped_column(default=5)
    is_active: Mapped[bool] = mapped_column(default=True)

    # Listed by name in the templates table (a collection has no order of its own: the scan order would show).
    agencies: Mapped[list[Agency]] = relationship(secondary=template_agencies, lazy="selectin",
                                                  order_by="Agency.name_key")


class Task(db.Model):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_agency_inbox", "agency_id", "status", "due_on"),
        sa.Index("ix_tasks_assignee_inbox", "assignee_id", "status", "due_on"),
        sa.Index("ix_tasks_plan_stage", "plan_id", "stage", "status"),
        sa.Index("ix_tasks_review", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage))
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task_templates.id"))
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    search_key: Mapped[str] = mapped_column(sa.String(1200), default="")
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))  # any officer of it may take it
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # a personal task
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.OPEN)
    mandatory: Mapped[bool] = mapped_column(default=True)
    due_on: Mapped[date]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("monitoring_rounds.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    # The template's English words, while the task still carries the template's Persian title (an admin's later
    # edit of the template leaves existing tasks as they were): read with the row, no query of its own.
    title_en: Mapped[str | None] = column_property(
        sa.select(TaskTemplate.title_en).where(TaskTemplate.id == template_id, TaskTemplate.title == title)
        .correlate_except(TaskTemplate).scalar_subquery())
    description_en: Mapped[str | None] = column_property(
        sa.select(TaskTemplate.description_en).where(TaskTemplate.id == template_id, TaskTemplate.title == title,
                                                     TaskTemplate.description == description)
        .correlate_except(TaskTemplate).scalar_subquery(), deferred=True)  # the task page alone shows it

    plan: Mapped[Plan] = relationship(lazy="joined", innerjoin=True)
    agency: Mapped[Agency | None] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    taken_by: Mapped[User | None] = relationship(foreign_keys=[taken_by_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def is_for(self, user: User) -> bool:
        """Addressed to the user: their agency's task, their own, one of someone they stand in for, or one they
        were invited to as a guest (task_guests)."""
        if self.assignee_id is not None:
            if self.assignee_id == user.id or self.assignee_id in user.acting_for_ids:
                return True
        elif self.agency_id is not None and self.agency_id == user.agency_id:
            return True
        return self.id in guest_task_ids(user)

    def display_title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title

    def display_description(self, locale: str) -> str:
        return self.description_en if locale == "en" and self.description_en else self.description

    def is_overdue(self, today: date) -> bool:
        return self.status not in CLOSED and self.status != TaskStatus.SUBMITTED and self.due_on < today


task_guests = sa.Table(
    "task_guests",
    db.metadata,
    sa.Column("task_id", sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)  # people invited to one task (participants outside the task's agency)


class TaskReminder(db.Model):
    """One reminder step of a task for one due date (due soon, due today, overdue #n, escalation), claimed once.

    Unique on (task, step, due date): a sweep that runs twice, or two sweeps at once, remind once; a new due date
    starts the steps again. Only the step a task is at when the sweep runs is sent: after downtime a task that
    went from "due soon" to "overdue" gets the overdue reminder, not a stale "due in 2 days".
    """

    __tablename__ = "task_reminders"
    __table_args__ = (sa.UniqueConstraint("task_id", "step", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(sa.String(30))
    due_on: Mapped[date]
    created_at: Mapped[datetime]


def guest_task_ids(user: User) -> frozenset[int]:
    """The tasks `user` was invited to, read once per user object (so once per request, whatever the page asks)."""
    cached = getattr(user, "_guest_task_ids", None)
    if cached is None:
        cached = frozenset(db.session.scalars(
            sa.select(task_guests.c.task_id).where(task_guests.c.user_id == user.id)))
        user._guest_task_ids = cached
    return cached


class TaskComment(db.Model):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]  # soft delete (RELIABILITY D1): hidden, restorable, audited
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")


class TaskAttachment(db.Model):
    __tablename__ = "task_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    acting_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    file_name: Mapped[str] = mapped_column(sa.String(255))  # for the download only, never a path
    stored_name: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id], lazy="joined")
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id], lazy="joined")
