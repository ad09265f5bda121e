"""The audit hash chain: pure functions, no Flask and no database.

Every audit row carries the hash of its own content chained to the hash of the row before it:

    content_n   = {occurred_at, actor_id, actor_label, action, object_type, object_id, summary, before, after, ip}
    canonical_n = json.dumps(content_n, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
                  with occurred_at as UTC ISO 8601 with microseconds ("2026-03-01T08:30:00.000123+00:00")
    hash_n      = sha256(utf8(prev_hash_n + canonical_n)).hexdigest()
    prev_hash_1 = "0" * 64 (GENESIS);  prev_hash_n = hash_(n-1)

so changing any stored field of a row breaks that row's hash, and deleting or reordering rows breaks the next
row's link. Rows are chained in id order.

The canonical form is what survives a round trip through SQLite's JSON text and PostgreSQL's JSONB: keys are
sorted (JSONB reorders them), and a float with an integral value is written as that integer (JSONB keeps numbers
as NUMERIC and gives 1e+20 back as the integer 100000000000000000000; 1.0 and 1 therefore hash alike).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64

# The hashed content of a row, in no particular order (the canonical JSON sorts the keys).
FIELDS = ("occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id",
          "summary", "before", "after", "ip")


def utc_iso(moment: datetime) -> str:
    """An aware datetime as UTC ISO 8601, always with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime in the audit chain")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _numbers(value: Any) -> Any:
    """Integral floats become ints, everywhere in a JSON value (see the module docstring)."""
    if isinstance(value, float):
        if math.isfinite(value):
            exact = Decimal(repr(value))  # the shortest text that round-trips: what json.dumps writes
            if exact == exact.to_integral_value():
                return int(exact)
        return value
    if isinstance(value, dict):
        return {key: _numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers(item) for item in value]
    return value


def canonical_json(row: Any) -> str:
    """The canonical JSON of a row's content (`row` is anything with the FIELDS as attributes)."""
    content = {field: getattr(row, field) for field in FIELDS}
    content["occurred_at"] = utc_iso(content["occurred_at"])
    content["before"] = _numbers(content["before"])
    content["after"] = _numbers(content["after"])
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def event_hash(prev_hash: str, row: Any) -> str:
    return hashlib.sha256((prev_hash + canonical_json(row)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    """The outcome of walking a chain: how many rows held, and the first one that did not (if any)."""

    verified: int
    last_hash: str
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(rows: Iterable[Any]) -> Verification:
    """Walk rows in id order (objects with id, prev_hash, hash and the FIELDS) and stop at the first bad one.

    A row is bad when its prev_hash is not the previous row's hash (a row deleted, inserted or reordered before
    it, or prev_hash edited) or when its hash is not the hash of its content (a field or the hash edited).
    Consumes the iterable lazily, so a streamed query is never held in memory.
    """
    expected_prev, previous_id, verified = GENESIS, None, 0
    for row in rows:
        if row.prev_hash != expected_prev:
            after = f"row {previous_id}'s hash" if previous_id is not None else "the genesis value (first row)"
            return Verification(verified, expected_prev, row.id,
                                f"prev_hash does not match the previous row's hash ({after}): "
                                "a row was deleted, inserted or reordered before it, or prev_hash was edited")
        actual = event_hash(row.prev_hash, row)
        if row.hash != actual:
            return Verification(verified, expected_prev, row.id,
                                "hash mismatch: the stored content or hash of this row was changed")
        expected_prev, previous_id, verified = row.hash, row.id, verified + 1
    return Verification(verified, expected_prev)
