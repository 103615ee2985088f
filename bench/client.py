"""Clients that use the app as a browser would: real login, a kept session cookie, CSRF tokens.

The session cookie is Secure in production, and a cookie jar would not send it over the plain
http of loopback, so these clients keep cookies themselves and always send them.
"""

import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import requests

META_CSRF = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
TIMEOUT_SECONDS = 10


class UnexpectedResponse(RuntimeError):
    """The app answered something other than what a step of the set-up expects."""


@dataclass
class Response:
    """What came back: status, headers (case-insensitive lookups) and body bytes."""

    status: int
    headers: dict
    body: bytes

    def header(self, name):
        return self.headers.get(name.lower(), "")


class Client:
    """Requests with a cookie header kept by hand; subclasses say how a request is sent."""

    def __init__(self):
        self.cookies = {}

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, data, headers=None):
        return self.request("POST", path, data=data, headers=headers)

    def request(self, method, path, data=None, headers=None):
        """Send one request with the kept cookies; remember the cookies it sets."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = urlencode(data).encode() if data is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.send(method, path, body, headers)
        for line in response.headers.get("set-cookie-lines", []):
            self._keep(line)
        return response

    def cookie_header(self):
        """The Cookie header this client sends now (wrk sends the same)."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep(self, line):
        for name, morsel in SimpleCookie(line).items():
            if morsel.value and morsel["max-age"] != "0":
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)

    def send(self, method, path, body, headers):
        raise NotImplementedError

    def csrf_token(self, path):
        """The CSRF token a page carries (its meta tag, or its form)."""
        page = self.get(path)
        match = META_CSRF.search(page.body) or FORM_CSRF.search(page.body)
        if page.status != 200 or not match:
            raise UnexpectedResponse(f"no CSRF token on {path} (status {page.status})")
        return match.group(1).decode()

    def log_in(self, path, username, password, expect_location):
        """Log in through the real form; raises UnexpectedResponse unless it lands as expected."""
        token = self.csrf_token(path)
        answer = self.post(path, {"csrf_token": token, "username": username, "password": password})
        location = answer.header("location")
        if answer.status != 303 or expect_location not in location:
            raise UnexpectedResponse(f"logging in {username} gave {answer.status} {location!r}")
        return answer


class LiveClient(Client):
    """Over HTTP to a server on loopback."""

    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, method, path, body, headers):
        answer = requests.request(
            method,
            self.base_url + path,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT_SECONDS,
        )
        lowered = {name.lower(): value for name, value in answer.headers.items()}
        lowered["set-cookie-lines"] = answer.raw.headers.getlist("Set-Cookie")
        return Response(answer.status_code, lowered, answer.content)


class InProcessClient(Client):
    """Through Flask's test client, as https (so Secure cookies and strict CSRF behave as live)."""

    def __init__(self, app):
        super().__init__()
        self.test_client = app.test_client(use_cookies=False)

    def send(self, method, path, body, headers):
        # Flask-WTF checks the Referer of https POSTs, as a browser would send it.
        headers.setdefault("Referer", "https://localhost/")
        answer = self.test_client.open(
            path, method=method, data=body, headers=headers, base_url="https://localhost"
        )
        lowered = {name.lower(): value for name, value in answer.headers.items()}
        lowered["set-cookie-lines"] = answer.headers.getlist("Set-Cookie")
        return Response(answer.status_code, lowered, answer.get_data())
