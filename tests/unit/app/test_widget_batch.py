"""Every widget's data in one stream: the filters first, then each widget as it is ready."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import orjson

from heron.app import widget_batch
from heron.app.errors import ApiError
from heron.dashboards.spec import DashboardFilters

FILTERS = DashboardFilters(date_from="2025-01-01", date_to="2025-01-31")


def collect(widget_ids: list[str], run: widget_batch.WidgetRun) -> list[dict[str, Any]]:
    async def scenario() -> list[bytes]:
        return [chunk async for chunk in widget_batch.lines(FILTERS, widget_ids, run)]

    chunks = asyncio.run(scenario())
    assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in chunks)
    return [orjson.loads(chunk) for chunk in chunks]


def test_the_filters_come_first_then_each_widget_once() -> None:
    lines = collect(["a", "b", "c"], lambda wid: {"results": [wid], "cached": True})
    assert lines[0] == {"filters": FILTERS.model_dump(mode="json")}
    assert sorted(line["widget_id"] for line in lines[1:]) == ["a", "b", "c"]
    assert all(line["data"]["results"] == [line["widget_id"]] for line in lines[1:])


def test_a_widget_is_sent_as_soon_as_it_is_ready() -> None:
    slow_may_finish = threading.Event()

    def run(widget_id: str) -> dict[str, Any]:
        if widget_id == "slow":
            assert slow_may_finish.wait(10)
        else:
            slow_may_finish.set()
        return {"results": widget_id}

    lines = collect(["slow", "quick"], run)
    assert [line["widget_id"] for line in lines[1:]] == ["quick", "slow"]


def test_errors_are_lines_of_their_widget() -> None:
    def run(widget_id: str) -> dict[str, Any]:
        if widget_id == "denied":
            raise ApiError(403, "forbidden", "your role may not read revenue")
        if widget_id == "broken":
            raise RuntimeError("a bug")
        return {"results": []}

    by_id = {line.get("widget_id"): line for line in collect(["ok", "denied", "broken"], run)}
    assert by_id["ok"]["data"] == {"results": []}
    assert by_id["denied"]["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": "your role may not read revenue",
        "details": None,
    }
    assert by_id["broken"]["error"]["status"] == 500
    assert by_id["broken"]["error"]["code"] == "internal_error"
    assert "a bug" not in by_id["broken"]["error"]["message"]


def test_at_most_concurrency_widgets_run_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def run(widget_id: str) -> dict[str, Any]:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == widget_batch.CONCURRENCY:
                release.set()
        assert release.wait(10)
        with lock:
            running -= 1
        return {}

    ids = [f"w{i}" for i in range(widget_batch.CONCURRENCY * 2)]
    assert len(collect(ids, run)) == len(ids) + 1
    assert most == widget_batch.CONCURRENCY


def test_only_widgets_with_a_query_are_run() -> None:
    widgets = [
        {"id": "chart", "type": "line", "query": {"kind": "TrendsQuery"}},
        {"id": "text", "type": "markdown", "query": None},
        {"id": "plain", "type": "markdown"},
    ]
    assert widget_batch.queried(widgets) == ["chart"]
