"""Saved cohorts: the metadata repository, its migration, and loading definitions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session, sessionmaker

from heron.analysis.cohort_store import (
    MetaCohorts,
    load_definition,
    referenced_cohorts,
    save_cohort,
)
from heron.analysis.cohorts import BehaviouralCohort
from heron.meta import cohorts as repo
from heron.meta.cohort_models import Cohort
from heron.meta.db import head_revision, make_engine, migrate, session_factory
from heron.meta.errors import NotFoundError
from heron.meta.models import Base
from heron.meta.projects import create_project
from heron.query.registry import SpecError


@pytest.fixture
def meta_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'meta.sqlite3'}"
    assert migrate(url) == head_revision()
    return url


@pytest.fixture
def factory(meta_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(meta_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def projects(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory.begin() as s:
        return create_project(s, "A").id, create_project(s, "B").id


def test_migration_matches_the_model(meta_url: str) -> None:
    assert Cohort.__table__ is Base.metadata.tables["cohorts"]
    engine = make_engine(meta_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_repository_is_scoped_to_the_project(
    factory: sessionmaker[Session], projects: tuple[int, int]
) -> None:
    a, b = projects
    with factory.begin() as s:
        cohort = repo.create_cohort(s, a, " Buyers ", {"event": "buy", "days": 7})
        cohort_id = cohort.id
        assert cohort.name == "Buyers"
    with factory.begin() as s:
        assert repo.get_cohort(s, b, cohort_id) is None
        with pytest.raises(NotFoundError):
            repo.update_cohort(s, b, cohort_id, name="stolen")
        updated = repo.update_cohort(s, a, cohort_id, definition={"event": "buy", "days": 1})
        assert updated.definition == {"event": "buy", "days": 1}
        assert [c.id for c in repo.list_cohorts(s, a)] == [cohort_id]
        assert repo.list_cohorts(s, b) == []
    with factory.begin() as s:
        repo.delete_cohort(s, a, cohort_id)
        assert repo.get_cohort(s, a, cohort_id) is None
    with factory.begin() as s, pytest.raises(NotFoundError):
        repo.create_cohort(s, 999, "x", {})


def test_save_validates_and_canonicalises(
    factory: sessionmaker[Session], projects: tuple[int, int]
) -> None:
    a, b = projects
    with factory.begin() as s:
        with pytest.raises(SpecError, match="days"):
            save_cohort(s, a, "bad", {"event": "buy"})
        cohort_id = save_cohort(s, a, "buyers", {"event": "buy", "days": 7}).id
    source = MetaCohorts(factory)
    assert source.definition(a, cohort_id) == {
        "event": "buy",
        "operator": "gte",
        "count": 1,
        "days": 7,
        "filters": [],
    }
    assert isinstance(load_definition(source, a, cohort_id), BehaviouralCohort)
    with pytest.raises(SpecError, match=f"no cohort with id {cohort_id} in this project"):
        load_definition(source, b, cohort_id)


def test_referenced_cohorts_are_found_anywhere_in_a_spec() -> None:
    spec = {
        "kind": "X",
        "cohort": 3,
        "series": [{"event": "e", "cohort_id": 4}, {"event": "f", "cohort": None}],
        "breakdown": {"property": "cohort", "cohort": True},
    }
    assert referenced_cohorts(spec) == {3, 4}
