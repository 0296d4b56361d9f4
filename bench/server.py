"""A real ``heron serve`` subprocess, the ``heron`` CLI, and read-only counts of its store."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from bench.harness import REPO_ROOT, Measured, proc_memory, run_measured

SERVER_ENV = {"HERON_INGEST_RATE_PER_SECOND": "1000000000"}
"""The per-project rate limit is raised so that the bench measures ingest, not 429s."""


def heron_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, **SERVER_ENV, "HERON_DATA_DIR": str(data_dir)}


def heron_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "heron.cli", *args]


def heron(data_dir: Path, *args: str) -> str:
    """Run a ``heron`` command to completion; its stdout."""
    done = subprocess.run(
        heron_cmd(*args), env=heron_env(data_dir), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"heron {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def has_command(name: str) -> bool:
    """Whether this checkout's CLI has a command."""
    done = subprocess.run(heron_cmd(name, "--help"), capture_output=True, check=False)
    return done.returncode == 0


IMPORT_MODULE = "heron.cli.importing"
IMPORT_FALLBACK = (
    f"from {IMPORT_MODULE} import import_command; import_command(prog_name='heron import')"
)


def import_cmd() -> list[str] | None:
    """How to run ``heron import``: the CLI command, else its module before it is
    registered in the CLI, else None (not built yet)."""
    if has_command("import"):
        return heron_cmd("import")
    if importlib.util.find_spec(IMPORT_MODULE) is not None:
        return [sys.executable, "-c", IMPORT_FALLBACK]
    return None


def heron_measured(
    data_dir: Path, cmd: list[str], *args: str, timeout: float | None = None
) -> Measured:
    """Run a ``heron`` command line, timing it and reading its peak RSS."""
    return run_measured([*cmd, *args], env=heron_env(data_dir), cwd=REPO_ROOT, timeout=timeout)


@dataclass(frozen=True, slots=True)
class Project:
    project_id: int
    write_key: str


def create_project(data_dir: Path, name: str = "bench") -> Project:
    created = json.loads(heron(data_dir, "project", "create", name, "--json"))
    return Project(int(created["project_id"]), created["write_key"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """``heron serve`` on a free port; ``stop()`` is a graceful SIGTERM (final commit)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the server is not running")
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> Server:
        self.proc = subprocess.Popen(
            heron_cmd("serve", "--port", str(self.port)),
            env=heron_env(self.data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._healthy():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"heron serve exited with {self.proc.returncode}")
            time.sleep(0.1)
        self.stop()
        raise TimeoutError("heron serve did not become healthy")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def memory(self) -> dict[str, int]:
        """``VmRSS`` and ``VmHWM`` of the server process, in bytes."""
        return proc_memory(self.pid)

    def stop(self, timeout: float = 60.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("heron serve did not stop within a minute") from None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class Stored:
    """What a stopped server's event store holds."""

    rows: int
    commits: int
    """Distinct ``inserted_at`` values: each group commit stamps its rows with one."""


def stored(data_dir: Path, project_id: int) -> Stored:
    """Count a project's stored events, opening the (closed) DuckDB file read-only."""
    con = duckdb.connect(str(data_dir / "events.duckdb"), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*), count(DISTINCT inserted_at) FROM events WHERE project_id = ?",
            [project_id],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return Stored(rows=int(row[0]), commits=int(row[1]))


def window_counts(
    data_dir: Path, project_id: int, windows: list[tuple[datetime, datetime]]
) -> list[tuple[int, int]]:
    """Rows and commits (distinct ``inserted_at``) stored inside each wall-clock window."""
    con = duckdb.connect(str(data_dir / "events.duckdb"), read_only=True)
    try:
        counts = []
        for lo, hi in windows:
            row = con.execute(
                "SELECT count(*), count(DISTINCT inserted_at) FROM events "
                "WHERE project_id = ? AND inserted_at BETWEEN ? AND ?",
                [project_id, lo, hi],
            ).fetchone()
            assert row is not None
            counts.append((int(row[0]), int(row[1])))
        return counts
    finally:
        con.close()
