"""The numbers the benchmarks hold the app to (SPEC 4 "Light" and issue 7)."""

# Page weight: HTML + CSS + JS of a first load, and an htmx fragment, gzip-compressed.
FIRST_LOAD_GZIP_BYTES = 40 * 1024
FRAGMENT_GZIP_BYTES = 5 * 1024

# SQL statements one request may issue.
QUERIES_PER_REQUEST = 8

# Throughput as a share of a bare Flask app's under the same gunicorn settings.
PUBLIC_RATIO = 0.7  # the guide and the login page
LOGGED_IN_RATIO = 0.5  # every page behind a login

# The agent search at 1,000,000 applications, p99 of 1,000 lookups per identifier kind.
SEARCH_P99_MS = 10.0
