"""Settings from the environment: production refuses to start with anything unsafe."""

import os
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.conftest import TEST_SETTINGS, post_form
from webapp import ROOT, config, create_app, database
from webapp.extensions import db
from webapp.models import AuditEvent

SETTINGS = [
    "APP_ENV",
    "PUBLIC_BASE_URL",
    "SECRET_KEY",
    "PII_KEY",
    "SIGNATURE_KEY",
    "SMS_BACKEND",
    "DATABASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "OTP_KEY",
    "RATELIMIT_STORAGE_URI",
    "FLASK_DEBUG",
]


def production_settings():
    """Settings production accepts: long random keys and a configured Twilio sender."""
    return {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PII_KEY": secrets.token_urlsafe(48),
        "SIGNATURE_KEY": secrets.token_urlsafe(48),
        "OTP_KEY": secrets.token_urlsafe(48),
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_FROM_NUMBER": "+15005550006",
        "PUBLIC_BASE_URL": "https://bank.example",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean environment with every setting production needs set to a safe value."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    safe = {
        **production_settings(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod' / 'app.db'}",
    }
    for name, value in safe.items():
        monkeypatch.setenv(name, value)
    yield monkeypatch
    if db.database is not None and not db.database.is_closed():
        db.database.close()


def _refusal(tmp_path):
    with pytest.raises(config.UnsafeConfiguration) as refused:
        create_app()
    assert not (tmp_path / "prod").exists(), "it touched the database before refusing"
    return str(refused.value)


def test_production_starts_with_safe_settings(environment):
    app = create_app()
    assert app.config["APP_ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SMS_BACKEND"] == "twilio"


def test_production_refuses_a_missing_secret_key(environment, tmp_path):
    environment.delenv("SECRET_KEY")
    message = _refusal(tmp_path)
    assert "SECRET_KEY is not set" in message


def test_production_refuses_an_empty_secret_key(environment, tmp_path):
    environment.setenv("SECRET_KEY", "")
    assert "SECRET_KEY is not set" in _refusal(tmp_path)


@pytest.mark.parametrize(
    "name, dev_value",
    [
        ("SECRET_KEY", config.DEV_SECRET_KEY),
        ("PII_KEY", config.DEV_PII_KEY),
        ("SIGNATURE_KEY", config.DEV_AUDIT_KEY),
    ],
)
def test_production_refuses_a_development_key(environment, tmp_path, name, dev_value):
    environment.setenv(name, dev_value)
    assert f"{name} is the development default" in _refusal(tmp_path)


@pytest.mark.parametrize("name", ["SECRET_KEY", "PII_KEY", "SIGNATURE_KEY"])
def test_production_refuses_a_short_key(environment, tmp_path, name):
    environment.setenv(name, "too-short-" + secrets.token_hex(4))
    assert f"{name} is shorter than 32 characters" in _refusal(tmp_path)


@pytest.mark.parametrize(
    "address", ["http://127.0.0.1:5000", "http://bank.example", "https://localhost", ""]
)
def test_production_refuses_a_public_address_twilio_cannot_call(environment, tmp_path, address):
    environment.setenv("PUBLIC_BASE_URL", address)
    assert "PUBLIC_BASE_URL must be the site's public https address" in _refusal(tmp_path)


def test_production_refuses_the_console_sms_backend(environment, tmp_path):
    environment.setenv("SMS_BACKEND", "console")
    assert "SMS_BACKEND=console" in _refusal(tmp_path)


def test_production_refuses_by_default_without_any_setting(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod' / 'app.db'}")
    message = _refusal(tmp_path)
    for problem in (
        "SECRET_KEY is not set",
        "PII_KEY is not set",
        "SIGNATURE_KEY is not set",
        "SMS_BACKEND=console",
    ):
        assert problem in message


def test_refusal_names_every_problem_at_once(environment, tmp_path):
    environment.delenv("SECRET_KEY")
    environment.setenv("PII_KEY", config.DEV_PII_KEY)
    environment.setenv("SIGNATURE_KEY", "short")
    environment.setenv("SMS_BACKEND", "console")
    message = _refusal(tmp_path)
    assert "SECRET_KEY is not set" in message
    assert "PII_KEY is the development default" in message
    assert "SIGNATURE_KEY is shorter than 32 characters" in message
    assert "SMS_BACKEND=console" in message


def test_refusal_never_repeats_a_secret_value(environment, tmp_path):
    leaked = "x" * 20
    environment.setenv("SECRET_KEY", leaked)
    message = _refusal(tmp_path)
    assert leaked not in message


def test_test_settings_override_the_environment(environment, tmp_path):
    environment.setenv("SMS_BACKEND", "console")
    app = create_app({"SMS_BACKEND": "twilio"})
    assert app.config["SMS_BACKEND"] == "twilio"


@pytest.mark.parametrize("app_env", ["prod", "Production", "staging "])
def test_unknown_app_env_is_refused(environment, tmp_path, app_env):
    environment.setenv("APP_ENV", app_env)
    environment.setenv("SECRET_KEY", config.DEV_SECRET_KEY)
    assert "APP_ENV" in _refusal(tmp_path)


def test_without_app_env_nothing_starts(monkeypatch, tmp_path):
    # Not even development: a live site that forgot it would run on keys anyone can read.
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.db'}")
    refusal = _refusal(tmp_path)
    assert refusal.startswith("Refusing to start without APP_ENV: production for a live site")


def test_production_names_its_rate_limit_storage(environment, tmp_path):
    environment.delenv("RATELIMIT_STORAGE_URI")
    assert "RATELIMIT_STORAGE_URI is not set" in _refusal(tmp_path)
    environment.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_refuses_debug_mode(environment, tmp_path):
    environment.setenv("FLASK_DEBUG", "1")
    assert "debug mode is on" in _refusal(tmp_path)


def test_development_starts_with_the_development_defaults(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.db'}")
    app = create_app()
    assert app.config["APP_ENV"] == "development"
    assert app.config["SECRET_KEY"] == config.DEV_SECRET_KEY
    assert app.config["SMS_BACKEND"] == "console"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_pages_are_kept_rendered_in_production_only(environment):
    assert create_app().config["KEEP_RENDERED"] is True  # APP_ENV=production in the environment
    environment.setenv("APP_ENV", "development")
    assert create_app().config["KEEP_RENDERED"] is False
    # Production named in the app's own settings, not the environment, decides the same.
    assert create_app(production_settings()).config["KEEP_RENDERED"] is True


@pytest.mark.parametrize(("proxies", "seen"), [(0, "10.0.0.2"), (1, "203.0.113.9")])
def test_the_client_address_is_the_proxys_unless_proxies_are_trusted(
    tmp_path, seeded_sqlite_file, proxies, seen
):
    path = tmp_path / "app.db"
    shutil.copyfile(seeded_sqlite_file, path)
    app = create_app(
        {
            **TEST_SETTINGS,
            "TRUSTED_PROXIES": proxies,
            "DATABASE": database.connect(f"sqlite:///{path}"),
        }
    )
    client = app.test_client()
    client.environ_base.update(
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="en"
    )
    post_form(client, "/login", {"username": "zhang.wei", "password": "not the password"})
    with app.app_context():
        assert AuditEvent.get(AuditEvent.action == "login.failed").ip == seen
    db.database.close()


def test_a_server_refused_its_settings_says_why_in_one_line(tmp_path):
    environment = {name: value for name, value in os.environ.items() if name not in SETTINGS}
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'app.db'}"
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode == 1
    assert started.stderr.startswith("Refusing to start without APP_ENV: production for a live")
    assert "Traceback" not in started.stderr and started.stderr.count("\n") == 1
    assert not (tmp_path / "app.db").exists()
