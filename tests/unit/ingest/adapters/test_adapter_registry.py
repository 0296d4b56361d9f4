"""The adapter registry: self-registration, unique routes, routes built from it, docs for each."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.app.routers.compat import wire_routes
from heron.ingest.adapters import (
    ADAPTERS,
    Adapter,
    AdapterBatch,
    Outcome,
    Reply,
    Route,
    WireRequest,
)

DOCS = Path(__file__).resolve().parents[4] / "docs" / "migrate"


def test_the_built_in_adapters_are_registered():
    assert list(ADAPTERS) == ["amplitude", "mixpanel", "posthog", "posthog-v1", "segment"]
    assert all(adapter.name == name for name, adapter in ADAPTERS.items())


def test_every_path_belongs_to_one_adapter():
    paths = [route.path for adapter in ADAPTERS.values() for route in adapter.routes]
    assert len(paths) == len(set(paths))
    assert not {"/v1/events", "/healthz"} & set(paths), "the native routes stay Heron's own"


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_every_adapter_and_path_is_documented(name):
    page = (DOCS / f"{ADAPTERS[name].page or name}.md").read_text()
    assert page.startswith("# Migrate from ")
    for route in ADAPTERS[name].routes:
        assert f"`{route.path}`" in page or f"`{route.path.rstrip('/')}`" in page, route.path


def test_a_plugin_adapter_registers_itself_and_gets_routes():
    class Echo(Adapter):
        name = "echo-test"
        routes = (Route("/echo-test/in", ("POST", "PUT")),)

        def decode(self, request: WireRequest) -> AdapterBatch:
            return AdapterBatch("key", [])

        def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
            return Reply(200, "ok")

    try:
        assert isinstance(ADAPTERS["echo-test"], Echo)
        routes = wire_routes(ADAPTERS)
        methods = {(path, m) for path, (_, allowed) in routes.items() for m in allowed}
        assert {
            ("/echo-test/in", "POST"),
            ("/echo-test/in", "PUT"),
            ("/2/httpapi", "POST"),
        } <= methods
        with pytest.raises(ValueError, match="already registered"):
            type("Again", (Echo,), {"name": "echo-test"})
    finally:
        ADAPTERS.pop("echo-test", None)


def test_vendor_field_names():
    amplitude, mixpanel = ADAPTERS["amplitude"], ADAPTERS["mixpanel"]
    assert amplitude.vendor_field("event") == "event_type"
    assert amplitude.vendor_field("properties.$set") == "event_properties.$set"
    assert mixpanel.vendor_field("timestamp") == "properties.time"
    assert mixpanel.vendor_field("uuid") == "uuid"
