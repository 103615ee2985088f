"""Browser fixtures: the real app served on a local port, and Chromium emulating a phone.

One server and one browser per session; every test gets a fresh browser context (cookies,
storage) at 360 x 740 CSS pixels. Screenshots go to test-artifacts/ for people to look at.
"""

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from webapp import create_app, database, demo, pii
from webapp.extensions import db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


class LiveServer:
    """The app on a migrated, seeded SQLite file, served by werkzeug in a background thread."""

    def __init__(self, path):
        self.database = database.connect(f"sqlite:///{path}")
        self.app = create_app(
            {
                "DATABASE": self.database,
                "LOGIN_RATE_LIMIT": "1000 per minute",
                "KEEP_RENDERED": True,
            }
        )
        with self.app.app_context():
            database.migrate(db.database)
            demo.seed()
            db.database.close()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bind(self):
        """Point the process-wide database proxy and key at this app again.

        Request tests build apps of their own, which rebind both; a browser test that runs after
        one must not talk to that test's database.
        """
        db.database.initialize(self.database)
        pii.configure(self.app.config["PII_KEY"])

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.database.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app, migrated and seeded with the demo personas, at live_server.url."""
    server = LiveServer(tmp_path_factory.mktemp("live") / "app.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _live_server_bound(live_server):
    live_server.bind()


def _chromium_path():
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return None  # Playwright's own Chromium


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=_chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()
    playwright.stop()


class Problems(list):
    """Console errors, CSP violations and uncaught exceptions seen by one page."""

    def watch(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.append(f"uncaught: {error}"))

    def _console(self, message):
        text = message.text
        if message.type == "error" or "Content Security Policy" in text or "Refused to" in text:
            self.append(f"console {message.type}: {text}")


@pytest.fixture
def open_page(browser, live_server):
    """Open a new phone-sized page: open_page(locale="en-US", javascript=True)."""
    contexts = []

    def open_(locale="en-US", javascript=True):
        context = browser.new_context(
            **PHONE,
            locale=locale,
            java_script_enabled=javascript,
            base_url=live_server.url,
        )
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        page.problems = Problems()
        page.problems.watch(page)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """A phone in English with JavaScript on."""
    return open_page()


@pytest.fixture
def page_nojs(open_page):
    """A phone in English with JavaScript off."""
    return open_page(javascript=False)


@pytest.fixture
def page_zh(open_page):
    """A phone in Simplified Chinese with JavaScript on."""
    return open_page(locale="zh-CN")


def screenshot(page, name):
    """Save the whole page as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = ARTIFACTS / f"{safe}.png"
    # caret="initial": hiding the caret would inject a <style>, which the CSP rightly blocks.
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def log_in(page, username="zhang.wei", password=demo.PASSWORD):
    """Log in through the login form, as a customer would."""
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form:not(.inline-form) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def wait_for_htmx(locator):
    """Wait until htmx has set up the element (it keeps its state for it in a property), so
    what the test types next is seen as a change, as it would be for a person."""
    locator.page.wait_for_function(
        "element => element['htmx-internal-data'] !== undefined", arg=locator.element_handle()
    )


TAP = 44
# Layout facts measured in the page: what overflows the 360 px viewport, what is too small to
# tap, which inputs have a font small enough that the phone zooms in on focus.
MEASURE = """
({ tappable, tap }) => {
  const visible = (el) => el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== "hidden"
    && !el.closest(".skip-link, .visually-hidden");
  const width = window.innerWidth;
  const describe = (el) => el.outerHTML.slice(0, 90);
  return {
    innerWidth: width,
    scrollWidth: document.documentElement.scrollWidth,
    overflowing: [...document.body.querySelectorAll("*")].filter(visible).filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.left < -0.5 || r.right > width + 0.5);
    }).map(describe),
    small: [...document.querySelectorAll(tappable)].filter(visible).map((el) => {
      const r = el.getBoundingClientRect();
      return { el: describe(el), height: r.height, width: r.width };
    }).filter((t) => Math.min(t.height, t.width) < tap - 0.01),
    smallFonts: [...document.querySelectorAll("input, select, textarea")].filter(visible)
      .map((el) => ({ el: describe(el), size: parseFloat(getComputedStyle(el).fontSize) }))
      .filter((f) => f.size < 16),
  };
}
"""


def check_phone_layout(page, tappable):
    """Nothing wider than the 360 px screen, nothing matching `tappable` under 44 px tall or
    wide, no input that zooms the page on focus."""
    facts = page.evaluate(MEASURE, {"tappable": tappable, "tap": TAP})
    assert facts["innerWidth"] == 360, "the page is not laid out at the phone's width"
    assert facts["scrollWidth"] <= facts["innerWidth"], "the page scrolls sideways"
    assert not facts["overflowing"], f"wider than the screen: {facts['overflowing']}"
    assert not facts["small"], f"tap targets under {TAP}px: {facts['small']}"
    assert not facts["smallFonts"], f"inputs under 16px zoom on focus: {facts['smallFonts']}"


def code_from_outbox(page, mobile_tail):
    """The newest code texted to the mobile number ending in these 4 digits, read from the
    development outbox in a tab of the same browser, as a developer would."""
    outbox = page.context.new_page()
    try:
        outbox.goto("/dev/outbox")
        for item in outbox.locator("li.card").all():
            text = item.inner_text()
            if f"****{mobile_tail}" in text:
                return re.search(r"#(\d{6})", text).group(1)
    finally:
        outbox.close()
    raise AssertionError(f"no code for ****{mobile_tail} in the outbox")
