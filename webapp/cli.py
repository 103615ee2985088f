"""flask commands: migrate, seed-demo."""

import click
from flask import current_app

from webapp import database, demo
from webapp.extensions import db


def register(app):
    """Add the project's commands to the flask CLI."""

    @app.cli.command("migrate")
    def migrate_command():
        """Apply pending database migrations."""
        applied = database.migrate(db.database)
        click.echo("Applied: " + ", ".join(applied) if applied else "Database is up to date.")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo personas (refused in production)."""
        if current_app.config["APP_ENV"] == "production":
            raise click.ClickException("Demo data is never seeded in production.")
        created = demo.seed()
        click.echo(f"Demo data ready ({created} new customers).")
