"""A local fake of Twilio's Messages API, and the fixture that points the app's real client at it.

The fake is a small WSGI app served on 127.0.0.1 in a thread. It records every request and
answers like Twilio: 201 with a queued message, or the error it was told to give.
"""

import json
import secrets
import threading
from dataclasses import dataclass

import pytest
from twilio.http.http_client import TwilioHttpClient
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

TWILIO_API = "https://api.twilio.com"
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "fake-twilio-auth-token-for-tests"
FROM_NUMBER = "+15005550006"
PUBLIC_BASE_URL = "https://bank.example"
CLIENT_TIMEOUT = 0.5

# name -> (HTTP status, JSON body or None for an HTML page), as Twilio answers them.
ERRORS = {
    "invalid_number": (
        400,
        {"code": 21211, "message": "The 'To' number {to} is not a valid phone number."},
    ),
    "unsubscribed": (
        400,
        {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
    ),
    "too_many_requests": (429, {"code": 20429, "message": "Too Many Requests"}),
    "server_error": (500, {"code": 20500, "message": "An internal server error has occurred"}),
    "bad_gateway": (502, None),
}


@dataclass(frozen=True)
class SentRequest:
    """What the client sent to the fake."""

    method: str
    path: str
    auth: tuple
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None


class _Quiet(WSGIRequestHandler):
    def log(self, type, message, *args):
        """Keep the fake's access log out of the test output."""


class FakeTwilioApi:
    """Twilio's Messages API on 127.0.0.1, in a thread."""

    def __init__(self):
        self.requests = []
        self.answer = None
        self.delay = 0
        self.clients = []
        self._release = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        fake = self

        class HttpClient(TwilioHttpClient):
            """The real client's HTTP layer, sending to the fake instead of api.twilio.com."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # Never route the fake through a proxy from the environment.
                self.session.trust_env = False
                fake.clients.append(self)

            def request(self, method, url, *args, **kwargs):
                return super().request(
                    method, url.replace(TWILIO_API, fake.url, 1), *args, **kwargs
                )

        self.http_client_class = HttpClient

    def start(self):
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self):
        """Stop serving, letting a delayed answer go."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def fail_with(self, name):
        """Answer every following request with one of ERRORS."""
        self.answer = name

    def answer_after(self, seconds):
        """Wait this long before answering (longer than the client's timeout: it gives up)."""
        self.delay = seconds

    def _app(self, environ, start_response):
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request):
        expected = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        form = request.form
        auth = request.authorization
        self.requests.append(
            SentRequest(
                method=request.method,
                path=request.path,
                auth=(auth.username, auth.password) if auth else (),
                to=form.get("To", ""),
                from_=form.get("From"),
                messaging_service_sid=form.get("MessagingServiceSid"),
                body=form.get("Body", ""),
                status_callback=form.get("StatusCallback"),
            )
        )
        if self.delay:
            self._release.wait(self.delay)
        if request.method != "POST" or request.path != expected:
            return _json(404, {"code": 20404, "message": "The requested resource was not found"})
        if auth is None or (auth.username, auth.password) != (ACCOUNT_SID, AUTH_TOKEN):
            return _json(401, {"code": 20003, "message": "Authenticate"})
        if self.answer:
            status, body = ERRORS[self.answer]
            if body is None:
                return Response(
                    "<html><body>Bad Gateway</body></html>", status, mimetype="text/html"
                )
            body = {**body, "message": body["message"].format(to=form.get("To", ""))}
            more_info = f"https://www.twilio.com/docs/errors/{body['code']}"
            return _json(status, {**body, "more_info": more_info, "status": status})
        return _json(201, _message(form))


def _message(form):
    sid = "SM" + secrets.token_hex(16)
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "to": form.get("To"),
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "body": form.get("Body"),
        "status": "queued" if form.get("From") else "accepted",
        "num_segments": "1",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def _json(status, body):
    return Response(json.dumps(body), status, mimetype="application/json")


@pytest.fixture
def fake_twilio(app, monkeypatch):
    """The app sending through the real twilio client to a local fake of Twilio's API."""
    api = FakeTwilioApi().start()
    monkeypatch.setattr("webapp.sms.TwilioHttpClient", api.http_client_class)
    app.config.update(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=FROM_NUMBER,
        TWILIO_MESSAGING_SERVICE_SID="",
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        SMS_TIMEOUT_SECONDS=CLIENT_TIMEOUT,
    )
    yield api
    api.stop()
