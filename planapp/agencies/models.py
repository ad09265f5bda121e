from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.core.db import TimestampMixin, str_enum
from planapp.extensions import db


class AgencyKind(enum.StrEnum):
    GOVERNMENT = "government"
    NON_GOVERNMENT = "non_government"
    PRIVATE = "private"
    NGO = "ngo"

    @property
    def label(self) -> str:
        return str(AGENCY_KIND_LABELS[self])


AGENCY_KIND_LABELS = {
    AgencyKind.GOVERNMENT: _l("Government"),
    AgencyKind.NON_GOVERNMENT: _l("Non-government public body"),
    AgencyKind.PRIVATE: _l("Private sector"),
    AgencyKind.NGO: _l("NGO"),
}


class Agency(TimestampMixin, db.Model):
    """A stakeholder organisation; every user belongs to exactly one."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The name folded (core.text.fold): «سازمان ي» and «سازمان ی» are one agency.
    name_key: Mapped[str] = mapped_column(sa.String(600), unique=True)
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    # Folded name, English name and e-mail: what the admin table searches.
    search_key: Mapped[str] = mapped_column(sa.String(1200), default="")
    kind: Mapped[AgencyKind] = mapped_column(str_enum(AgencyKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    is_active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], lazy="joined", innerjoin=False)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Agency {self.id} {self.name!r}>"
