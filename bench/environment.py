"""Production-like settings for every app the benchmarks build or serve, and where runs live."""

import os
import secrets
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "bench", "results")
BIN = os.path.join(ROOT, ".venv", "bin")
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432")
POSTGRES_DATABASE = "ssb_bench"

# One set of long random keys per run: the data set is encrypted with them and the servers
# read it with them, and no development key is ever accepted in production.
KEYS = {name: secrets.token_urlsafe(48) for name in ("SECRET_KEY", "PII_KEY", "SIGNATURE_KEY")}


def postgres_url():
    """The benchmark database on the local PostgreSQL."""
    return f"{POSTGRES_ADMIN_URL}/{POSTGRES_DATABASE}"


def production_env(database_url):
    """Environment variables of a production deployment, safe to start on this machine.

    Twilio gets dummy credentials: no page under load sends an SMS. The login limit is raised
    because the benchmark logs in more often than any person would.
    """
    return {
        "APP_ENV": "production",
        **KEYS,
        "DATABASE_URL": database_url,
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "0" * 32,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "PUBLIC_BASE_URL": "https://bank.example",
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def production_config(database_url):
    """The same settings as create_app() overrides, for apps built inside this process."""
    env = production_env(database_url)
    config = {name: value for name, value in env.items() if name != "DATABASE_URL"}
    config["DATABASE"] = database_url
    return config


def scratch_dir():
    """A fresh directory for this run's SQLite files and wrk scripts."""
    return tempfile.mkdtemp(prefix="ssb-bench-")
