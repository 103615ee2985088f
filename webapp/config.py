"""Settings from the environment, with safe development defaults.

APP_ENV must be named: a deployment that forgot it would otherwise run on the development keys
below, which anyone can read here. Production (APP_ENV=production) refuses to start when a
secret is missing, is one of the development defaults below, or when a development-only
backend or debug mode is configured.
"""

import os
from urllib.parse import urlsplit

DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
DEV_PII_KEY = "dev-only-personal-data-key-not-for-production"
DEV_AUDIT_KEY = "dev-only-signature-key-not-for-production"
TWILIO_REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


class UnsafeConfiguration(RuntimeError):
    """Raised when production is configured with something only fit for development."""


def from_environment(instance_path):
    """Build the configuration mapping from environment variables."""
    env = os.environ.get
    app_env = env("APP_ENV", "")
    development = app_env == "development"
    default_db = "sqlite:///" + os.path.join(instance_path, "app.db")
    return {
        "APP_ENV": app_env,
        "SECRET_KEY": env("SECRET_KEY", DEV_SECRET_KEY if development else ""),
        "PII_KEY": env("PII_KEY", DEV_PII_KEY if development else ""),
        "SIGNATURE_KEY": env("SIGNATURE_KEY", DEV_AUDIT_KEY if development else ""),
        "DATABASE": env("DATABASE_URL", default_db),
        # memory:// counts in each worker process apart: production names its storage.
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://" if development else ""),
        "TRUSTED_PROXIES": int(env("TRUSTED_PROXIES", "0")),
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "20 per minute"),
        "SMS_BACKEND": env("SMS_BACKEND", "console"),
        "TWILIO_ACCOUNT_SID": env("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": env("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM_NUMBER": env("TWILIO_FROM_NUMBER", ""),
        "TWILIO_MESSAGING_SERVICE_SID": env("TWILIO_MESSAGING_SERVICE_SID", ""),
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "SMS_GLOBAL_PER_MINUTE": int(env("SMS_GLOBAL_PER_MINUTE", "60")),
        "SMS_TIMEOUT_SECONDS": float(env("SMS_TIMEOUT_SECONDS", "10")),
        "OTP_KEY": env("OTP_KEY", ""),
        "CUSTOMER_IDLE_MINUTES": int(env("CUSTOMER_IDLE_MINUTES", "10")),
        "AGENT_IDLE_MINUTES": int(env("AGENT_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(env("SESSION_ABSOLUTE_HOURS", "12")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": app_env == "production",
        "SESSION_COOKIE_NAME": "ssb_session",
        # A form's token lasts as long as its session, which times out on its own.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
        "BANK_NAME_ZH": env("BANK_NAME_ZH", "示例银行"),
        "BANK_NAME_EN": env("BANK_NAME_EN", "Example Bank"),
        "BANK_HOTLINE": env("BANK_HOTLINE", "400-000-0000"),
        "CARD_NUMBER_PATTERN": env("CARD_NUMBER_PATTERN", r"[A-Z0-9]{9}"),
        "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        # Render the layout and fixed parts of pages once and keep them (webapp.templating).
        # None: in production only (create_app decides once APP_ENV is final); in development
        # templates and static files change as one works.
        "KEEP_RENDERED": None,
    }


def refuse_unsafe(config):
    """Raise UnsafeConfiguration naming every unsafe setting when running in production."""
    if not config.get("APP_ENV"):
        raise UnsafeConfiguration(
            "Refusing to start without APP_ENV: production for a live site, or development on "
            "your own machine (make run sets it)"
        )
    # A mistyped APP_ENV ("prod") would otherwise run a live site with the development keys.
    if config.get("APP_ENV") not in ("development", "production"):
        raise UnsafeConfiguration(
            f"Refusing to start: APP_ENV must be development or production, not "
            f"{config.get('APP_ENV')!r}"
        )
    if config.get("APP_ENV") != "production":
        return
    problems = []
    dev_values = {
        "SECRET_KEY": DEV_SECRET_KEY,
        "PII_KEY": DEV_PII_KEY,
        "SIGNATURE_KEY": DEV_AUDIT_KEY,
    }
    for name, dev_value in dev_values.items():
        value = config.get(name) or ""
        if not value:
            problems.append(f"{name} is not set")
        elif value == dev_value:
            problems.append(f"{name} is the development default")
        elif len(value) < 32:
            problems.append(f"{name} is shorter than 32 characters")
    if config.get("SMS_BACKEND") == "console":
        problems.append("SMS_BACKEND=console is for development only; use twilio")
    elif config.get("SMS_BACKEND") != "twilio":
        problems.append(f"SMS_BACKEND={config.get('SMS_BACKEND')!r} is unknown; use twilio")
    else:
        problems += [f"{name} is not set" for name in TWILIO_REQUIRED if not config.get(name)]
        if not (config.get("TWILIO_FROM_NUMBER") or config.get("TWILIO_MESSAGING_SERVICE_SID")):
            problems.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is not set")
    public = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    if public.scheme != "https" or public.hostname in (None, "localhost", "127.0.0.1"):
        problems.append(
            "PUBLIC_BASE_URL must be the site's public https address (Twilio calls it back)"
        )
    if config.get("OTP_KEY") and len(config["OTP_KEY"]) < 32:
        problems.append("OTP_KEY is shorter than 32 characters")
    if not config.get("RATELIMIT_STORAGE_URI"):
        problems.append(
            "RATELIMIT_STORAGE_URI is not set: redis://... shared by every worker and server, "
            "or memory:// for a single worker process"
        )
    if config.get("DEBUG"):
        problems.append("debug mode is on (FLASK_DEBUG): it shows visitors the app's insides")
    if problems:
        raise UnsafeConfiguration("Refusing to start in production: " + "; ".join(problems))
