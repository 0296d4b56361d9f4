"""Per-event enrichment done before storage: user agents and sessions.

URL, UTM and referrer columns are derived by the store (one definition for every path into
it, see ``heron.store.materialise``); what needs state or a parser library happens here.
"""

from __future__ import annotations

import hashlib
import uuid as uuid_mod
from collections.abc import Sequence
from functools import lru_cache
from itertools import islice
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from heron.events import RAW_SCHEMA, CanonicalEvent

_TABLETS = ("ipad", "tablet", "kindle", "nexus 7", "nexus 9", "sm-t")
_MOBILE_OS = ("ios", "android", "windows phone", "blackberry os")


@lru_cache(maxsize=20_000)
def parse_user_agent(user_agent: str) -> tuple[str | None, str | None, str | None]:
    """``(browser, os, device type)`` of a User-Agent string; cached, since few are distinct."""
    from ua_parser import parse

    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else None
    os_name = result.os.family if result.os else None
    device = (result.device.family if result.device else "") or ""
    lowered = f"{device} {user_agent}".lower()
    if device == "Spider":
        device_type = "Bot"
    elif any(marker in lowered for marker in _TABLETS):
        device_type = "Tablet"
    elif (os_name or "").lower() in _MOBILE_OS or "mobile" in lowered:
        device_type = "Mobile"
    else:
        device_type = "Desktop"
    return browser, os_name, device_type


class Sessionizer:
    """Assigns a session id to events that carry none: a new session after 30 idle minutes.

    State is kept per (project, distinct id) for the most recently seen ids only (the
    oldest tenth is dropped when full); an id whose state was dropped starts a new
    session. Session ids are derived from the session's first event, so the same input
    always yields the same ids.
    """

    def __init__(self, timeout_seconds: int = 1800, capacity: int = 500_000) -> None:
        self.timeout_us = timeout_seconds * 1_000_000
        self.capacity = capacity
        self._state: dict[tuple[int, str], list[Any]] = {}

    def session_for(self, project_id: int, distinct_id: str, timestamp_us: int) -> str:
        key = (project_id, distinct_id)
        state = self._state.get(key)
        if (
            state is not None
            and state[0] - self.timeout_us < timestamp_us < state[1] + self.timeout_us
        ):
            if timestamp_us > state[1]:
                state[1] = timestamp_us
            elif timestamp_us < state[0]:
                state[0] = timestamp_us
            return state[2]
        session_id = _session_id(project_id, distinct_id, timestamp_us)
        self._state.pop(key, None)
        self._state[key] = [timestamp_us, timestamp_us, session_id]
        if len(self._state) > self.capacity:
            for old in list(islice(self._state, self.capacity // 10 or 1)):
                del self._state[old]
        return session_id

    def sessions_for(
        self, project_id: int, distinct_ids: pa.Array | pa.ChunkedArray, timestamps_us: np.ndarray
    ) -> pa.Array:
        """Session ids of many events at once (a string array aligned with the input).

        The ids are those :meth:`session_for` gives when called on the events grouped by
        distinct id, each group in timestamp order, while the state stays within
        ``capacity``. Python work is per distinct id and per new session, not per event.
        """
        n = len(timestamps_us)
        if n == 0:
            return pa.array([], pa.string())
        if isinstance(distinct_ids, pa.ChunkedArray):
            distinct_ids = distinct_ids.combine_chunks()
        encoded = pc.dictionary_encode(distinct_ids)
        names: list[str] = encoded.dictionary.to_pylist()
        order = np.lexsort((timestamps_us, encoded.indices.to_numpy(zero_copy_only=False)))
        codes = encoded.indices.to_numpy(zero_copy_only=False)[order]
        stamps = np.asarray(timestamps_us, dtype=np.int64)[order]
        firsts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ids = [names[code] for code in codes[firsts].tolist()]
        joined = self._open_sessions(project_id, ids, stamps[firsts].tolist())
        floor = np.iinfo(np.int64).min
        carried = np.repeat(
            [floor if state is None else state[1] for state in joined], np.diff(np.r_[firsts, n])
        )
        starts = stamps - np.maximum(np.r_[stamps[0], stamps[:-1]], carried) >= self.timeout_us
        starts[firsts] = True
        segments = np.cumsum(starts) - 1
        start_rows = np.flatnonzero(starts)
        runs = np.cumsum(np.isin(start_rows, firsts)) - 1
        first_rows = firsts.tolist()
        session_ids: list[str] = []
        for row, run, stamp in zip(
            start_rows.tolist(), runs.tolist(), stamps[start_rows].tolist(), strict=True
        ):
            state = joined[run]
            if state is not None and row == first_rows[run]:
                session_ids.append(state[2])
                continue
            key = f"{project_id}:{ids[run]}:{stamp}".encode()
            digest = hashlib.md5(key, usedforsecurity=False).hexdigest()  # as _session_id
            session_ids.append(
                f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"
            )
        lasts = np.r_[firsts[1:], n] - 1
        self._keep_last_sessions(
            project_id,
            ids,
            joined,
            [session_ids[i] for i in segments[lasts].tolist()],
            (segments[lasts] == segments[firsts]).tolist(),
            stamps[start_rows][segments[lasts]].tolist(),
            stamps[lasts].tolist(),
        )
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        return pa.array(session_ids, pa.string()).take(pa.array(segments[inverse]))

    def _open_sessions(
        self, project_id: int, distinct_ids: list[str], stamps: list[int]
    ) -> list[list[Any] | None]:
        """Per distinct id, the stored session its earliest event joins (``None``: a new one)."""
        timeout = self.timeout_us
        joined: list[list[Any] | None] = []
        for distinct_id, stamp in zip(distinct_ids, stamps, strict=True):
            state = self._state.get((project_id, distinct_id))
            inside = state is not None and state[0] - timeout < stamp < state[1] + timeout
            joined.append(state if inside else None)
        return joined

    def _keep_last_sessions(
        self,
        project_id: int,
        distinct_ids: list[str],
        joined: list[list[Any] | None],
        session_ids: list[str],
        in_first_session: list[bool],
        starts: list[int],
        ends: list[int],
    ) -> None:
        """Each distinct id's last session (id, start, end) becomes its state, as
        ``session_for`` leaves it; a continued stored session is extended in place."""
        for distinct_id, state, session_id, continued, start, end in zip(
            distinct_ids, joined, session_ids, in_first_session, starts, ends, strict=True
        ):
            if state is not None and continued:
                state[0] = min(state[0], start)
                state[1] = max(state[1], end)
                continue
            key = (project_id, distinct_id)
            self._state.pop(key, None)
            self._state[key] = [start, end, session_id]
        while len(self._state) > self.capacity:
            for old in list(islice(self._state, self.capacity // 10 or 1)):
                del self._state[old]


def _session_id(project_id: int, distinct_id: str, start_us: int) -> str:
    digest = hashlib.md5(f"{project_id}:{distinct_id}:{start_us}".encode(), usedforsecurity=False)
    return str(uuid_mod.UUID(digest.hexdigest()))


def to_raw_batch(
    project_id: int, events: Sequence[CanonicalEvent], sessions: Sessionizer
) -> pa.Table:
    """Canonical events of one project → a raw batch for the store."""
    return raw_batch_of([(project_id, events)], sessions)


def raw_batch_of(
    parts: Sequence[tuple[int, Sequence[CanonicalEvent]]], sessions: Sessionizer
) -> pa.Table:
    """Canonical events of several requests (``(project_id, events)`` each) → one raw batch."""
    n = sum(len(events) for _, events in parts)
    projects: list[int] = [0] * n
    uuids: list[str | None] = [None] * n
    names: list[str] = [""] * n
    distinct: list[str] = [""] * n
    stamps: list[int] = [0] * n
    props: list[str] = [""] * n
    session_ids: list[str | None] = [None] * n
    browsers: list[str | None] = [None] * n
    systems: list[str | None] = [None] * n
    devices: list[str | None] = [None] * n
    i = 0
    for project_id, events in parts:
        projects[i : i + len(events)] = [project_id] * len(events)
        for ev in events:
            p = ev.properties
            uuids[i] = ev.uuid
            names[i] = ev.event
            distinct[i] = ev.distinct_id
            stamps[i] = ev.timestamp_us
            props[i] = ev.properties_json
            session = p.get("$session_id")
            if type(session) is not str or not session:
                session = sessions.session_for(project_id, ev.distinct_id, ev.timestamp_us)
            session_ids[i] = session
            if "$user_agent" in p or "$raw_user_agent" in p:
                agent = p.get("$user_agent") or p.get("$raw_user_agent")
                if isinstance(agent, str) and agent and "$browser" not in p:
                    browsers[i], systems[i], devices[i] = parse_user_agent(agent[:1000])
            i += 1
    return pa.table(
        [
            pa.array(projects, pa.int32()),
            pa.array(uuids, pa.string()),
            pa.array(names, pa.string()),
            pa.array(distinct, pa.string()),
            pa.array(stamps, pa.timestamp("us")),
            pa.array(props, pa.string()),
            pa.array(session_ids, pa.string()),
            pa.array(browsers, pa.string()),
            pa.array(systems, pa.string()),
            pa.array(devices, pa.string()),
        ],
        schema=RAW_SCHEMA,
    )
