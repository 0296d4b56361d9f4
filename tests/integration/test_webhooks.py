"""Stripe and RevenueCat webhooks through the real app: signatures, replays, redeliveries,
out-of-order delivery and project isolation."""

from __future__ import annotations

import random
import time
from typing import Any

import orjson
import pytest
import stripe

from heron.analysis.service import ProjectInfo, QueryService
from heron.meta.db import meta_session
from heron.meta.projects import set_project_setting
from heron.metrics.extensions import meta_extensions
from tests.integration.conftest import LiveApp, live_app
from tests.unit.revenue.stripe_fixtures import event, invoice_paid, revenuecat, subscription

SECRET = "whsec_test_first"
OTHER_SECRET = "whsec_test_second"
RC_AUTH = "Bearer rc-secret"


@pytest.fixture
def app(tmp_path) -> Any:
    with live_app(tmp_path) as live:
        with meta_session(live.settings) as s:
            set_project_setting(s, live.project_id, "stripe_webhook_secret", SECRET)
            set_project_setting(s, live.other_project_id, "stripe_webhook_secret", OTHER_SECRET)
            set_project_setting(s, live.project_id, "revenuecat_authorization", RC_AUTH)
        yield live


def post_stripe(
    app: LiveApp, project: int, payload: dict[str, Any], secret: str = SECRET, at: int | None = None
) -> Any:
    body = orjson.dumps(payload).decode()
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret, timestamp=at or int(time.time())
    )
    return app.client.post(
        f"/webhooks/stripe/{project}",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def mrr(app: LiveApp, project: int) -> list[float]:
    service = QueryService(app.runtime.store, extensions=meta_extensions(app.runtime.meta))
    spec = {
        "kind": "RevenueQuery",
        "metrics": ["mrr"],
        "date_from": "2025-01-01",
        "date_to": "2025-03-31",
    }
    return service.run(ProjectInfo(project), spec)["results"]["series"]["mrr"]


def history() -> list[dict[str, Any]]:
    return [
        event(
            "customer.subscription.created",
            "2025-01-10T00:00:00",
            subscription("sub_1", "cus_1", amount=1000),
        ),
        invoice_paid("cus_1", "2025-01-10T00:00:01", 1000, "in_1"),
        event(
            "customer.subscription.updated",
            "2025-02-10T00:00:00",
            subscription("sub_1", "cus_1", amount=3000),
        ),
        event(
            "customer.subscription.deleted",
            "2025-03-10T00:00:00",
            subscription("sub_1", "cus_1", amount=3000, status="canceled"),
        ),
    ]


def test_signed_events_are_stored_once_and_order_does_not_matter(app: LiveApp) -> None:
    events = history()
    shuffled = [*events[::-1], events[1], events[0]]
    answers = [post_stripe(app, app.project_id, e) for e in shuffled]
    assert [a.status_code for a in answers] == [200] * 6
    assert [a.json()["duplicate"] for a in answers] == [False] * 4 + [True, True]
    assert mrr(app, app.project_id) == [1000, 3000, 0]
    assert mrr(app, app.other_project_id) == [0, 0, 0]


def test_bad_signature_is_refused(app: LiveApp) -> None:
    answer = post_stripe(app, app.project_id, history()[0], secret="whsec_wrong")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_signature"
    assert "whsec" not in answer.text
    body = orjson.dumps(history()[0]).decode()
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    tampered = app.client.post(
        f"/webhooks/stripe/{app.project_id}",
        content=body.replace("1000", "9000"),
        headers={"Stripe-Signature": header},
    )
    assert tampered.status_code == 400
    unsigned = app.client.post(f"/webhooks/stripe/{app.project_id}", content=body)
    assert unsigned.status_code == 400
    assert mrr(app, app.project_id) == [0, 0, 0]


def test_replayed_timestamp_outside_the_window_is_refused(app: LiveApp) -> None:
    old = int(time.time()) - 600
    answer = post_stripe(app, app.project_id, history()[0], at=old)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_signature"


def test_another_projects_secret_does_not_work(app: LiveApp) -> None:
    answer = post_stripe(app, app.other_project_id, history()[0], secret=SECRET)
    assert answer.status_code == 400
    assert (
        post_stripe(app, app.other_project_id, history()[0], secret=OTHER_SECRET).status_code == 200
    )
    assert mrr(app, app.project_id) == [0, 0, 0]
    assert mrr(app, app.other_project_id) == [1000, 1000, 1000]


def test_unconfigured_project_and_irrelevant_events(app: LiveApp) -> None:
    rc = revenuecat(
        "INITIAL_PURCHASE",
        "2025-01-05T00:00:00",
        user="u",
        product="p",
        price=5.0,
        expires="2025-02-05T00:00:00",
    )
    missing = app.client.post(
        f"/webhooks/revenuecat/{app.other_project_id}", json=rc, headers={"Authorization": RC_AUTH}
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "webhook_not_configured"
    assert app.client.post("/webhooks/stripe/99999", content=b"{}").status_code == 404
    ping = post_stripe(
        app, app.project_id, event("customer.created", "2025-01-01T00:00:00", {"id": "cus_9"})
    )
    assert ping.json() == {"received": True, "duplicate": False, "ignored": True}


def test_revenuecat_authorization_header(app: LiveApp) -> None:
    rc = revenuecat(
        "INITIAL_PURCHASE",
        "2025-01-05T00:00:00",
        user="u",
        product="p",
        price=5.0,
        expires="2025-02-05T00:00:00",
    )
    url = f"/webhooks/revenuecat/{app.project_id}"
    assert (
        app.client.post(url, json=rc, headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    assert app.client.post(url, json=rc).status_code == 401
    first = app.client.post(url, json=rc, headers={"Authorization": RC_AUTH})
    again = app.client.post(url, json=rc, headers={"Authorization": RC_AUTH})
    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert mrr(app, app.project_id)[0] == 500


def test_random_delivery_orders_agree(app: LiveApp) -> None:
    events = history()
    random.Random(3).shuffle(events)
    for e in events:
        assert post_stripe(app, app.project_id, e).status_code == 200
    assert mrr(app, app.project_id) == [1000, 3000, 0]
