"""The app's explicit container: every long-lived object a request may need."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from heron.app.live import LiveFeed
from heron.app.ratelimit import TokenBuckets
from heron.config import Settings
from heron.ingest.enrich import Sessionizer, raw_batch_of
from heron.ingest.parse import Limits
from heron.ingest.service import IngestService
from heron.ingest.writer import GroupCommitWriter
from heron.meta import projects
from heron.store.base import EventStore

KEY_TTL_SECONDS = 60.0
MISS_TTL_SECONDS = 5.0
LOGIN_REFILL_PER_SECOND = 2 / 60


@dataclass(slots=True)
class WriteKeys:
    """Write key → project id, cached (a miss is remembered briefly to shed key-guessing load)."""

    meta: sessionmaker[Session]
    _cache: dict[str, tuple[int | None, float]] = field(default_factory=dict)

    def project_for(self, key: str | None) -> int | None:
        if not key:
            return None
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self.meta() as session:
            project = projects.project_by_write_key(session, key)
            project_id = project.id if project is not None else None
        ttl = KEY_TTL_SECONDS if project_id is not None else MISS_TTL_SECONDS
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = (project_id, now + ttl)
        return project_id


@dataclass(slots=True)
class Runtime:
    settings: Settings
    store: EventStore
    writer: GroupCommitWriter
    meta: sessionmaker[Session]
    ingest: IngestService
    limits: Limits
    write_keys: WriteKeys
    ingest_rate: TokenBuckets
    login_rate: TokenBuckets
    live: LiveFeed

    @classmethod
    def build(cls, settings: Settings, store: EventStore, meta: sessionmaker[Session]) -> Runtime:
        live = LiveFeed()
        sessions = Sessionizer(settings.session_timeout_seconds)
        writer = GroupCommitWriter(
            store,
            assemble=partial(raw_batch_of, sessions=sessions),
            max_events=settings.commit_max_events,
            linger_ms=settings.commit_linger_ms,
            max_queued_events=settings.writer_queue_events,
            on_commit=live.committed,
        )
        limits = Limits.from_settings(settings)
        rate = settings.ingest_rate_per_second
        return cls(
            settings=settings,
            store=store,
            writer=writer,
            meta=meta,
            ingest=IngestService(writer),
            limits=limits,
            write_keys=WriteKeys(meta),
            ingest_rate=TokenBuckets(rate, burst=max(rate, settings.max_batch_events)),
            login_rate=TokenBuckets(LOGIN_REFILL_PER_SECOND, burst=settings.login_burst),
            live=live,
        )
