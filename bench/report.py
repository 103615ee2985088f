"""The results as tables for people and as JSON for later comparison, and the machine they ran on."""

import datetime
import json
import os
import platform
import subprocess

from bench import environment


def machine():
    """What the numbers were measured on."""
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "postgresql": _version(["psql", "--version"]),
        "wrk": _version(["wrk", "--version"]),
        "load_average": os.getloadavg(),
    }


def _version(command):
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return ""
    return (finished.stdout or finished.stderr).splitlines()[0].strip() if finished else ""


def table(headers, rows):
    """Plain-text columns, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(
                cell.rjust(w) if _numeric(cell) else cell.ljust(w)
                for cell, w in zip(row, widths, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)


def _cell(value):
    if isinstance(value, bool):
        return "ok" if value else "OVER"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(cell):
    return cell.replace(",", "").replace(".", "").replace("x", "").isdigit()


def kb(size):
    """Bytes as KB with one decimal."""
    return f"{size / 1024:.1f}"


def write(results):
    """Write the results as JSON under bench/results/ (git-ignored); returns the path."""
    os.makedirs(environment.RESULTS_DIR, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(environment.RESULTS_DIR, f"bench-{stamp}.json")
    for name in (path, os.path.join(environment.RESULTS_DIR, "latest.json")):
        with open(name, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, ensure_ascii=False, default=str)
    return path
