"""The ingest service: canonical events of a project in, durable rows out.

Every way events arrive (native API, vendor adapters, imports) ends here, so dedupe,
sessionisation and group commit behave the same for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from heron.events import CanonicalEvent
from heron.ingest.enrich import Sessionizer, to_raw_batch
from heron.ingest.writer import GroupCommitWriter
from heron.store.base import AppendResult


class IngestService:
    def __init__(self, writer: GroupCommitWriter, sessions: Sessionizer) -> None:
        self.writer = writer
        self.sessions = sessions

    async def ingest(self, project_id: int, events: Sequence[CanonicalEvent]) -> AppendResult:
        """Store the events; returns once they are committed. Raises ``StoreUnavailable``."""
        if not events:
            return AppendResult(0, 0)
        return await self.writer.write(to_raw_batch(project_id, events, self.sessions))
