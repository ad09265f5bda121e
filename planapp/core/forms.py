"""Form pieces shared by every domain: translated validator messages and Persian-friendly coercion."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, validators

from planapp.core.i18n import lazy_digits, parse_jalali_date
from planapp.core.text import clean_line


def required() -> validators.DataRequired:
    # DataRequired checks the value after the strip filter: a name of only spaces is no name.
    return validators.DataRequired(message=_l("This field is required."))


def max_length(n: int) -> validators.Length:
    return validators.Length(max=n, message=_l("At most %(n)s characters are allowed.", n=lazy_digits(n)))


def email_format() -> validators.Email:
    return validators.Email(message=_l("Enter a valid e-mail address, e.g. name@example.ir."),
                            check_deliverability=False)


def choices(pairs: Any) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 retires bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value: Any) -> Any:
    return clean_line(value) if isinstance(value, str) else value


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def optional_text(value: Any) -> str | None:
    """Coerce for a select whose first choice is "none": the empty choice becomes None."""
    if value in (None, "", "None"):
        return None
    return str(value)


def jalali_date() -> Any:
    """A Jalali date as people type it: ۱۴۰۵/۰۹/۱۵, 1405/9/15 or 1405-09-15, and a real day of the calendar."""

    def check(form: Any, field: Any) -> None:
        if field.data and parse_jalali_date(field.data) is None:
            raise validators.StopValidation(str(_l("Enter a real Jalali date, e.g. 1405/09/15.")))

    return check


def apply_service_error(form: Any, error: Any) -> None:
    """Show a service refusal next to its field (or at the form's top)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))
