"""Which e-mails exist, which cannot be switched off, and how their subject reads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Sent whatever the recipient's preference: someone must act, or cannot sign in without it.
CRITICAL = frozenset({"task.escalated", "transition.requested", "invitation", "password_reset"})

# Kinds that never wait for the digest (a link that expires, or the digest itself).
NEVER_DIGESTED = frozenset({"invitation", "password_reset", "digest"})

# Kinds with a template of their own under templates/email/; every other kind uses the notice template, whose
# sentence is the in-app notification's text (notifications/messages.py), so the two twins always say the same.
OWN_TEMPLATES = frozenset({"invitation", "password_reset", "digest"})

SUBJECTS = {
    "invitation": _l("You are invited to PlanApp"),
    "password_reset": _l("Choose a new PlanApp password"),
    "digest": _l("Your PlanApp digest"),
}
