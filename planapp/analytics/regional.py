"""Regional economic base measures: location quotient, shift-share, Krugman specialization, Herfindahl concentration.

Conventions: the classic (comparative-static) forms as taught in regional economics, e.g. E. M. Hoover and
F. Giarratani, *An Introduction to Regional Economics*; shift-share after Dunn (1960). Values are employment (or
output, value added…) by sector; a Series keeps its sector labels and two Series are matched by label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planapp.analytics._inputs import AnalyticsError, align, label_of, series, vector

SHIFT_SHARE_COLUMNS = ("national_share", "industry_mix", "regional_shift", "total_change")


def _positive_total(values: np.ndarray, name: str) -> float:
    total = float(values.sum())
    if total <= 0:
        raise AnalyticsError("zero_total", f"The {name} add up to zero: there is nothing to take shares of.")
    return total


def location_quotient(regional: Any, national: Any) -> pd.Series:
    """Location quotient of each sector: the region's share of the sector over the nation's share.

    Formula:  LQᵢ = (eᵢ / Σe) / (Nᵢ / ΣN)   with eᵢ the region's and Nᵢ the nation's value in sector i.

    LQ > 1: the region is more specialised in the sector than the nation (usually read as an exporting, "basic"
    sector); LQ = 1: the same share; LQ < 1: less. Values must be non-negative and finite, both totals positive, and
    every sector must exist in the nation (Nᵢ > 0). Returns a Series named ``location_quotient``.
    """
    (e, n), labels = align([regional, national], ["regional values", "national values"])
    e_total = _positive_total(e, "regional values")
    n_total = _positive_total(n, "national values")
    zero = np.flatnonzero(n == 0)
    if zero.size:
        raise AnalyticsError("zero_sector", f"Sector {label_of(labels, zero[0])} is zero in the nation, so its "
                             "location quotient is undefined.")
    return series((e / e_total) / (n / n_total), labels, "location_quotient")


def shift_share(regional_base: Any, regional_end: Any, national_base: Any, national_end: Any) -> pd.DataFrame:
    """Classic three-part shift-share decomposition of each sector's change in the region.

    With e the region, N the nation, 0 the base year and t the end year:

        G  = ΣNₜ / ΣN₀ − 1          the nation's total growth rate
        gᵢ = Nᵢₜ / Nᵢ₀ − 1          the nation's growth in sector i
        rᵢ = eᵢₜ / eᵢ₀ − 1          the region's growth in sector i
        national_share  NSᵢ = eᵢ₀ · G
        industry_mix    IMᵢ = eᵢ₀ · (gᵢ − G)
        regional_shift  RSᵢ = eᵢ₀ · (rᵢ − gᵢ)  computed as (eᵢₜ − eᵢ₀) − eᵢ₀ · gᵢ, so a sector new to the region
                        (eᵢ₀ = 0) has NS = IM = 0 and its whole change as regional shift
        total_change    = eᵢₜ − eᵢ₀ = NSᵢ + IMᵢ + RSᵢ

    Every sector needs a positive national base value (Nᵢ₀ > 0) and the national base total must be positive.
    Returns a DataFrame indexed by sector with the columns above.
    """
    (e0, et, n0, nt), labels = align(
        [regional_base, regional_end, national_base, national_end],
        ["regional base values", "regional end values", "national base values", "national end values"],
    )
    n0_total = _positive_total(n0, "national base values")
    zero = np.flatnonzero(n0 == 0)
    if zero.size:
        raise AnalyticsError("zero_sector", f"Sector {label_of(labels, zero[0])} is zero in the nation's base "
                             "year, so its national growth rate is undefined.")
    growth = nt.sum() / n0_total - 1.0
    sector_growth = nt / n0 - 1.0
    total = et - e0
    national = e0 * growth
    mix = e0 * (sector_growth - growth)
    shift = total - e0 * sector_growth
    frame = pd.DataFrame(
        np.column_stack([national, mix, shift, total]), columns=list(SHIFT_SHARE_COLUMNS),
        index=labels if labels is not None else pd.RangeIndex(len(e0)),
    )
    return frame


def specialization(regional: Any, national: Any) -> float:
    """Krugman specialization index of a region against the nation.

    Formula:  K = Σᵢ |sᵢ − nᵢ|   with sᵢ = eᵢ / Σe and nᵢ = Nᵢ / ΣN the sector shares.

    K = 0 when the region has the nation's structure; the largest value, 2, when they share no sector.
    (Some authors halve it to lie in [0, 1]; this one is not halved.)
    """
    (e, n), _ = align([regional, national], ["regional values", "national values"])
    s = e / _positive_total(e, "regional values")
    m = n / _positive_total(n, "national values")
    return float(np.abs(s - m).sum())


def herfindahl(shares: Any) -> float:
    """Herfindahl(–Hirschman) concentration index of a distribution over sectors (or firms, regions…).

    Formula:  H = Σᵢ sᵢ²   with sᵢ = xᵢ / Σx.

    The values may be shares or any non-negative amounts: they are divided by their total first, so H does not
    depend on the unit. H = 1/n for n equal parts, 1 when everything is in one part. Multiply by 10,000 for the
    "points" used in competition policy.
    """
    values, _ = vector(shares, "shares")
    s = values / _positive_total(values, "shares")
    return float(np.dot(s, s))
