"""Building a benchmark database: migrated, with the demo personas and a generated data set."""

import time

import psycopg2

from bench import dataset, environment
from webapp import create_app, database, demo
from webapp.extensions import db


def production_app(database_url):
    """The real app under the benchmark's production settings, built in this process."""
    return create_app(environment.production_config(database_url))


def fresh_postgres():
    """Drop and create the benchmark database on the local PostgreSQL; returns its URL."""
    admin = psycopg2.connect(environment.POSTGRES_ADMIN_URL + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {environment.POSTGRES_DATABASE}")
        cursor.execute(f"CREATE DATABASE {environment.POSTGRES_DATABASE}")
    admin.close()
    return environment.postgres_url()


def build(database_url, customers, bound, log=print):
    """Migrate, seed the demo personas, then load the generated data set.

    Returns what was loaded: the first generated ids, row counts and seconds taken.
    """
    app = production_app(database_url)
    started = time.perf_counter()
    with app.app_context():
        database.migrate(db.database)
        demo.seed()
        migrated = time.perf_counter()
        log(f"  migrated and seeded the demo personas in {migrated - started:.1f} s")
        first, counts = dataset.load(db.database, customers, bound)
        loaded = time.perf_counter()
        db.database.close()
    summary = ", ".join(f"{count:,} {table}" for table, count in counts.items())
    log(f"  generated {summary} in {loaded - migrated:.1f} s")
    return {
        "customers": customers,
        "bound": bound,
        "first_ids": first,
        "rows": counts,
        "seconds": round(loaded - migrated, 1),
    }
