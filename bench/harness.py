"""Timing, memory and reporting helpers shared by every benchmark suite.

Pure functions (statistics, /proc parsing, formatting, doc sections) are unit-tested;
the rest measures real processes and is exercised by running the suites.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = REPO_ROOT / ".bench-data"
RESULTS_DIR = BENCH_DATA / "results"
DOCS_FILE = REPO_ROOT / "docs" / "benchmarks.md"

Cell = str | int | float | None


# -- statistics -----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def repeat(fn: Callable[[], object], times: int) -> list[float]:
    """Run ``fn`` ``times`` times; the wall-clock seconds of each run."""
    if times < 1:
        raise ValueError("times must be >= 1")
    seconds: list[float] = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is missing or the divisor is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


# -- memory ---------------------------------------------------------------------------------


def parse_proc_status(text: str) -> dict[str, int]:
    """The ``Vm*`` lines of ``/proc/PID/status`` as bytes (the kernel reports kB)."""
    sizes: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key.startswith("Vm") and len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            sizes[key] = int(parts[0]) * 1024
    return sizes


def proc_memory(pid: int) -> dict[str, int]:
    """Current (``VmRSS``) and peak (``VmHWM``) resident memory of a live process, in bytes."""
    return parse_proc_status(Path(f"/proc/{pid}/status").read_text())


def parse_proc_stat_ticks(text: str) -> int:
    """User plus system clock ticks of all threads, from ``/proc/PID/stat``.

    The command name (field 2) may hold spaces and parentheses, so fields are counted
    after its closing parenthesis: ``utime`` and ``stime`` are fields 14 and 15.
    """
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def proc_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) a live process has used so far."""
    ticks = parse_proc_stat_ticks(Path(f"/proc/{pid}/stat").read_text())
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class Measured:
    """A finished child process: exit code, wall seconds, peak RSS (bytes) and its output."""

    returncode: int
    seconds: float
    peak_rss: int
    stdout: str
    stderr: str
    timed_out: bool = False


LAUNCHER = """
import json, os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(report, "w") as f:
    json.dump({"status": status, "seconds": seconds, "maxrss_kb": usage.ru_maxrss}, f)
"""
"""Spawns the measured command from a small process: Linux carries the RSS of the process
that forks a child into the child's ``ru_maxrss``, so forking straight from a large
benchmark process would report at least its own size."""


def run_measured(
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run a command to completion, timing it and reading its peak RSS from ``wait4``.

    ``ru_maxrss`` of the reaped child is exact, whereas polling ``/proc`` could miss a
    short-lived peak. Output goes through temporary files so no pipe can fill up. After
    ``timeout`` seconds the command is killed (its whole process group) and the result
    says ``timed_out``, without a peak RSS.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        report = Path(tmp) / "report.json"
        launcher = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER, str(report), *cmd],
            env=dict(env) if env else None,
            cwd=cwd,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            launcher.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        if timeout is not None and not report.exists() and launcher.returncode == -signal.SIGKILL:
            return Measured(-signal.SIGKILL, timeout, 0, stdout, stderr, timed_out=True)
        if launcher.returncode != 0 or not report.exists():
            raise RuntimeError(f"could not run {cmd[0]}: {stderr.strip()[-2000:]}")
        measured = json.loads(report.read_text())
        return Measured(
            returncode=os.waitstatus_to_exitcode(measured["status"]),
            seconds=measured["seconds"],
            peak_rss=measured["maxrss_kb"] * 1024,
            stdout=stdout,
            stderr=stderr,
        )


# -- the machine ----------------------------------------------------------------------------


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory under the bench data dir, removed (with everything in it) afterwards."""
    BENCH_DATA.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=BENCH_DATA))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def load_average() -> str:
    """The 1/5/15-minute load averages, as ``uptime`` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": load_average(),
    }


# -- formatting -----------------------------------------------------------------------------


def fmt_count(value: float | None) -> str:
    """A rate or count with thousands separators: ``1,234,567``."""
    return "–" if value is None else f"{value:,.0f}"


def fmt_bytes(value: float | None) -> str:
    """Bytes as MiB: ``123 MiB``."""
    return "–" if value is None else f"{value / 2**20:,.0f} MiB"


def fmt_ms(value: float | None) -> str:
    """Milliseconds with two significant decimals below 10 ms."""
    if value is None:
        return "–"
    return f"{value:.2f} ms" if value < 10 else f"{value:,.0f} ms"


def fmt_ratio(value: float | None) -> str:
    """A ratio such as ``0.42×``."""
    if value is None:
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def fmt_target(value: float | None, target: float) -> str:
    """``≥ 100,000 ✓`` when the target is met, ``≥ 100,000 ✗`` otherwise."""
    mark = "–" if value is None else ("✓" if value >= target else "✗")
    return f"≥ {target:,.0f} {mark}"


@dataclass(slots=True)
class Table:
    """A titled table of already formatted cells, plus notes printed under it."""

    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Cell) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))


def _cell(value: Cell) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def run_table(title: str, load_before: str, load_after: str) -> Table:
    """A suite's "the run" table, opened with the machine and the load around the run."""
    table = Table(title, ["what", "value"])
    about = machine()
    table.add("machine", f"{about['cpus']} cores, Python {about['python']}")
    table.add("load average before / after", f"{load_before} / {load_after}")
    return table


def to_markdown(table: Table) -> str:
    """The table as GitHub Markdown: a bold title, the grid, then notes as a list."""
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(c).replace("|", "\\|") for c in row) + " |")
    if table.notes:
        lines.append("")
        lines.extend(f"- {note}" for note in table.notes)
    return "\n".join(lines)


def print_table(table: Table) -> None:
    """Print a table to the terminal with rich."""
    from rich.console import Console
    from rich.table import Table as RichTable

    rich_table = RichTable(title=table.title, title_justify="left", min_width=len(table.title))
    for index, column in enumerate(table.columns):
        rich_table.add_column(column, justify="left" if index == 0 else "right")
    for row in table.rows:
        rich_table.add_row(*(_cell(c) for c in row))
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(rich_table)
    for note in table.notes:
        console.print(f"  · {note}", highlight=False)
    console.print()


# -- results and docs -----------------------------------------------------------------------


def section_markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def replace_section(document: str, name: str, body: str) -> str:
    """Put ``body`` between the markers of section ``name``, appending them if absent."""
    start, end = section_markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    head, found, rest = document.partition(start)
    if not found:
        separator = (
            ""
            if not document or document.endswith("\n\n")
            else ("\n" if document.endswith("\n") else "\n\n")
        )
        return f"{document}{separator}{block}\n"
    _, closed, tail = rest.partition(end)
    if not closed:
        raise ValueError(f"{start} has no matching {end}")
    return f"{head}{block}{tail}"


DOCS_HEADER = """# Benchmarks

Generated by `python -m bench SUITE --write-docs` (or `heron bench SUITE --write-docs`);
each section is rewritten in place by its suite. Peers are measured in the same run, on
the same events and the same machine, so the ratios are the numbers to compare.
"""


def write_docs_section(name: str, body: str, path: Path = DOCS_FILE) -> Path:
    """Rewrite one generated section of ``docs/benchmarks.md``."""
    document = path.read_text() if path.exists() else DOCS_HEADER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(document, name, body))
    return path


def publish(
    suite: str,
    payload: Mapping[str, Any],
    tables: list[Table],
    write_docs: bool,
    section: Callable[[str, str], str] = lambda _document, body: body,
) -> None:
    """Print a run's tables, save its raw numbers and, with ``write_docs``, rewrite the
    suite's section of ``docs/benchmarks.md`` with ``section(current document, tables)``."""
    for table in tables:
        print_table(table)
    saved = save_results(suite, payload)
    print(f"results: {saved.relative_to(REPO_ROOT)}")
    if write_docs:
        body = "\n\n".join(to_markdown(t) for t in tables)
        document = DOCS_FILE.read_text() if DOCS_FILE.exists() else ""
        path = write_docs_section(suite, section(document, body))
        print(f"docs: {path.relative_to(REPO_ROOT)}")


def save_results(suite: str, payload: Mapping[str, Any]) -> Path:
    """Save a run's raw numbers as JSON under ``.bench-data/results/``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{suite}-{stamp}.json"
    path.write_text(json.dumps({"suite": suite, "at": stamp, **payload}, indent=2, default=str))
    return path
