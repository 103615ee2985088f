"""Login throttling per client address, in memory by default and in Redis when configured."""

import secrets
import socket

import pytest
import redis

from tests.conftest import TEST_SETTINGS, log_in
from webapp import create_app, database

pytestmark = pytest.mark.database


def _redis_answers():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _app(tmp_path, seeded_sqlite_file, **settings):
    path = tmp_path / "limits.db"
    path.write_bytes(seeded_sqlite_file.read_bytes())
    return create_app(
        {**TEST_SETTINGS, "DATABASE": database.connect(f"sqlite:///{path}"), **settings}
    )


def test_too_many_login_attempts_from_one_address_get_a_clear_429(tmp_path, seeded_sqlite_file):
    app = _app(tmp_path, seeded_sqlite_file, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for _ in range(3):
        assert log_in(client, password="wrong-password").status_code == 200
    response = log_in(client, password="wrong-password")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_limits_can_be_shared_through_redis(tmp_path, seeded_sqlite_file):
    settings = {
        "LOGIN_RATE_LIMIT": "2 per minute",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "RATELIMIT_KEY_PREFIX": f"ssb-test-{secrets.token_hex(6)}",
    }
    client = _app(tmp_path, seeded_sqlite_file, **settings).test_client()
    assert log_in(client, password="wrong-password").status_code == 200
    assert log_in(client, password="wrong-password").status_code == 200
    assert log_in(client, password="wrong-password").status_code == 429
    # The count lives in Redis, where every app server reads it.
    prefix = settings["RATELIMIT_KEY_PREFIX"]
    store = redis.Redis(host="127.0.0.1", port=6379)
    keys = store.keys(f"LIMITS:LIMITER/{prefix}/*")
    assert keys
    store.delete(*keys)
