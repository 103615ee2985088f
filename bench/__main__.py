"""`python -m bench`: every benchmark on SQLite, then on PostgreSQL at scale; exit 1 on a budget.

1. SQLite: a generated data set; page weight and queries per page in this process; then
   gunicorn serves the app beside a bare Flask app, and wrk loads each page right after the
   bare app.
2. PostgreSQL (database ssb_bench on 127.0.0.1:5432): 1,000,000 applications with their audit
   events and 200,000 bindings; queries per page again; the same load; then the agent search
   and dashboard lookups with their query plans.
"""

import argparse
import os
import shutil
import sys
import time

from bench import budgets, environment, load, prepare, queries, report, scale, scenario, weight
from bench.client import InProcessClient
from webapp.extensions import db

# Customers generated; four in five are bound, and each has 4 applications: at scale that is
# 1,000,000 applications and 200,000 bindings.
SQLITE_CUSTOMERS = 20_000
SCALE_CUSTOMERS = 250_000
BOUND_SHARE = 0.8


def main(argv=None):
    """Run the benchmarks, print the tables, write the JSON; the exit status says if all held."""
    options = _options(argv)
    started = time.monotonic()
    print(f"Benchmarks on {os.cpu_count()} cores; results go to {environment.RESULTS_DIR}")
    results = {"machine": report.machine(), "budgets": _budgets(), "databases": {}}
    wrk = load.ensure_wrk()
    workdir = environment.scratch_dir()
    try:
        sqlite_url = "sqlite:///" + os.path.join(workdir, "bench.db")
        results["databases"]["sqlite"] = _database_run(
            "SQLite", sqlite_url, options.sqlite_customers, wrk, workdir, static=True
        )
        if not options.skip_postgres:
            print("PostgreSQL: a fresh ssb_bench database")
            prepare.ensure_postgres()
            postgres_url = prepare.fresh_postgres()
            customers = options.scale_customers
            results["databases"]["postgresql"] = _database_run(
                "PostgreSQL", postgres_url, customers, wrk, workdir, scale_run=True
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - started)
    failures = _print_tables(results)
    path = report.write(results)
    print(f"\nResults written to {os.path.relpath(path, environment.ROOT)}")
    print(f"Finished in {results['seconds']} s.")
    if failures:
        print("\nOVER BUDGET:\n  " + "\n  ".join(failures))
        return 1
    print("\nEvery budget holds.")
    return 0


def _options(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite-customers", type=int, default=SQLITE_CUSTOMERS)
    parser.add_argument(
        "--scale-customers",
        type=int,
        default=SCALE_CUSTOMERS,
        help="customers generated in PostgreSQL (4 applications each)",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    return parser.parse_args(argv)


def _budgets():
    return {name: value for name, value in vars(budgets).items() if name.isupper()}


def _database_run(label, url, customers, wrk, workdir, static=False, scale_run=False):
    """One database: build it, weigh and count in process, load under gunicorn, then scale."""
    bound = int(customers * BOUND_SHARE)
    print(f"{label}: generating {customers:,} customers ({bound:,} bound)")
    run = {"data": prepare.build(url, customers, bound)}
    app = prepare.production_app(url)
    pages, clients = scenario.set_up(lambda: InProcessClient(app))
    if static:
        print(f"{label}: page weight")
        run["weight"] = weight.measure(pages, clients)
    print(f"{label}: queries per request")
    run["queries"] = queries.measure(db.database.obj, pages, clients)
    db.database.close()
    print(f"{label}: throughput under gunicorn (wrk -t{load.WRK_THREADS} -c{load.WRK_CONNECTIONS})")
    run["load"] = load.measure(wrk, workdir, url)
    if scale_run:
        print(f"{label}: lookups at scale ({scale.LOOKUPS:,} each)")
        run["scale"] = scale.measure(prepare.production_app(url), run["data"])
    return run


def _print_tables(results):
    """Print every table; returns the list of budgets that failed."""
    failures = []
    databases = results["databases"]
    names = list(databases)
    machine = results["machine"]
    print(
        f"\nMachine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"{machine['os']}; Python {machine['python']}; {machine['postgresql']}; "
        f"load average {machine['load_average'][0]:.1f} when the run began"
    )

    print(
        "\n== Throughput and latency (gunicorn, 2 sync workers; wrk -t2 -c8 -d5s; "
        "CPU ms = the workers' CPU time per request) =="
    )
    headers = ["page"]
    for name in names:
        headers += [f"{name} req/s", "p50 ms", "p99 ms", "CPU ms", "x bare"]
    headers += ["need", "verdict"]
    pages = [row["page"] for row in databases[names[0]]["load"]["pages"]]
    bare_row = ["bare Flask app"]
    for name in names:
        bare = databases[name]["load"]["bare"]
        bare_row += [bare["rps"], bare["p50_ms"], bare["p99_ms"], bare["cpu_ms"], 1.0]
    rows = [bare_row + ["", ""]]
    for page in pages:
        row, verdict = [page], True
        for name in names:
            found = next(r for r in databases[name]["load"]["pages"] if r["page"] == page)
            row += [found["rps"], found["p50_ms"], found["p99_ms"], found["cpu_ms"], found["ratio"]]
            verdict &= found["ok"]
            if not found["ok"]:
                failures.append(
                    f"{name} {page}: {found['ratio']:.2f} of the bare app's throughput, "
                    f"needs {found['ratio_budget']:.2f}"
                    + (f" ({found['errors']} errors)" if found["errors"] else "")
                )
        rows.append(row + [f">={found['ratio_budget']:.1f}", verdict])
    print(report.table(headers, rows))

    sqlite = databases["sqlite"]
    print("\n== Page weight (KB; gzip level 6; first load = HTML + CSS + JS) ==")
    rows = []
    for row in sqlite["weight"]:
        rows.append(
            [row["page"], row["kind"]]
            + [report.kb(row[k]) for k in ("html", "css", "js", "total", "html_gz", "total_gz")]
            + [report.kb(row["budget_gz"]), row["ok"]]
        )
        if not row["ok"]:
            failures.append(f"{row['page']}: {report.kb(row['total_gz'])} KB compressed")
    print(
        report.table(
            [
                "page",
                "kind",
                "HTML",
                "CSS",
                "JS",
                "total",
                "HTML gz",
                "total gz",
                "max gz",
                "verdict",
            ],
            rows,
        )
    )

    print("\n== SQL statements per request ==")
    rows = []
    for index, row in enumerate(sqlite["queries"]):
        counts = [databases[name]["queries"][index]["queries"] for name in names]
        ok = all(databases[name]["queries"][index]["ok"] for name in names)
        rows.append([row["page"], *counts, row["budget"], ok])
        if not ok:
            failures.append(f"{row['page']}: {max(counts)} SQL statements")
    print(report.table(["page", *names, "max", "verdict"], rows))

    for name in names:
        found = databases[name].get("scale")
        if not found:
            continue
        data = databases[name]["data"]["rows"]
        print(
            f"\n== Scale on {name}: {data['application']:,} applications, "
            f"{data['audit_event']:,} audit events, {data['binding']:,} bindings =="
        )
        rows = []
        for kind, row in found["search"].items():
            rows.append(
                [f"agent search by {kind}", row["p50_ms"], row["p99_ms"], row["mean_ms"]]
                + [row["misses"], f"<{row['budget_p99_ms']:.0f}", row["ok"]]
            )
            if not row["ok"]:
                failures.append(f"search by {kind}: p99 {row['p99_ms']:.2f} ms")
        dash = found["dashboard"]
        rows.append(
            ["dashboard queries", dash["p50_ms"], dash["p99_ms"], dash["mean_ms"], 0, "", ""]
        )
        print(
            report.table(
                ["lookup", "p50 ms", "p99 ms", "mean ms", "missed", "p99 max", "verdict"], rows
            )
        )
        print("\nQuery plans (EXPLAIN ANALYZE of the statements each lookup issued):")
        for lookup, plans in found["plans"].items():
            print(f"  {lookup}:")
            for plan in plans:
                print("    " + plan["sql"][:150] + ("…" if len(plan["sql"]) > 150 else ""))
                for line in plan["plan"]:
                    if "Planning" not in line and "Execution" not in line:
                        print("      " + line)
        if found["seq_scans"]:
            failures += [f"sequential scan: {scan}" for scan in found["seq_scans"]]
    return failures


if __name__ == "__main__":
    sys.exit(main())
