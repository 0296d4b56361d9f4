"""Group analytics end to end: the official SDKs' group calls, unchanged, against a live
``heron serve``, then a trend counting companies and the groups API, per project."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from heron.config import Settings
from heron.meta.apikeys import create_api_key
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from tests.integration.server import Server

pytestmark = pytest.mark.integration


@dataclass
class Landed:
    url: str
    project: int
    other_project: int
    key: str
    other_key: str

    def get(self, path: str, key: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        return httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=30)

    def query(self, project: int, spec: dict[str, Any], key: str | None = None) -> Any:
        reply = httpx.post(
            f"{self.url}/api/projects/{project}/query",
            json={"query": spec},
            headers={"Authorization": f"Bearer {key or self.key}"},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["results"]


def send_groups(url: str, write_key: str, companies: dict[str, str], suffix: str = "") -> None:
    """Group calls of PostHog, Segment and Amplitude; ``companies`` maps users to companies
    (the last user's event goes through Amplitude, the others' through PostHog)."""
    from amplitude import Amplitude, BaseEvent, Config
    from posthog import Posthog
    from segment.analytics import Client

    posthog = Posthog(write_key, host=url)
    users = sorted(companies)
    for user in users[:-1]:
        posthog.capture("purchased", distinct_id=user, groups={"company": companies[user]})
    posthog.capture("purchased", distinct_id="no-company")
    posthog.group_identify("company", "acme", {"name": f"Acme{suffix}"}, distinct_id=users[0])
    posthog.flush()
    segment = Client(write_key, host=url)
    segment.group(user_id=users[0], group_id="initech", traits={"name": "Initech", "size": 40})
    segment.flush()
    amplitude = Amplitude(write_key, Config(server_url=f"{url}/2/httpapi"))
    last = users[-1]
    amplitude.track(
        BaseEvent(event_type="purchased", user_id=last, groups={"company": companies[last]})
    )
    amplitude.flush()
    amplitude.shutdown()


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Iterator[Landed]:
    data_dir = tmp_path_factory.mktemp("groups") / "data"
    with meta_session(Settings(data_dir=data_dir)) as s:
        mine, theirs = create_project(s, "mine"), create_project(s, "theirs")
        s.flush()
        key = create_api_key(
            s, organization_id=mine.organization_id, role="analyst", project_id=mine.id
        )
        other_key = create_api_key(
            s, organization_id=theirs.organization_id, role="viewer", project_id=theirs.id
        )
        ids = (mine.id, mine.write_key, theirs.id, theirs.write_key)
    server = Server(data_dir).start()
    try:
        send_groups(
            server.url, ids[1], {"u1": "acme", "u2": "acme", "u3": "globex", "u4": "umbrella"}
        )
        send_groups(server.url, ids[3], {"v1": "secret-co", "v2": "acme"}, " (theirs)")
        yield Landed(server.url, ids[0], ids[2], key, other_key)
    finally:
        server.stop()


def companies_trend(landed: Landed, project: int, key: str | None = None) -> list[float]:
    spec = {
        "kind": "TrendsQuery",
        "series": [{"event": "purchased", "math": "dau"}, {"event": "purchased"}],
        "interval": "month",
        "date_from": "-1d",
        "aggregation_group_type": "company",
    }
    return [sum(entry["data"]) for entry in landed.query(project, spec, key)]


def test_a_trend_counts_the_companies_the_sdks_named(landed: Landed) -> None:
    assert companies_trend(landed, landed.project) == [3, 5], "acme, globex, umbrella; 5 events"
    other = companies_trend(landed, landed.other_project, landed.other_key)
    assert other == [2, 3], "secret-co and acme; 3 events"


def test_the_groups_api_lists_types_and_properties(landed: Landed) -> None:
    base = f"/api/projects/{landed.project}/groups"
    types = landed.get(f"{base}/types")
    assert types.status_code == 200, types.text
    assert types.json() == {"results": [{"group_type": "company", "group_type_index": 0}]}
    page = landed.get(base, group_type="company", limit=1)
    assert page.status_code == 200, page.text
    body = page.json()
    assert [g["group_key"] for g in body["results"]] == ["acme"] and body["has_more"] is True
    assert body["results"][0]["properties"] == {"name": "Acme"}
    rest = landed.get(base, group_type="company", offset=1).json()
    assert [(g["group_key"], g["properties"]) for g in rest["results"]] == [
        ("initech", {"name": "Initech", "size": 40})
    ]
    missing = landed.get(base, group_type="team")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "group_type_not_found"


def test_groups_stay_in_their_project(landed: Landed) -> None:
    mine = f"/api/projects/{landed.project}/groups"
    assert landed.get(mine, landed.other_key, group_type="company").status_code == 403
    theirs = landed.get(
        f"/api/projects/{landed.other_project}/groups", landed.other_key, group_type="company"
    ).json()
    assert [g["group_key"] for g in theirs["results"]] == ["acme", "initech"]
    assert theirs["results"][0]["properties"] == {"name": "Acme (theirs)"}
    sql = {"kind": "SQLQuery", "sql": "select group_key from groups order by group_key"}
    assert landed.query(landed.project, sql)["rows"] == [["acme"], ["initech"]]
