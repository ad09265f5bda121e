"""`flask workflow show`: the plan life cycle as a table, for documentation and review."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from planapp.plans.workflow import TRANSITIONS, Stage

workflow_group = AppGroup("workflow", help="The plan life cycle declared in planapp/plans/workflow.py.")


@workflow_group.command("show")
def show() -> None:
    """Print every stage and transition: event, source → target, permission, guards, rules, effects."""
    click.echo("Stages: " + " → ".join(stage.value for stage in Stage))
    click.echo("")
    header = f"{'event':<22} {'source → target':<44} {'request':<20} {'decide':<18} rules"
    click.echo(header)
    click.echo("-" * len(header))
    for t in TRANSITIONS:
        rules = [g.__name__ for g in t.guards]
        rules += ["four-eyes"] * t.four_eyes + ["council vote"] * t.council + ["reason required"] * t.reason_required
        rules += ["auto-request"] * t.auto_request + [f"effect:{e}" for e in t.effects]
        route = f"{t.source.value} → {t.target.value}"
        click.echo(f"{t.event:<22} {route:<44} {t.permission.value:<20} {t.decide_permission.value:<18} "
                   + ", ".join(rules))
