"""Benchmarks: throughput and latency under gunicorn, page weight, queries per page, and scale.

Run them all with `make bench` (or `python -m bench`); `python -m bench --help` lists the options.
Every load is sent to 127.0.0.1 only, and every loop is bounded in count and time.
"""
