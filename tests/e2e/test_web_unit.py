"""The browser app's pure logic (web/test: date presets, filters in URLs, layouts, editing,
result shapes, chart options) under vitest, run through ``npm test`` in ``web/``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"


def test_npm_test_passes():
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    assert (WEB / "node_modules").is_dir(), "web/node_modules is missing: run `cd web && npm ci`"
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    run = subprocess.run(
        [npm, "test"], cwd=WEB, capture_output=True, text=True, timeout=240, env=env, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 40, output[-3000:]
    assert "failed" not in output.split("Test Files", 1)[-1].splitlines()[0]
