"""Building a benchmark database: migrated, with the demo personas and a generated data set."""

import glob
import os
import subprocess
import time

import psycopg2

from bench import dataset, environment
from webapp import create_app, database, demo
from webapp.extensions import db


def production_app(database_url):
    """The real app under the benchmark's production settings, built in this process."""
    return create_app(environment.production_config(database_url))


def _admin_connection():
    return psycopg2.connect(environment.POSTGRES_ADMIN_URL + "/postgres", connect_timeout=5)


def ensure_postgres(log=print):
    """Start the local PostgreSQL cluster (installing Debian's package) when it does not answer."""
    try:
        _admin_connection().close()
        return
    except psycopg2.OperationalError:
        log("  PostgreSQL is not answering on 127.0.0.1:5432: starting it")
    if not glob.glob("/etc/postgresql/*/main"):
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=apt)
    newest = sorted(glob.glob("/etc/postgresql/*/main"), key=lambda p: int(p.split("/")[3]))[-1]
    version = newest.split("/")[3]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
    )
    for _ in range(30):
        try:
            _admin_connection().close()
            return
        except psycopg2.OperationalError:
            time.sleep(1)
    raise RuntimeError("PostgreSQL did not start; the PostgreSQL benchmarks need it")


def fresh_postgres():
    """Drop and create the benchmark database on the local PostgreSQL; returns its URL."""
    admin = _admin_connection()
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
