"""Organizations and projects."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from heron.meta.errors import InvalidValueError, NotFoundError
from heron.meta.models import Organization, Project
from heron.meta.projects import (
    create_organization,
    create_project,
    default_organization,
    get_project,
    list_projects,
    project_by_write_key,
    resolve_scope,
    set_project_setting,
)


def test_create_project_uses_one_default_organization(session: Session) -> None:
    first = create_project(session, "first")
    second = create_project(session, "second", timezone="Europe/Paris")
    assert first.organization_id == second.organization_id
    assert session.get(Organization, first.organization_id).name == "Default"  # type: ignore[union-attr]
    assert (first.timezone, first.currency, first.settings) == ("UTC", "USD", {})
    assert second.timezone == "Europe/Paris"
    assert default_organization(session).id == first.organization_id


def test_write_keys_are_public_random_and_unique(session: Session) -> None:
    projects = [create_project(session, f"p{i}") for i in range(20)]
    keys = {p.write_key for p in projects}
    assert len(keys) == 20
    assert all(re.fullmatch(r"hw_[A-Za-z0-9_-]{32}", key) for key in keys)
    assert project_by_write_key(session, projects[3].write_key) is projects[3]
    assert project_by_write_key(session, "hw_unknown") is None


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "", "../../etc/passwd", "utc+2"])
def test_bad_timezone_is_rejected(session: Session, timezone: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        create_project(session, "p", timezone=timezone)
    assert raised.value.field == "timezone"


def test_bad_currency_and_name_are_rejected(session: Session) -> None:
    with pytest.raises(InvalidValueError, match="currency"):
        create_project(session, "p", currency="dollars")
    with pytest.raises(InvalidValueError, match="name"):
        create_project(session, "   ")
    assert create_project(session, " p ", currency="eur").currency == "EUR"


def test_explicit_organization(session: Session) -> None:
    org = create_organization(session, "Acme")
    project = create_project(session, "p", organization_id=org.id)
    assert project.organization_id == org.id
    assert list_projects(session, organization_id=org.id) == [project]
    with pytest.raises(NotFoundError):
        create_project(session, "p", organization_id=org.id + 100)


def test_get_and_list_projects(session: Session) -> None:
    a = create_project(session, "a")
    b = create_project(session, "b")
    assert get_project(session, a.id) is a
    assert get_project(session, b.id + 1) is None
    assert list_projects(session) == [a, b]


def test_set_project_setting(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        project_id = create_project(s, "p").id
        set_project_setting(s, project_id, "stripe_webhook_secret", "whsec_1")
        set_project_setting(s, project_id, "revenuecat_authorization", "Bearer x")
        set_project_setting(s, project_id, "timezone", "America/New_York")
        set_project_setting(s, project_id, "currency", "gbp")
        set_project_setting(s, project_id, "name", "renamed")
    with factory() as s:
        project = s.get(Project, project_id)
        assert project is not None
        assert project.settings == {
            "stripe_webhook_secret": "whsec_1",
            "revenuecat_authorization": "Bearer x",
        }
        assert (project.timezone, project.currency, project.name) == (
            "America/New_York",
            "GBP",
            "renamed",
        )


def test_set_project_setting_errors(session: Session) -> None:
    project = create_project(session, "p")
    with pytest.raises(InvalidValueError, match="unknown setting"):
        set_project_setting(session, project.id, "color", "red")
    with pytest.raises(InvalidValueError, match="timezone"):
        set_project_setting(session, project.id, "timezone", "Nowhere/Land")
    with pytest.raises(NotFoundError):
        set_project_setting(session, project.id + 1, "name", "x")


def test_resolve_scope(session: Session) -> None:
    acme = create_organization(session, "Acme")
    project = create_project(session, "p", organization_id=acme.id)
    assert resolve_scope(session, None, project.id) == (acme.id, project.id)
    assert resolve_scope(session, acme.id, None) == (acme.id, None)
    assert resolve_scope(session, None, None) == (default_organization(session).id, None)
    with pytest.raises(InvalidValueError, match="not in organization"):
        resolve_scope(session, default_organization(session).id, project.id)
    with pytest.raises(NotFoundError):
        resolve_scope(session, None, project.id + 1)
