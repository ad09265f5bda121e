"""What the plan's stored input-output table shows: output multipliers, backward and forward linkages, and the key
sectors (both linkages above 1) — on the analysis page and as candidates on the scoring page."""

from __future__ import annotations

from dataclasses import dataclass, field

from planapp.analysis import queries
from planapp.analysis.io_tables import TableRefused, compute
from planapp.analysis.models import InputOutputTable


@dataclass(frozen=True)
class SectorLinkage:
    label: str
    section: str | None  # the ISIC section code the label names, if any
    multiplier: float
    backward: float
    forward: float

    @property
    def is_key(self) -> bool:
        return self.backward > 1 and self.forward > 1


@dataclass
class Linkages:
    table: InputOutputTable | None = None
    rows: list[SectorLinkage] = field(default_factory=list)  # in the table's order
    problem: str = ""

    @property
    def key_sectors(self) -> list[SectorLinkage]:
        """Key sectors, the strongest pull (backward linkage) first."""
        return sorted((row for row in self.rows if row.is_key), key=lambda row: -row.backward)

    def chart_data(self) -> dict:
        return {"points": [{"name": row.label, "x": round(row.backward, 4), "y": round(row.forward, 4),
                            "key": row.is_key} for row in self.rows]}


def linkages(table: InputOutputTable | None) -> Linkages:
    if table is None:
        return Linkages()
    try:
        result = compute(table.labels, table.flows, table.outputs)
    except TableRefused as error:  # stored tables were checked on upload; kept here for tables of older rules
        return Linkages(table, problem=str(error.message))
    sections = table.sections or [None] * len(table.labels)
    rows = [SectorLinkage(label, section, float(result.output_multipliers[label]),
                          float(result.backward_linkage[label]), float(result.forward_linkage[label]))
            for label, section in zip(table.labels, sections, strict=True)]
    return Linkages(table, rows)


def plan_key_sectors(plan_id: int) -> list[SectorLinkage]:
    """The key sectors of the plan's input-output table (none without a table)."""
    return linkages(queries.get_io_table(plan_id)).key_sectors
