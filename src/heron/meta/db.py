"""Engines, sessions and migrations of the metadata database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from heron.config import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and their parent directory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic configuration pointing at the package's migrations (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this version."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def migrate(url: str) -> str:
    """Upgrade the database at ``url`` to the newest revision; returns that revision."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return revision or ""


def open_meta(settings: Settings) -> sessionmaker[Session]:
    """Create the data dir, migrate the metadata database and return a session factory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_meta_url)
    return session_factory(make_engine(settings.resolved_meta_url))


@contextmanager
def meta_session(settings: Settings) -> Iterator[Session]:
    """One migrated session in one transaction, committed on success; for short commands."""
    factory = open_meta(settings)
    try:
        with factory.begin() as session:
            yield session
    finally:
        close_meta(factory)


def close_meta(factory: sessionmaker[Session]) -> None:
    """Dispose of the engine behind a factory made by ``open_meta``."""
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine):
        bind.dispose()
