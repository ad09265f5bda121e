"""Command-line tools: `flask seed-demo`, `flask create-user`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from planapp.accounts import services as accounts
from planapp.accounts.passwords import MIN_LENGTH
from planapp.agencies.models import Agency
from planapp.audit.cli import audit_cli
from planapp.core.errors import ValidationFailed
from planapp.core.permissions import Role
from planapp.core.text import fold
from planapp.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo agencies and users (idempotent) and print the demo logins."""
    from planapp.demo import DEMO_PASSWORD, seed_demo

    logins = seed_demo()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, role in logins:
        click.echo(f"  {role.value:<12} {email}")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--agency", "agency_name", required=True, help="The agency's Persian name, as stored.")
@click.password_option(help="Asked for when not given.")
def create_user_command(email: str, name: str, role: str, agency_name: str, password: str) -> None:
    """Create a user (for example the first admin of a new installation)."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.name_key == fold(agency_name)))
    if agency is None:
        raise click.ClickException(f"No agency named {agency_name!r}.")
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"The password must have at least {MIN_LENGTH} characters.")
    data = {"email": email, "name": name, "role": role, "agency_id": agency.id, "language": "fa"}
    try:
        user = accounts.create_user(None, data, password)
    except ValidationFailed as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}) in {agency.name}.")


@click.command("create-agency")
@with_appcontext
@click.option("--name", required=True)
@click.option("--name-en", default=None)
@click.option("--kind", type=click.Choice(["government", "non_government", "private", "ngo"]), required=True)
@click.option("--email", default=None)
def create_agency_command(name: str, name_en: str | None, kind: str, email: str | None) -> None:
    """Create an agency (the first one of a new installation, before any admin exists)."""
    from planapp.agencies import services as agencies

    try:
        agency = agencies.create_agency(None, {"name": name, "name_en": name_en, "kind": kind, "email": email})
    except ValidationFailed as error:
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Created agency {agency.id}: {agency.name}")


def init_app(app: Flask) -> None:
    for command in (seed_demo_command, create_user_command, create_agency_command, audit_cli):
        app.cli.add_command(command)
