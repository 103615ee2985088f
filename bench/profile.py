"""`python -m bench.profile`: where a page's time goes, in this process, without gunicorn or wrk.

Builds a small SQLite data set, sets up the benchmark's pages as `python -m bench` does, then
calls the app's WSGI entry for each page in a loop and prints the CPU time a request takes,
beside the bare app's. With --profile, cProfile's table for each page follows. For finding
what to make cheaper; `python -m bench` is what holds the app to its budgets.

Two requests of its own come first, as floors for the rest: a signed-in request that only
checks its session and loads its user ("signed-in floor"), and one that also puts an empty
page in the layout ("layout floor"). No page can cost less than they do.
"""

import argparse
import cProfile
import io
import os
import pstats
import shutil
import time
from urllib.parse import urlencode

from flask import render_template
from flask_login import login_required
from jinja2 import ChoiceLoader, DictLoader
from werkzeug.test import EnvironBuilder

from bench import environment, prepare, scenario
from bench.bare_app import app as bare_app
from bench.client import InProcessClient
from bench.scenario import Page

CUSTOMERS = 2_000
BOUND = 400
WARM_UP = 50
# Each page is timed this many times and its fastest round kept: other work on the machine
# only ever adds time.
ROUNDS = 3


def main(argv=None):
    options = _options(argv)
    workdir = environment.scratch_dir()
    try:
        url = "sqlite:///" + os.path.join(workdir, "profile.db")
        prepare.build(url, CUSTOMERS, BOUND, log=lambda line: None)
        app = prepare.production_app(url)
        floors = _add_floors(app)
        pages, clients = scenario.set_up(lambda: InProcessClient(app))
        pages = floors + pages
        bare = _cpu_us(bare_app, {"path": "/", "base_url": "https://localhost"}, options)
        print(f"{'bare app':32} {bare:8.0f} us CPU a request")
        for page in pages:
            if options.page and options.page not in page.name:
                continue
            request = _request(page, clients)
            took = _cpu_us(app, request, options)
            print(f"{page.name:32} {took:8.0f} us CPU a request ({took / bare:.1f}x the bare app)")
            if options.profile:
                print(_profile(app, request, options))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _add_floors(app):
    """The floor requests' routes, added to this process's app only; returns their Pages."""
    app.jinja_env.loader = ChoiceLoader(
        [
            app.jinja_env.loader,
            DictLoader(
                {"bench/floor.html": '{% extends "base.html" %}{% block main %}{% endblock %}'}
            ),
        ]
    )

    @app.get("/bench/floor")
    @login_required
    def signed_in_floor():
        return "ok"

    @app.get("/bench/floor/page")
    @login_required
    def layout_floor():
        return render_template("bench/floor.html")

    return [
        Page("signed-in floor", "GET", "/bench/floor", "bound customer", "page", b"ok"),
        Page("layout floor", "GET", "/bench/floor/page", "bound customer", "page", b"</main>"),
    ]


def _options(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--page", help="only the pages whose name holds this text")
    parser.add_argument("--requests", type=int, default=500, help="requests timed per page")
    parser.add_argument("--profile", action="store_true", help="print cProfile's table")
    parser.add_argument("--sort", default="cumulative", help="cProfile's sort key")
    parser.add_argument("--lines", type=int, default=40, help="rows of cProfile's table")
    return parser.parse_args(argv)


def _request(page, clients):
    """The page's request as its persona sends it: what makes each request's WSGI environ
    (a form body is read once, so every request gets its own)."""
    client = clients[page.persona]
    headers = dict(page.headers, Referer="https://localhost/")
    if client.cookies:
        headers["Cookie"] = client.cookie_header()
    body = None
    if page.data is not None:
        body = urlencode(page.data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return {
        "path": page.path,
        "method": page.method,
        "headers": headers,
        "data": body,
        "base_url": "https://localhost",
    }


def _serve(app, request, times):
    status = []
    for _ in range(times):
        environ = EnvironBuilder(**request).get_environ()
        answer = app(environ, lambda code, headers, info=None: status.append(code))
        b"".join(answer)
        getattr(answer, "close", lambda: None)()
    if not status[-1].startswith("200"):
        raise RuntimeError(f"{request['path']} answered {status[-1]}")


def _cpu_us(app, request, options):
    _serve(app, request, WARM_UP)
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        _serve(app, request, options.requests)
        rounds.append((time.process_time() - started) / options.requests * 1e6)
    return min(rounds)


def _profile(app, request, options):
    profiler = cProfile.Profile()
    profiler.enable()
    _serve(app, request, options.requests)
    profiler.disable()
    table = io.StringIO()
    pstats.Stats(profiler, stream=table).sort_stats(options.sort).print_stats(options.lines)
    return table.getvalue()


if __name__ == "__main__":
    main()
