from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, validators

from planapp.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from planapp.core.forms import choices, email_format, jalali_date, max_length, optional_int, required, strip
from planapp.core.i18n import lazy_digits
from planapp.core.permissions import Role


def password_rules() -> list:
    return [
        required(),
        validators.Length(
            min=MIN_LENGTH,
            max=MAX_LENGTH,
            message=_l(
                "The password must be %(min)s to %(max)s characters long.",
                min=lazy_digits(MIN_LENGTH),
                max=lazy_digits(MAX_LENGTH),
            ),
        ),
    ]


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[required(), max_length(254)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[required(), max_length(MAX_LENGTH)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), max_length(MAX_LENGTH)])
    new_password = PasswordField(_l("New password"), validators=password_rules())
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), validators.EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class LanguageForm(FlaskForm):
    language = SelectField(choices=choices([("fa", "فارسی"), ("en", "English")]), validators=[required()])


class UserForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[required(), max_length(254), email_format()], filters=[strip])
    name = StringField(_l("Full name"), validators=[required(), max_length(120)], filters=[strip])
    role = SelectField(_l("Role"), validators=[required()])
    agency_id = SelectField(_l("Agency"), coerce=optional_int, validators=[required()])
    language = SelectField(_l("Language"), choices=choices([("fa", "فارسی"), ("en", "English")]))

    def __init__(self, *args, agency_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices((role.value, role.label) for role in Role)
        self.agency_id.choices = choices([("", _l("— choose —")), *agency_choices])


class NewUserForm(UserForm):
    password = PasswordField(_l("Initial password"), validators=password_rules())


class DelegationForm(FlaskForm):
    starts_on = StringField(_l("Away from (Jalali)"), validators=[required(), max_length(20), jalali_date()],
                            filters=[strip])
    ends_on = StringField(_l("Until (Jalali, included)"), validators=[required(), max_length(20), jalali_date()],
                          filters=[strip])
    # The service says why a choice is refused (another agency, oneself, a deactivated account).
    substitute_id = SelectField(_l("My substitute"), coerce=optional_int, validators=[required()],
                                validate_choice=False)
    reason = StringField(_l("Reason (optional)"), validators=[validators.Optional(), max_length(300)],
                         filters=[strip])

    def __init__(self, *args, colleagues: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.substitute_id.choices = choices([("", _l("— choose —")), *colleagues])


class InvitationForm(FlaskForm):
    """Invite a person by e-mail to an agency, or to one task (its agency is then the default)."""

    name = StringField(_l("Full name"), validators=[required(), max_length(120)], filters=[strip])
    email = StringField(_l("E-mail"), validators=[required(), max_length(254), email_format()], filters=[strip])
    # Checked by the service, which takes the task's agency when none is chosen for a task invitation.
    agency_id = SelectField(_l("Agency"), coerce=optional_int)
    language = SelectField(_l("Language of the e-mail and the pages"),
                           choices=choices([("fa", "فارسی"), ("en", "English")]))
    task_id = HiddenField(filters=[lambda value: optional_int(value) if str(value or "").isdecimal() else None])

    def __init__(self, *args, agency_choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.agency_id.choices = choices([("", _l("— choose —")), *agency_choices])


class SetPasswordForm(FlaskForm):
    """Choosing a password from an invitation or a reset link."""

    password = PasswordField(_l("New password"), validators=password_rules())
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), validators.EqualTo("password", message=_l("The two passwords differ."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[required(), max_length(254), email_format()], filters=[strip])
