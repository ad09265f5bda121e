from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField

from planapp.accounts.models import EmailPreference
from planapp.core.forms import choices, required

PREFERENCE_LABELS = {
    EmailPreference.IMMEDIATE: _l("Each e-mail as it happens"),
    EmailPreference.DIGEST: _l("One e-mail a day with everything (daily digest)"),
    EmailPreference.OFF: _l("No e-mail (only the critical ones)"),
}


class EmailPreferenceForm(FlaskForm):
    email_preference = RadioField(_l("E-mails from PlanApp"), validators=[required()],
                                  choices=choices((pref.value, label) for pref, label in PREFERENCE_LABELS.items()))
