"""The ingest service: canonical events of a project in, durable rows out.

The native API and the vendor adapters end here, so dedupe, sessionisation (done by the
writer as it assembles each group, ``heron.ingest.enrich.raw_batch_of``) and group commit
behave the same for all of them; imports use the same enrichment and store.
"""

from __future__ import annotations

from collections.abc import Sequence

from heron.events import CanonicalEvent
from heron.ingest.writer import GroupCommitWriter
from heron.store.base import AppendResult


class IngestService:
    def __init__(self, writer: GroupCommitWriter) -> None:
        self.writer = writer

    async def ingest(self, project_id: int, events: Sequence[CanonicalEvent]) -> AppendResult:
        """Store the events; returns once they are committed. Raises ``StoreUnavailable``."""
        if not events:
            return AppendResult(0, 0)
        return await self.writer.write_events(project_id, events)
