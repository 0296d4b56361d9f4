"""Running ``heron serve`` as a real subprocess for tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def heron(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HERON_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "heron.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def create_project(data_dir: Path, name: str = "p") -> dict:
    return json.loads(heron(data_dir, "project", "create", name, "--json").stdout)


class Server:
    """``heron serve`` on a free port; ``kill()`` is SIGKILL, ``stop()`` a graceful SIGTERM."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        env = {**os.environ, "HERON_DATA_DIR": str(self.data_dir)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "heron.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"heron serve exited with {self.proc.returncode}")
            time.sleep(0.1)
        raise TimeoutError("heron serve did not become healthy")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
