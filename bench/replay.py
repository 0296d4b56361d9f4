"""Replay pre-built HTTP requests with wrk: any method, path, headers and (binary) body.

The wrk machinery of :mod:`bench.wrk` (drain before stopping, exact counts) with two of
its Lua hooks redefined: ``load_requests`` reads a file of whole requests instead of one
JSON body per line, and ``accepted_in`` reads the vendor's own success answer.

The requests file starts with ``BENCH-REPLAY <mode> <Lua pattern>``; then, per request,
``<method> <target> <header count> <events> <body bytes>``, one ``Name: value`` line per
header and the raw body. Each wrk thread replays every n-th request (n threads) once: a
thread that has sent its share stops as at the deadline, so no id is ever sent twice (a
run that uses up its pool is shorter, and its rate is over its own duration). An answer's accepted events are the pattern's captured number
(mode ``count``) or the request's events when the pattern matches (mode ``each``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench import wrk
from bench.compat_bodies import WireCall

OVERRIDES = r"""
function load_requests(args)
  local file = assert(io.open(args[1], "rb"))
  accept_mode, accept_pattern = file:read("*l"):match("^BENCH%-REPLAY (%a+) (.+)$")
  -- every thread replays its own share: no request is sent twice before the pool wraps
  local threads, position, loaded = tonumber(args[2]), 0, {}
  while true do
    local head = file:read("*l")
    if head == nil or head == "" then
      break
    end
    local method, target, count, events, size = head:match("^(%S+) (%S+) (%d+) (%d+) (%d+)$")
    local headers = {}
    for _ = 1, tonumber(count) do
      local name, value = file:read("*l"):match("^([^:]+): (.*)$")
      headers[name] = value
    end
    local body = file:read(tonumber(size))
    if position % threads == id - 1 then
      loaded[#loaded + 1] = wrk.format(method, target, headers, body)
    end
    position = position + 1
    events_per_request = tonumber(events)
  end
  file:close()
  return loaded
end

-- a pool is sent once: after its last request the run ends as at its deadline
local replay_request = request
function request()
  local next_request = replay_request()
  if index == #reqs then
    deadline = math.min(deadline, now())
  end
  return next_request
end

function accepted_in(body)
  local found = string.match(body, accept_pattern)
  if found == nil then
    return 0
  end
  if accept_mode == "count" then
    return tonumber(found) or 0
  end
  return events_per_request
end
"""


@dataclass(frozen=True, slots=True)
class Accept:
    """How to read the accepted events from a 2xx answer (a Lua pattern)."""

    mode: Literal["count", "each"]
    pattern: str


NATIVE_ACCEPT = Accept("count", '"accepted":(%d+)')


def encode(calls: Sequence[WireCall], accept: Accept) -> bytes:
    """The requests file for :data:`OVERRIDES`."""
    if not calls:
        raise ValueError("no requests to replay")
    if "\n" in accept.pattern:
        raise ValueError("the accept pattern must be one line")
    parts = [f"BENCH-REPLAY {accept.mode} {accept.pattern}\n".encode()]
    for call in calls:
        if any(c in call.target for c in " \n") or not call.method.isalpha():
            raise ValueError(f"unusable request line: {call.method} {call.target!r}")
        if any("\n" in f"{name}{value}" or ":" in name for name, value in call.headers):
            raise ValueError(f"unusable header in {call.headers!r}")
        head = f"{call.method} {call.target} {len(call.headers)} {call.events} {len(call.body)}\n"
        parts.append(head.encode())
        parts.extend(f"{name}: {value}\n".encode() for name, value in call.headers)
        parts.append(call.body)
    return b"".join(parts)


def write_requests(calls: Sequence[WireCall], accept: Accept, path: Path) -> Path:
    path.write_bytes(encode(calls, accept))
    return path


def write_script(directory: Path) -> Path:
    path = directory / "bench-replay.lua"
    path.write_text(wrk.LUA + OVERRIDES)
    return path


def run(
    url: str, script: Path, requests: Path, *, connections: int, seconds: float
) -> wrk.WrkResult:
    """Replay ``requests`` against ``url`` for ``seconds`` with ``connections`` connections.

    The script's second argument (a write key for :mod:`bench.wrk`'s own hook) carries
    wrk's thread count, so that each thread replays a disjoint share of the requests.
    """
    threads = wrk.command(url, script, requests, "", connections=connections, seconds=seconds)[1]
    count = threads.removeprefix("-t")
    return wrk.run(url, script, requests, count, connections=connections, seconds=seconds)
