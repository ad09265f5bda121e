from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from planapp.core.db import TimestampMixin
from planapp.extensions import db


class Holiday(TimestampMixin, db.Model):
    """An official day off (Gregorian `day`; shown in Jalali). Working-day arithmetic skips it.

    One row per day: when two occasions fall on the same day (Nowruz and Eid al-Fitr on 1 Farvardin 1405) the
    name carries both.
    """

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Holiday {self.day.isoformat()} {self.name!r}>"
