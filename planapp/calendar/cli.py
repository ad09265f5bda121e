"""`flask holidays seed --year 1405` and `flask holidays list --year 1405`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from planapp.calendar.queries import list_holidays
from planapp.calendar.seed import SUPPORTED_YEARS, seed_holidays
from planapp.core.i18n import jalali
from planapp.extensions import db

holidays_cli = AppGroup("holidays", help="The official holidays that working-day deadlines skip.")


@holidays_cli.command("seed")
@click.option("--year", type=int, required=True, help="The Jalali year, e.g. 1405.")
def seed_command(year: int) -> None:
    """Add the official holidays of a Jalali year (idempotent: days already in the table are kept)."""
    if year not in SUPPORTED_YEARS:
        known = ", ".join(str(y) for y in sorted(SUPPORTED_YEARS))
        raise click.ClickException(f"No holiday list for {year} (known: {known}). Add its days by hand, or "
                                   "extend planapp/calendar/seed.py.")
    added = seed_holidays(year)
    db.session.commit()
    total = len(list_holidays(year))
    click.echo(f"{year}: {len(added)} holidays added, {total} in the table for the year.")


@holidays_cli.command("list")
@click.option("--year", type=int, required=True, help="The Jalali year, e.g. 1405.")
def list_command(year: int) -> None:
    """Print the holidays of a Jalali year: Jalali date, Gregorian date, weekday, name."""
    for holiday in list_holidays(year):
        click.echo(f"{jalali(holiday.day).strftime('%Y/%m/%d')}  {holiday.day.isoformat()}  "
                   f"{holiday.day.strftime('%a')}  {holiday.name}")
