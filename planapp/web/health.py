"""/healthz for load balancers and monitoring: is the database answering?"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from planapp.extensions import db
from planapp.web.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # any failure means "not healthy"; the detail goes to the log, not the response
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
