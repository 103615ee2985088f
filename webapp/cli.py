"""flask commands: migrate, seed-demo, registry-import, expire-applications, verify-signatures."""

import functools

import click
from flask import current_app

from webapp import binding, database, demo, signatures
from webapp.extensions import db
from webapp.registry.csv_import import RejectedFile, import_cards
from webapp.registry.insurance_import import import_contributions


def needs_tables(command):
    """A command that reads the app's tables says to migrate first, rather than failing with a
    traceback, on a database that has none yet."""

    @functools.wraps(command)
    def checked(*args, **kwargs):
        if not db.database.get_tables():
            raise click.ClickException("The database has no tables yet: run flask migrate first.")
        return command(*args, **kwargs)

    return checked


def _import_file(run_import, records):
    """Run an all-or-nothing import and report it: each problem, or what it changed."""
    try:
        done = run_import()
    except RejectedFile as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException("Nothing was imported; fix the lines above.") from None
    click.echo(
        f"Imported {done.created} new, {done.updated} updated and {done.unchanged} unchanged "
        f"{records}."
    )
    if done.people_updated:
        click.echo(f"{done.people_updated} insured person(s) now have another name or region.")


def register(app):
    """Add the project's commands to the flask CLI."""

    @app.cli.command("migrate")
    def migrate_command():
        """Apply pending database migrations."""
        applied = database.migrate(db.database)
        click.echo("Applied: " + ", ".join(applied) if applied else "Database is up to date.")

    @app.cli.command("seed-demo")
    @needs_tables
    def seed_demo_command():
        """Create the demo personas (refused in production)."""
        if current_app.config["APP_ENV"] == "production":
            raise click.ClickException("Demo data is never seeded in production.")
        created = demo.seed()
        click.echo(f"Demo data ready ({created} new customers).")

    @app.cli.command("registry-import")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @needs_tables
    def registry_import_command(csv_file):
        """Import social security cards into the local registry from a CSV file."""
        pattern = current_app.config["CARD_NUMBER_PATTERN"]
        _import_file(lambda: import_cards(csv_file, pattern), "cards")

    @app.cli.command("registry-import-contributions")
    @click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
    @needs_tables
    def registry_import_contributions_command(csv_file):
        """Import contribution records into the local registry from a CSV file (all or nothing)."""
        _import_file(lambda: import_contributions(csv_file), "contribution records")

    @app.cli.command("expire-applications")
    @needs_tables
    def expire_applications_command():
        """Expire applications untouched for 24 hours."""
        expired = binding.expire_stale()
        click.echo(f"Expired {expired} application{'' if expired == 1 else 's'}.")

    @app.cli.command("verify-signatures")
    @needs_tables
    def verify_signatures_command():
        """Check every signature record against its seal; exit 1 if any was changed."""
        broken = signatures.tampered()
        for record in broken:
            click.echo(
                f"TAMPERED: signature record {record.id} (application {record.application_id})",
                err=True,
            )
        total = signatures.count()
        if broken:
            raise click.ClickException(
                f"{len(broken)} of {total} signature records fail their seal."
            )
        click.echo(f"All {total} signature records are intact.")
