"""A real ``heron serve`` for the browser tests: one project, an owner and a viewer, and a
few weeks of deterministic events, so every widget of the templates has something to draw.

Import the fixtures into a test module: ``from tests.e2e.app import heron_app``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.integration.server import Server, create_project, heron

OWNER = ("owner@example.com", "owner password 1")
VIEWER = ("viewer@example.com", "viewer password 1")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

COUNTRIES = ["US", "DE", "FR", "GB", "BR", "IN", "JP", "CA"]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"]
PAGES = ["/", "/pricing", "/docs", "/blog", "/signup"]
SOURCES = ["google", "newsletter", "twitter", None]
REFERRERS = ["google.com", "news.ycombinator.com", "github.com"]


def seed_events(now: datetime, persons: int = 60, days: int = 40, seed: int = 7) -> list[dict]:
    """Pageviews, signups and purchases of ``persons`` over the ``days`` before ``now``."""
    rng = random.Random(seed)
    events: list[dict] = []
    for p in range(persons):
        person = f"person-{p}"
        country, browser = rng.choice(COUNTRIES), rng.choice(BROWSERS)
        source, referrer = rng.choice(SOURCES), rng.choice(REFERRERS)
        first = rng.randrange(days)
        for day in range(first, -1, -rng.choice([1, 2, 3, 5])):
            moment = now - timedelta(days=day, hours=rng.randrange(24), minutes=rng.randrange(60))
            session = f"s-{p}-{day}"
            props = {
                "$browser": browser,
                "$geoip_country_code": country,
                "$session_id": session,
                "utm_source": source,
                "$referring_domain": referrer,
            }
            for step in range(rng.randrange(1, 4)):
                events.append(
                    {
                        "event": "pageview",
                        "distinct_id": person,
                        "timestamp": (moment + timedelta(minutes=step)).isoformat(),
                        "properties": {**props, "$pathname": rng.choice(PAGES)},
                    }
                )
            if day == first:
                events.append(
                    {
                        "event": "signup",
                        "distinct_id": person,
                        "timestamp": (moment + timedelta(minutes=5)).isoformat(),
                        "properties": props,
                    }
                )
            if rng.random() < 0.15:
                events.append(
                    {
                        "event": "purchase",
                        "distinct_id": person,
                        "timestamp": (moment + timedelta(minutes=9)).isoformat(),
                        "properties": {**props, "amount": rng.randrange(5, 200)},
                    }
                )
    return events


def post_events(url: str, write_key: str, events: list[dict]) -> None:
    for start in range(0, len(events), 500):
        reply = httpx.post(
            f"{url}/v1/events",
            json={"batch": events[start : start + 500]},
            headers={"Authorization": f"Bearer {write_key}"},
            timeout=60,
        )
        reply.raise_for_status()


@dataclass
class HeronApp:
    url: str
    project_id: int
    write_key: str
    api_key: str
    server: Server

    def api(self) -> httpx.Client:
        """An HTTP client with the project's API key (the owner's rights)."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.api_key}"}, timeout=60
        )


@pytest.fixture(scope="module")
def heron_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeronApp]:
    data = tmp_path_factory.mktemp("heron-e2e")
    project = create_project(data, "Shop")
    heron(data, "user", "create", OWNER[0], "--password", OWNER[1], "--role", "owner")
    heron(data, "user", "create", VIEWER[0], "--password", VIEWER[1], "--role", "viewer")
    server = Server(data).start()
    try:
        post_events(server.url, project["write_key"], seed_events(datetime.now(UTC)))
        yield HeronApp(
            server.url, project["project_id"], project["write_key"], project["api_key"], server
        )
    finally:
        server.stop()
