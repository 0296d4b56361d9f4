"""The dedupe window: event uuids recently stored, per project, bounded in size."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class RecentIds:
    """Remembers the last ``capacity`` stored (project, uuid) pairs, forgetting the oldest first.

    Retries of a request re-send the same uuids within seconds or minutes, so a window
    of recent ids catches them without an index over the whole event table.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._by_project: dict[int, set[str]] = {}
        self._order: deque[tuple[int, str]] = deque()

    def __len__(self) -> int:
        return len(self._order)

    def seen(self, project_id: int, uuid: str) -> bool:
        ids = self._by_project.get(project_id)
        return ids is not None and uuid in ids

    def add_many(self, pairs: Iterable[tuple[int, str]]) -> None:
        for project_id, uuid in pairs:
            ids = self._by_project.setdefault(project_id, set())
            if uuid in ids:
                continue
            ids.add(uuid)
            self._order.append((project_id, uuid))
        while len(self._order) > self.capacity:
            old_project, old_id = self._order.popleft()
            self._by_project[old_project].discard(old_id)


LIVE_HORIZON = timedelta(hours=1)
"""Events newer than this are deduped by the in-memory window alone; older ones also
against the stored rows of their time range (backfills, offline devices, imports)."""


def stored_keys(batch: pa.Table) -> list[tuple[int, str]]:
    """The (project, uuid) of each row that has a client uuid."""
    pairs = zip(batch["project_id"].to_pylist(), batch["uuid"].to_pylist(), strict=True)
    return [(project_id, key) for project_id, key in pairs if key is not None]


def plan_dedupe(
    batch: pa.Table, recent: RecentIds, *, exact: bool, unsure: RecentIds | None = None
) -> tuple[np.ndarray, pa.Table | None]:
    """Which rows to keep, and which of them a store must still look up.

    Returns ``(keep, candidates)``: ``keep`` drops repeats within the batch and, unless
    ``exact``, ids in the recent window; ``candidates`` (project_id, uuid, timestamp,
    ``_row``) are the kept rows to check against stored rows of their time range — every
    row with a uuid when ``exact``, else rows older than :data:`LIVE_HORIZON` or listed in
    ``unsure`` — or ``None`` when there are none. A store clears ``keep[_row]`` for each
    candidate it finds.
    """
    has_uuid = pc.is_valid(batch["uuid"]).to_numpy(zero_copy_only=False)
    keep = ~has_uuid
    if has_uuid.any():
        rows = pa.table(
            {"p": batch["project_id"], "u": batch["uuid"], "i": np.arange(batch.num_rows)}
        ).filter(pa.array(has_uuid))
        firsts = rows.group_by(["p", "u"], use_threads=False).aggregate([("i", "min")])
        keep[firsts["i_min"].to_numpy()] = True
    doubtful = np.zeros(batch.num_rows, dtype=bool)
    if not exact and has_uuid.any() and (len(recent) or (unsure is not None and len(unsure))):
        projects = batch["project_id"].to_pylist()
        uuids = batch["uuid"].to_pylist()
        for i in np.flatnonzero(keep & has_uuid).tolist():
            if recent.seen(projects[i], uuids[i]):
                keep[i] = False
            elif unsure is not None and unsure.seen(projects[i], uuids[i]):
                doubtful[i] = True
    check = keep & has_uuid
    if not exact:
        horizon = datetime.now(UTC).replace(tzinfo=None) - LIVE_HORIZON
        old = pc.less(batch["timestamp"], pa.scalar(horizon, pa.timestamp("us")))
        check &= old.to_numpy(zero_copy_only=False) | doubtful
    if not check.any():
        return keep, None
    rows_to_check = np.flatnonzero(check)
    candidates = batch.select(["project_id", "uuid", "timestamp"]).take(rows_to_check)
    return keep, candidates.append_column("_row", pa.array(rows_to_check, pa.int64()))
