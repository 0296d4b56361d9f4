"""One settings object for the whole process, read from ``HERON_*`` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DUCKDB_CHECKPOINT_THRESHOLD = "256MB"
"""Write-ahead log size at which a DuckDB commit checkpoints (DuckDB's own default is 16 MB). A
checkpoint costs far less than in proportion to the log it folds in (under HTTP load, 70–900 ms
at 16 MB, 570–920 ms at 256 MB), and it stalls the commit that runs it; see docs/decisions.md,
"Checkpoints every 256 MB of log"."""


class Settings(BaseSettings):
    """Everything configurable about a Heron process.

    Every field maps to an environment variable with the ``HERON_`` prefix, e.g.
    ``HERON_DATA_DIR`` or ``HERON_EVENTS_URL``.
    """

    model_config = SettingsConfigDict(env_prefix="HERON_", extra="ignore")

    data_dir: Path = Field(default=Path("heron-data"), description="Where embedded stores live.")
    events_url: str | None = Field(
        default=None,
        description="Event store URL: duckdb:///path | chdb:///path | clickhouse://host:8123/db. "
        "Default: duckdb:///<data_dir>/events.duckdb",
    )
    meta_url: str | None = Field(
        default=None,
        description="Metadata database URL (SQLAlchemy). Default: sqlite:///<data_dir>/meta.sqlite3",
    )
    host: str = "127.0.0.1"
    port: int = 8000

    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, description="Largest accepted request body, as sent."
    )
    max_decompressed_bytes: int = Field(
        default=20 * 1024 * 1024, description="Largest accepted request body after gunzip."
    )
    max_batch_events: int = 10_000
    max_event_bytes: int = Field(
        default=1024 * 1024, description="Largest serialized properties of one event."
    )
    max_property_depth: int = 16
    future_tolerance_seconds: int = Field(
        default=24 * 3600, description="How far in the future a timestamp may lie."
    )
    oldest_timestamp_year: int = Field(
        default=2000,
        ge=1970,
        description="Events stamped before 1 January of this year are rejected. Not before "
        "1970: ClickHouse truncates pre-epoch times towards zero.",
    )

    session_timeout_seconds: int = 30 * 60
    snapshot_refresh_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How often `heron serve` refreshes metric snapshots (0: never).",
    )
    dedupe_window_events: int = Field(
        default=1_000_000,
        ge=0,
        description="How many recently ingested event uuids the store remembers for dedupe "
        "(about 200 bytes each).",
    )

    commit_max_events: int = Field(default=50_000, description="Most events in one group commit.")
    commit_linger_ms: float = Field(
        default=2.0, description="How long the writer waits for more requests before committing."
    )
    writer_queue_events: int = Field(
        default=500_000, description="Events waiting for the writer before ingest answers 503."
    )

    ingest_rate_per_second: int = Field(
        default=1_000_000, description="Events per second a project may send before 429."
    )
    threads: int | None = Field(default=None, description="Query threads (default: all cores).")
    duckdb_memory_limit: str = Field(
        default="1GB",
        description="Most memory the embedded DuckDB store may use for its block cache and "
        "query intermediates (DuckDB's memory_limit, e.g. 512MB, 2GB); larger queries spill "
        "to disk. Empty: DuckDB's default of 80% of RAM.",
    )
    duckdb_checkpoint_threshold: str = Field(
        default=DUCKDB_CHECKPOINT_THRESHOLD,
        description="Size of the embedded DuckDB store's write-ahead log at which a commit "
        "folds it into the database file (DuckDB's checkpoint_threshold, e.g. 16MB, 1GB). "
        "Larger: fewer checkpoints, each cheaper per event; more log to replay after a crash.",
    )

    secure_cookies: bool = Field(
        default=False, description="Mark session cookies Secure even on plain-HTTP requests."
    )
    session_days: int = Field(default=14, ge=1, description="How long a sign-in lasts.")
    login_burst: int = Field(
        default=10, ge=1, description="Sign-in attempts per e-mail before 429 (refills 2/min)."
    )
    export_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest a PDF/PNG export may render before 504."
    )
    chromium_path: str = Field(
        default="/usr/bin/chromium", description="The Chromium that renders PDF/PNG exports."
    )

    @cached_property
    def resolved_events_url(self) -> str:
        return self.events_url or f"duckdb:///{(self.data_dir / 'events.duckdb').resolve()}"

    @cached_property
    def resolved_meta_url(self) -> str:
        return self.meta_url or f"sqlite:///{(self.data_dir / 'meta.sqlite3').resolve()}"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
