"""Throughput and latency: gunicorn serves the app (and the bare app), wrk loads one page at a time.

Everything listens on and is sent to 127.0.0.1. Each wrk run is bounded by its duration, and
every server started here is stopped again, even when a run fails.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
from urllib.parse import urlencode

import requests

from bench import environment, scenario
from bench.client import LiveClient

# Same for the bare app and the real one, so the ratio measures the app and nothing else.
GUNICORN_SETTINGS = ("--workers", "2", "--worker-class", "sync", "--log-level", "warning")
WRK_THREADS, WRK_CONNECTIONS = 2, 8
WRK_SECONDS, WARM_UP_SECONDS = 5, 1
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10

# Every run's Lua hooks. A browser sends back the cookies it was last given: when an answer
# replaces a cookie the request already carries (the session's "last seen" time moves on every
# 15 s), later requests carry the new value. A request sent without cookies (the guide, the
# login page) stays a first visit every time. The bare app runs the same hooks. At the end,
# one JSON line reports the run, latency percentiles in microseconds.
HOOKS = """
local request_text

init = function(args)
  request_text = wrk.format()
end

request = function()
  return request_text
end

local function replace_cookie(header, name, value)
  local parts, found = {}, false
  for part in string.gmatch(header, "[^;]+") do
    part = part:match("^%s*(.-)%s*$")
    local key = part:match("^([^=]+)=")
    if key == name then
      part, found = name .. "=" .. value, true
    end
    parts[#parts + 1] = part
  end
  return table.concat(parts, "; "), found
end

response = function(status, headers, body)
  local set = headers["Set-Cookie"]
  local sent = wrk.headers["Cookie"]
  if set == nil or sent == nil then
    return
  end
  local name, value = set:match("^%s*([^=;]+)=([^;]*)")
  if name == nil then
    return
  end
  local header, found = replace_cookie(sent, name, value)
  if found then
    wrk.headers["Cookie"] = header
    request_text = wrk.format()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"socket_errors": %d, "status_errors": %d, "timeouts": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write, e.status, e.timeout))
end
"""


def ensure_wrk():
    """The path of wrk, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("  wrk is missing: installing Debian's package")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=apt)
    return shutil.which("wrk")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A running gunicorn: its base URL, and the CPU time its workers have used."""

    def __init__(self, base_url, master):
        self.base_url = base_url
        self.master = master

    def worker_cpu_seconds(self):
        """User and system CPU seconds of the master's worker processes so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        pid = self.master.pid
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            workers = children.read().split()
        for worker in workers:
            with contextlib.suppress(FileNotFoundError):
                with open(f"/proc/{worker}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def load(self, wrk, path, script, seconds):
        """One wrk run on a path, with the workers' CPU time per request added to its report."""
        before = self.worker_cpu_seconds()
        report = run_wrk(wrk, self.base_url + path, script, seconds)
        used = self.worker_cpu_seconds() - before
        report["cpu_ms"] = used / max(report["requests"], 1) * 1000
        return report


@contextlib.contextmanager
def gunicorn(module, env, ready_path):
    """Serve `module` under gunicorn on a free loopback port; yields a Server."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        os.path.join(environment.BIN, "gunicorn"),
        *GUNICORN_SETTINGS,
        "--bind",
        f"127.0.0.1:{port}",
        module,
    ]
    server = subprocess.Popen(
        command, cwd=environment.ROOT, env={**os.environ, **env}, start_new_session=True
    )
    try:
        _wait_until_ready(server, base_url + ready_path)
        yield Server(base_url, server)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_ready(server, url):
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before serving")
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {START_TIMEOUT_SECONDS} s")


def wrk_script(path, method="GET", headers=None, body=None):
    """Write the Lua script of one run: the request to repeat and the report hook."""
    lines = [f"wrk.method = {_lua(method)}"]
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = {_lua(value)}')
    if body is not None:
        lines.append(f"wrk.body = {_lua(body)}")
    with open(path, "w", encoding="utf-8") as script:
        script.write("\n".join(lines) + "\n" + HOOKS)
    return path


def _lua(text):
    """A Lua long string: no escaping needed for cookies, tokens or form bodies."""
    return f"[==[{text}]==]"


def run_wrk(wrk, url, script, seconds):
    """One bounded wrk run; returns its report (requests/s, p50/p99 in ms, errors)."""
    command = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        script,
        url,
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    line = next(row for row in finished.stdout.splitlines() if row.startswith("BENCH "))
    raw = json.loads(line[len("BENCH ") :])
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "errors": raw["socket_errors"] + raw["status_errors"] + raw["timeouts"],
    }


def measure(wrk, workdir, database_url, log=print):
    """Serve the app on this database beside the bare app; load each page right after the bare
    app, so each ratio compares two runs made under the same conditions.

    Returns the bare app's runs and one report per loaded page; a page whose answers went wrong
    under load raises.
    """
    reports, bare_runs = [], []
    env = environment.production_env(database_url)
    with (
        gunicorn("bench.bare_app:app", {}, "/") as bare_server,
        gunicorn("wsgi:app", env, "/healthz") as server,
    ):
        bare_script = wrk_script(os.path.join(workdir, "bare.lua"))
        bare_server.load(wrk, "/", bare_script, WARM_UP_SECONDS)
        pages, clients = scenario.set_up(lambda: LiveClient(server.base_url))
        for number, page in enumerate(p for p in pages if p.loaded):
            bare = bare_server.load(wrk, "/", bare_script, WRK_SECONDS)
            bare_runs.append(bare)
            script = wrk_script(
                os.path.join(workdir, f"page{number}.lua"), *_request(page, clients)
            )
            server.load(wrk, page.path, script, WARM_UP_SECONDS)
            report = server.load(wrk, page.path, script, WRK_SECONDS)
            # The session and token still work after the load: the numbers are of real pages.
            scenario.fetch(page, clients)
            report.update(
                page=page.name,
                bare_rps=bare["rps"],
                bare_cpu_ms=bare["cpu_ms"],
                ratio=report["rps"] / bare["rps"],
                ratio_budget=page.ratio_budget,
            )
            report["ok"] = report["ratio"] >= page.ratio_budget and report["errors"] == 0
            log(
                f"    {page.name}: {report['rps']:.0f} req/s ({report['ratio']:.2f} of the bare "
                f"app's {bare['rps']:.0f}), p50 {report['p50_ms']:.1f} ms, "
                f"p99 {report['p99_ms']:.1f} ms, {report['cpu_ms']:.2f} ms CPU a request "
                f"(bare {bare['cpu_ms']:.2f})"
            )
            reports.append(report)
    return {"bare": _summary(bare_runs), "pages": reports}


def _request(page, clients):
    """(method, headers, body) of a page's request, with its persona's session cookie."""
    client = clients[page.persona]
    headers = dict(page.headers)
    if client.cookies:
        headers["Cookie"] = client.cookie_header()
    body = None
    if page.data is not None:
        body = urlencode(page.data)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return page.method, headers, body


def _summary(runs):
    """The bare app's runs in one line: medians of each measure."""
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "cpu_ms": statistics.median(run["cpu_ms"] for run in runs),
        "runs": len(runs),
        "errors": sum(run["errors"] for run in runs),
    }
