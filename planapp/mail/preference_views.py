"""Each person's choice of e-mails: immediate, a daily digest, or none but the critical ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planapp.core.permissions import Perm
from planapp.extensions import db
from planapp.mail import services
from planapp.mail.forms import EmailPreferenceForm
from planapp.web.access import requires

bp = Blueprint("email_preferences", __name__)


@bp.route("/account/email", methods=["GET", "POST"], endpoint="edit")
@requires(Perm.USE_APP)
def edit():
    user = current_user._get_current_object()
    form = EmailPreferenceForm(data={"email_preference": user.email_preference.value})
    if form.validate_on_submit():
        services.set_email_preference(user, form.email_preference.data)
        db.session.commit()
        flash(_("Your e-mail choice is saved."), "success")
        return redirect(url_for("email_preferences.edit"))
    return render_template("mail/preferences.html", form=form, user=user)
