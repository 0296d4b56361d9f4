"""HTTP load with wrk: a Lua script POSTs pre-built bodies, counts exactly what was accepted.

A duration-bounded wrk run normally abandons the requests still in flight when time is
up; the server may still commit them, so "acknowledged" and "stored" could not be
compared. The script avoids that: after the deadline its ``delay`` hook parks every
connection instead of sending another request, and a thread stops only once every
request it sent has been answered. Its counts of 2xx answers and of ``accepted``
events (read from each response body) are therefore exact, and wrk's latency
percentiles cover exactly those requests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = r"""
-- args: bodies file (one body per line), write key, seconds
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local PARK_MS = 3600 * 1000
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- the requests to replay; another script may redefine it (and accepted_in) after this one
function load_requests(args)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. args[2]}
  local loaded = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      loaded[#loaded + 1] = wrk.format("POST", "/v1/events", headers, line)
    end
  end
  return loaded
end

-- how many events a 2xx answer accepted
function accepted_in(body)
  return tonumber(string.match(body, '"accepted":(%d+)')) or 0
end

function init(args)
  reqs = load_requests(args)
  started = now()
  finished = started
  deadline = started + tonumber(args[3])
  -- wrk calls request() once on the first thread to check it, without sending it
  unsent = (id == 1) and 1 or 0
  sent, answered, ok, failed, accepted, index = 0, 0, 0, 0, 0, 0
end

function delay()
  if now() >= deadline then
    return PARK_MS
  end
  return 0
end

function request()
  index = index % #reqs + 1
  if unsent > 0 then
    unsent = unsent - 1
  else
    sent = sent + 1
  end
  return reqs[index]
end

function response(status, headers, body)
  answered = answered + 1
  finished = now()
  if status >= 200 and status < 300 then
    ok = ok + 1
    accepted = accepted + accepted_in(body)
  else
    failed = failed + 1
  end
  if answered >= sent and finished >= deadline and not stopping then
    -- wrk's main thread sleeps out -d regardless; the runner sends SIGINT once all drained
    stopping = true
    io.write("BENCH-DRAINED\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local t = {sent = 0, answered = 0, ok = 0, failed = 0, accepted = 0}
  local first, last = math.huge, 0
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + (thread:get(key) or 0)
    end
    first = math.min(first, thread:get("started"))
    last = math.max(last, thread:get("finished"))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"duration_us":%d,"sent":%d,"answered":%d,"ok":%d,"failed":%d,' ..
    '"accepted":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    (last - first) * 1e6, t.sent, t.answered, t.ok, t.failed, t.accepted,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50.0), latency:percentile(99.0), latency.mean))
end
"""

MARKER = "BENCH-JSON "
DRAINED = "BENCH-DRAINED"
GRACE_SECONDS = 30
"""How long past its deadline a run may take to drain before wrk's own limit ends it."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One run's exact counts (real requests only) and wrk's latency percentiles."""

    seconds: float
    sent: int
    answered: int
    ok: int
    failed: int
    accepted: int
    socket_errors: int
    timeouts: int
    p50_ms: float
    p99_ms: float

    @property
    def drained(self) -> bool:
        """Every real request was answered, so ``accepted`` can be compared with the store."""
        return self.sent == self.answered and self.socket_errors == 0 and self.timeouts == 0

    @property
    def requests_per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def events_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


def parse_output(stdout: str) -> WrkResult:
    """The result line the Lua ``done`` hook prints."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return WrkResult(
                seconds=data["duration_us"] / 1e6,
                sent=data["sent"],
                answered=data["answered"],
                ok=data["ok"],
                failed=data["failed"],
                accepted=data["accepted"],
                socket_errors=data["socket_errors"],
                timeouts=data["timeouts"],
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
            )
    raise ValueError(f"no {MARKER.strip()} line in wrk output:\n{stdout[-2000:]}")


class WrkMissing(RuntimeError):
    pass


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise WrkMissing("wrk is not installed: run `sudo apt-get install -y wrk` (Debian/Ubuntu)")
    print("wrk is missing: installing it with apt-get …", flush=True)
    if _apt("install", "-y", "-qq", "wrk"):
        _apt("update", "-qq")
        _apt("install", "-y", "-qq", "wrk")
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing("could not install wrk with apt-get; install it and run again")
    return found


def _apt(*args: str) -> int:
    """Run apt-get quietly; its exit code."""
    done = subprocess.run(
        ["apt-get", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return done.returncode


def command(
    url: str, script: Path, bodies: Path, write_key: str, *, connections: int, seconds: float
) -> list[str]:
    """The wrk command line for one run (threads: at most one per core, at most 2)."""
    threads = max(1, min(connections, 2, os.cpu_count() or 1))
    return [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(seconds) + GRACE_SECONDS}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        str(bodies),
        write_key,
        str(seconds),
    ]


def write_script(directory: Path) -> Path:
    path = directory / "bench-post.lua"
    path.write_text(LUA)
    return path


class Run:
    """A wrk run in the background: ``finish()`` waits for every thread to drain."""

    def __init__(
        self,
        url: str,
        script: Path,
        bodies: Path,
        write_key: str,
        *,
        connections: int,
        seconds: float,
    ) -> None:
        cmd = command(url, script, bodies, write_key, connections=connections, seconds=seconds)
        self.threads = int(cmd[1].removeprefix("-t"))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self) -> WrkResult:
        """Wait until all threads drained, end wrk early with SIGINT, parse its result."""
        assert self.proc.stdout is not None
        lines: list[str] = []
        drained = 0
        while drained < self.threads:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            drained += line.strip() == DRAINED
        if drained == self.threads and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        rest, stderr = self.proc.communicate()
        if self.proc.returncode != 0:
            raise RuntimeError(f"wrk failed ({self.proc.returncode}): {stderr.strip()}")
        return parse_output("".join(lines) + rest)


def run(
    url: str, script: Path, bodies: Path, write_key: str, *, connections: int, seconds: float
) -> WrkResult:
    """Load ``url`` for ``seconds`` with ``connections`` connections."""
    return Run(url, script, bodies, write_key, connections=connections, seconds=seconds).finish()
