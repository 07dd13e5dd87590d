"""What the benchmark scripts share: the machine description and BENCHMARKS.md's marked
sections (a script rewrites only the text between its own markers, never the rest)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, object]:
    """Cores, RAM, CPU, OS and the versions that decide the figures."""
    mem = _meminfo_gib()
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1) if mem else None,
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt-core": _version("dbt-core"),
        "dbt-duckdb": _version("dbt-duckdb"),
        "dagster": _version("dagster"),
        "dagster-dbt": _version("dagster-dbt"),
    }


def machine_line(info: dict[str, object]) -> str:
    return (
        f"{info['cores']} cores ({info['cpu']}), {info['ram_gib']} GiB RAM, {info['os']}; "
        f"Python {info['python']}, DuckDB {info['duckdb']}, dbt-core {info['dbt-core']} "
        f"+ dbt-duckdb {info['dbt-duckdb']}, Dagster {info['dagster']} "
        f"+ dagster-dbt {info['dagster-dbt']}"
    )


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def replace_section(text: str, name: str, body: str, heading: str) -> str:
    """``text`` with the section between ``name``'s markers replaced by ``body``.

    Without markers yet, the section is added under ``heading`` (a ``## `` line, created at
    the end of the file, before a closing "## Not measured" section when there is one)."""
    begin, end = markers(name)
    block = f"{begin}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text, count=1)
    if heading in text:
        start = text.index(heading)
        after = text.find("\n## ", start + len(heading))
        at = len(text) if after < 0 else after + 1
        return (
            text[:at].rstrip("\n")
            + "\n\n"
            + block
            + "\n"
            + ("\n" + text[at:] if after >= 0 else "")
        )
    tail = text.find("\n## Not measured")
    new = f"{heading}\n\n{block}\n"
    if tail < 0:
        return text.rstrip("\n") + "\n\n" + new
    return text[: tail + 1] + new + "\n" + text[tail + 1 :]


def write_section(path: Path, name: str, body: str, heading: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    path.write_text(replace_section(text, name, body, heading), encoding="utf-8")
