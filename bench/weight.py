"""Page weight: the HTML, CSS and JS a first load fetches, and each htmx fragment, raw and gzip."""

import gzip
import re

from bench import budgets, scenario
from bench.client import UnexpectedResponse

STYLESHEET = re.compile(rb'<link rel="stylesheet" href="([^"]+)"')
SCRIPT = re.compile(rb'<script src="([^"]+)"')
# What a web server's gzip typically uses (nginx's gzip_comp_level tops out at 9; 6 is common).
GZIP_LEVEL = 6


def gzipped(data):
    """Bytes of the data gzip-compressed."""
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL))


def measure(pages, clients):
    """One row per page: bytes of HTML, CSS and JS, raw and compressed, and the budget verdict."""
    rows = []
    for page in pages:
        answer = scenario.fetch(page, clients)
        row = {"page": page.name, "kind": page.kind}
        row["html"], row["html_gz"] = len(answer.body), gzipped(answer.body)
        for kind, pattern in (("css", STYLESHEET), ("js", SCRIPT)):
            # Only a first load fetches the assets; each file travels compressed on its own.
            urls = pattern.findall(answer.body) if page.kind == "page" else []
            files = [_asset(clients[page.persona], url.decode()) for url in urls]
            row[kind] = sum(len(data) for data in files)
            row[f"{kind}_gz"] = sum(gzipped(data) for data in files)
        row["total"] = row["html"] + row["css"] + row["js"]
        row["total_gz"] = row["html_gz"] + row["css_gz"] + row["js_gz"]
        row["budget_gz"] = (
            budgets.FIRST_LOAD_GZIP_BYTES if page.kind == "page" else budgets.FRAGMENT_GZIP_BYTES
        )
        row["ok"] = row["total_gz"] <= row["budget_gz"]
        rows.append(row)
    return rows


def _asset(client, url):
    answer = client.get(url.replace("&amp;", "&"))
    if answer.status != 200:
        raise UnexpectedResponse(f"{url} gave {answer.status}")
    return answer.body
