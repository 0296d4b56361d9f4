"""A running app with users of every role, for the web API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from heron.meta.accounts import create_user
from heron.meta.apikeys import create_api_key
from heron.meta.db import meta_session
from heron.meta.models import Project
from heron.meta.projects import create_organization, create_project
from heron.meta.roles import Role
from tests.integration.conftest import LiveApp, live_app

PASSWORD = "correct horse battery"


@dataclass
class Web:
    live: LiveApp
    organization_id: int
    owner_key: str
    foreign_project_id: int
    foreign_key: str
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def client(self) -> TestClient:
        return self.live.client

    @property
    def project_id(self) -> int:
        return self.live.project_id

    def login(self, who: str, password: str = PASSWORD) -> dict[str, str]:
        """Sign in as the user ``who`` (a role name or e-mail); returns the CSRF header."""
        email = self.emails.get(who, who)
        self.client.cookies.clear()
        r = self.client.post("/api/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        return {"X-CSRF-Token": r.json()["csrf_token"]}

    def as_owner(self, method: str, path: str, **kw: Any) -> Any:
        """A request with the owner's API key (no cookies, no CSRF)."""
        headers = {"Authorization": f"Bearer {self.owner_key}", **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def api(self, path: str = "") -> str:
        return f"/api/projects/{self.project_id}{path}"


@contextmanager
def web_app(tmp_path, **overrides: Any) -> Iterator[Web]:
    with live_app(tmp_path, **overrides) as live:
        with meta_session(live.settings) as s:
            project = s.get(Project, live.project_id)
            assert project is not None
            org_id = project.organization_id
            emails = {}
            for role in Role:
                email = f"{role.value}@example.com"
                create_user(s, email, PASSWORD, role, organization_id=org_id)
                emails[role.value] = email
            owner_key = create_api_key(s, organization_id=org_id, role=Role.OWNER)
            elsewhere = create_organization(s, "Elsewhere")
            foreign = create_project(s, "foreign", organization_id=elsewhere.id)
            create_user(
                s, "stranger@example.com", PASSWORD, Role.OWNER, organization_id=elsewhere.id
            )
            emails["stranger"] = "stranger@example.com"
            foreign_key = create_api_key(s, organization_id=elsewhere.id, role=Role.OWNER)
            web = Web(live, org_id, owner_key, foreign.id, foreign_key, emails)
        yield web
