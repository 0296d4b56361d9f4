"""Installing the demo: three projects with generated data, and a user to sign in with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from heron.config import Settings
from heron.meta.accounts import create_user, user_by_email
from heron.meta.db import meta_session
from heron.meta.models import Project
from heron.meta.projects import create_project
from heron.meta.roles import Role
from heron.store.base import open_store

DEMO_EMAIL = "demo@heron.local"
DEMO_PASSWORD = "heron-demo"
TITLES = {
    "coaching": "Demo: coaching app",
    "campaigns": "Demo: e-mail campaigns",
    "funding": "Demo: community funding",
}


@dataclass(slots=True)
class DemoProject:
    product: str
    project_id: int
    write_key: str
    events: int


@dataclass(slots=True)
class DemoSummary:
    projects: list[DemoProject] = field(default_factory=list)
    api_key: str | None = None

    def describe(self, settings: Settings) -> str:
        lines = [f"Heron demo at http://{settings.host}:{settings.port}", ""]
        for p in self.projects:
            lines.append(
                f"  {TITLES[p.product]:<26} project {p.project_id}  write key {p.write_key}  ({p.events:,} events)"
            )
        lines += ["", f"  sign in: {DEMO_EMAIL} / {DEMO_PASSWORD}"]
        if self.api_key:
            lines.append(f"  API key (shown once): {self.api_key}")
        lines.append(f"  API docs: http://{settings.host}:{settings.port}/docs")
        return "\n".join(lines)


def install_demo(settings: Settings, size: str) -> DemoSummary:
    """Create the demo projects and load their data, once; later runs reuse them."""
    from heron.demo import PRODUCTS, SIZES, generate, timezone_for

    summary = DemoSummary()
    store = open_store(settings.resolved_events_url)
    try:
        with meta_session(settings) as session:
            for product in PRODUCTS:
                title = TITLES[product]
                project = session.scalars(select(Project).where(Project.name == title)).first()
                fresh = project is None
                if project is None:
                    project = create_project(session, title, timezone=timezone_for(product))
                    session.flush()
                loaded = 0
                if fresh:
                    for batch in generate(
                        product,
                        SIZES[size],
                        project_id=project.id,
                        seed=7,
                        end=datetime.now(UTC).date(),
                    ):
                        loaded += store.append(batch, exact=True).inserted
                summary.projects.append(DemoProject(product, project.id, project.write_key, loaded))
            if user_by_email(session, DEMO_EMAIL) is None:
                _, summary.api_key = create_user(session, DEMO_EMAIL, DEMO_PASSWORD, Role.OWNER)
    finally:
        store.close()
    return summary
