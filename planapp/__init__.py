"""PlanApp: preparation, approval, monitoring and revision of provincial development plans."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from planapp.config import CONFIGS, check_production_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application. Reads as the table of contents of everything that is wired in."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, config_name, overrides or {})
    register_extensions(app)
    register_i18n(app)
    register_security(app)
    register_workflow_plugins()
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    configure_logging(app)
    return app


def load_config(app: Flask, config_name: str | None, overrides: dict[str, Any]) -> None:
    import os

    name = config_name or os.environ.get("PLANAPP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"PLANAPP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    if name == "production":
        check_production_config(app.config)
        if app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
            app.logger.warning("RATELIMIT_STORAGE_URI is memory://: each worker counts sign-in attempts alone; "
                               "set it to redis://… so all workers share one count")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'planapp.db'}"


def register_extensions(app: Flask) -> None:
    from planapp.core import sqlite
    from planapp.extensions import csrf, db, login_manager, migrate
    from planapp.web import ratelimit

    db.init_app(app)
    with app.app_context():
        sqlite.configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    ratelimit.init_app(app)
    login_manager.init_app(app)


def register_i18n(app: Flask) -> None:
    from planapp.web import i18n

    i18n.init_app(app)


def register_security(app: Flask) -> None:
    from planapp.accounts import session_auth
    from planapp.web import access, security

    session_auth.init_app(app)
    app.before_request(security.enforce_session_lifetime)
    app.before_request(access.enforce_access_policy)
    security.init_app(app)


def register_workflow_plugins() -> None:
    """Exit checks and entry work that domains plug into the plan workflow (they register on import)."""
    import planapp.analysis.models  # noqa: F401
    import planapp.approvals.checks  # noqa: F401
    import planapp.calendar.models  # noqa: F401  (working days read the holiday table)

    # Tables of domains that no view imports yet must still be known to migrations and the scheduler.
    import planapp.indicators.models  # noqa: F401
    import planapp.mail.models  # noqa: F401
    import planapp.monitoring.models  # noqa: F401
    import planapp.plans.checks  # noqa: F401
    import planapp.scheduler.models  # noqa: F401
    import planapp.scoring.checks  # noqa: F401
    import planapp.scoring.models  # noqa: F401
    import planapp.swot.models  # noqa: F401
    import planapp.tasks.hooks  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from planapp.accounts.admin_views import bp as users_bp
    from planapp.accounts.delegation_views import bp as delegations_bp
    from planapp.accounts.invitation_views import bp as invitations_bp
    from planapp.accounts.reset_views import bp as password_bp
    from planapp.accounts.views import bp as accounts_bp
    from planapp.agencies.views import bp as agencies_bp
    from planapp.analysis.views import bp as analysis_bp
    from planapp.approvals.decision_views import bp as decisions_bp
    from planapp.approvals.views import bp as approvals_bp
    from planapp.audit.views import bp as audit_bp
    from planapp.calendar.views import bp as holidays_bp
    from planapp.dashboard.views import bp as dashboard_bp
    from planapp.indicators.catalog_views import bp as indicators_bp
    from planapp.indicators.catalog_views import regions_bp, sectors_bp
    from planapp.indicators.explore_views import bp as explorer_bp
    from planapp.indicators.import_views import bp as imports_bp
    from planapp.indicators.task_views import bp as task_indicators_bp  # also the task page's indicator grid
    from planapp.mail.preference_views import bp as email_preferences_bp
    from planapp.mail.views import bp as outbox_bp
    from planapp.notifications.views import bp as notifications_bp
    from planapp.plans.views import bp as plans_bp
    from planapp.scoring.task_views import bp as task_scores_bp
    from planapp.scoring.views import bp as scoring_bp
    from planapp.swot.views import bp as swot_bp
    from planapp.tasks.detail_views import bp as task_bp
    from planapp.tasks.template_views import bp as task_templates_bp
    from planapp.tasks.views import bp as tasks_bp
    from planapp.web.health import bp as health_bp

    for blueprint in (accounts_bp, users_bp, agencies_bp, audit_bp, dashboard_bp, health_bp, plans_bp, explorer_bp,
                      approvals_bp, notifications_bp, tasks_bp, task_bp, task_templates_bp, holidays_bp,
                      delegations_bp, outbox_bp, email_preferences_bp, invitations_bp, password_bp, decisions_bp,
                      indicators_bp, regions_bp, sectors_bp, swot_bp, task_indicators_bp, imports_bp):
        app.register_blueprint(blueprint)
    import planapp.scoring.results_views  # noqa: F401  (the results page and its export: routes on scoring_bp)

    app.register_blueprint(scoring_bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(task_scores_bp)


def register_errorhandlers(app: Flask) -> None:
    from planapp.web import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from planapp.web import filters

    filters.init_app(app)


def register_commands(app: Flask) -> None:
    from planapp import cli
    from planapp.calendar.cli import holidays_cli
    from planapp.plans.cli import workflow_group
    from planapp.scheduler.cli import scheduler_cli

    cli.init_app(app)
    app.cli.add_command(workflow_group)
    app.cli.add_command(holidays_cli)
    app.cli.add_command(scheduler_cli)  # `flask scheduler run` is its own process, never started from here


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
