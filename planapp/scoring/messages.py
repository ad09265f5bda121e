"""Analytics errors in the user's language: one mapping from AnalyticsError.code to a message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from planapp.analytics import AnalyticsError

ANALYTICS_MESSAGES = {
    "not_numeric": _l("Some values are not numbers."),
    "nan": _l("Some values are missing."),
    "negative": _l("Some values are negative, which is not possible here."),
    "not_positive": _l("Every value must be above zero."),
    "zero_total": _l("The values add up to zero, so shares cannot be computed."),
    "zero_sector": _l("A sector has no value in the nation, so its location quotient is undefined."),
    "not_square": _l("The comparison table must have as many rows as columns."),
    "not_reciprocal": _l("Each comparison must be the inverse of its mirror comparison."),
    "singular": _l("The table cannot be inverted."),
    "not_productive": _l("The input-output table is not productive."),
    "wrong_length": _l("The number of values does not match the number of items."),
    "wrong_shape": _l("The table does not have the expected shape."),
    "labels": _l("The rows and columns do not name the same items."),
    "too_few": _l("There are too few items to compute this."),
    "too_many": _l("At most 10 criteria can be compared pairwise at once. Use direct weights or fewer criteria."),
    "bad_option": _l("An unknown option was chosen."),
    "no_difference": _l("The values do not differ, so they cannot be compared."),
    "not_normalised": _l("The weights must add up to 1."),
    "out_of_range": _l("A value is off its scale."),
}
UNKNOWN = _l("The computation could not be done with these values.")


def analytics_message(error: AnalyticsError) -> str:
    return str(ANALYTICS_MESSAGES.get(getattr(error, "code", ""), UNKNOWN))
