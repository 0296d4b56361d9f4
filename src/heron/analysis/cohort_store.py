"""Saved cohorts: where definitions come from, and which ones a spec depends on.

Membership is never stored. A saved cohort's definition compiles into the query that
uses it, so members are always computed from the current data; results that depend on
a cohort are cached (by :class:`heron.analysis.service.QueryService`) under a key that
holds the cohort's canonical definition and the project's data version, so membership
is recomputed exactly when the definition or the data changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from heron.analysis.cohorts import CohortDefinition, canonical, parse_definition
from heron.meta import cohorts as repo
from heron.meta.cohort_models import Cohort
from heron.query.registry import SpecError

COHORT_FIELDS = frozenset({"cohort", "cohort_id"})


class CohortSource(Protocol):
    """Saved definitions by project and id (None when the project has no such cohort)."""

    def definition(self, project_id: int, cohort_id: int) -> Any | None: ...


class MetaCohorts:
    """Saved definitions read from the metadata database."""

    def __init__(self, meta: sessionmaker[Session]) -> None:
        self.meta = meta

    def definition(self, project_id: int, cohort_id: int) -> Any | None:
        with self.meta() as s:
            cohort = repo.get_cohort(s, project_id, cohort_id)
            return None if cohort is None else cohort.definition


def referenced_cohorts(spec_data: Any) -> set[int]:
    """Ids of saved cohorts a spec (as JSON) names in any ``cohort`` / ``cohort_id`` field."""
    return set(_cohort_ids(spec_data))


def _cohort_ids(value: Any) -> Iterator[int]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in COHORT_FIELDS and isinstance(item, int) and not isinstance(item, bool):
                yield item
            else:
                yield from _cohort_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _cohort_ids(item)


def load_definition(source: CohortSource, project_id: int, cohort_id: int) -> CohortDefinition:
    """The project's saved definition, validated; :class:`SpecError` when there is none."""
    data = source.definition(project_id, cohort_id)
    if data is None:
        raise SpecError(
            [
                {
                    "loc": ["cohort"],
                    "msg": f"no cohort with id {cohort_id} in this project",
                    "type": "not_found",
                }
            ]
        )
    return parse_definition(data, ("cohort", cohort_id))


def save_cohort(
    s: Session, project_id: int, name: str, definition: Any, description: str = ""
) -> Cohort:
    """Validate a definition and save it (canonicalised) as a new cohort of the project."""
    checked = canonical(parse_definition(definition))
    return repo.create_cohort(s, project_id, name, checked, description)
