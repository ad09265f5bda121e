"""A plan's input-output table: the supervisor's upload, parsed and kept as JSON (one table per plan; a new upload
replaces it, audited)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planapp.accounts.models import User
from planapp.core.db import JSONType
from planapp.extensions import db


class InputOutputTable(db.Model):
    """Intersectoral flows Z (row = seller, column = buyer) and total outputs x, in the file's sector order.
    `sections` holds, per sector, the ISIC section code it names (or None), so key sectors can become candidates
    tied to the section."""

    __tablename__ = "io_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"), unique=True)
    labels: Mapped[list] = mapped_column(JSONType)  # n sector labels as written in the file
    flows: Mapped[list] = mapped_column(JSONType)  # n × n numbers
    outputs: Mapped[list] = mapped_column(JSONType)  # n numbers
    sections: Mapped[list] = mapped_column(JSONType)  # n ISIC section codes or None
    file_name: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]

    uploaded_by: Mapped[User] = relationship(lazy="joined")
