"""A ``kill -9`` of the server under load loses no acknowledged event and duplicates none."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import duckdb
import httpx
import pytest

from tests.integration.server import Server, create_project

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BATCHES = 400
BATCH_SIZE = 50


def test_kill_minus_nine_loses_nothing_acknowledged(tmp_path):
    data_dir = tmp_path / "data"
    project = create_project(data_dir)
    headers = {"Authorization": f"Bearer {project['write_key']}"}
    batches = [
        [
            {
                "event": "load",
                "distinct_id": f"user-{b % 37}",
                "uuid": str(uuid.uuid4()),
                "properties": {"b": b, "i": i},
            }
            for i in range(BATCH_SIZE)
        ]
        for b in range(BATCHES)
    ]
    acknowledged: set[int] = set()
    lock = threading.Lock()
    server = Server(data_dir).start()

    def send(index: int, url: str) -> None:
        try:
            r = httpx.post(
                f"{url}/v1/events", json={"batch": batches[index]}, headers=headers, timeout=10
            )
        except httpx.TransportError:
            return
        if r.status_code == 200:
            assert r.json()["accepted"] == BATCH_SIZE
            with lock:
                acknowledged.add(index)

    killer = threading.Timer(1.5, server.kill)
    killer.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: send(i, server.url), range(BATCHES)))
    killer.join()
    acked_before_crash = set(acknowledged)
    assert 0 < len(acked_before_crash) < BATCHES, "the kill must land in the middle of the load"

    server = Server(data_dir, port=server.port).start()
    try:
        for _ in range(3):  # the client retries everything it never saw acknowledged
            missing = [i for i in range(BATCHES) if i not in acknowledged]
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda i: send(i, server.url), missing))
        assert len(acknowledged) == BATCHES
    finally:
        server.stop()

    con = duckdb.connect(str(data_dir / "events.duckdb"), read_only=True)
    stored = con.execute("select uuid::varchar, count(*) from events group by 1").fetchall()
    con.close()
    counts = dict(stored)
    expected = {e["uuid"] for batch in batches for e in batch}
    assert set(counts) == expected, "every acknowledged (and retried) event is stored"
    assert max(counts.values()) == 1, "no event is stored twice"
    acked_uuids = {e["uuid"] for i in acked_before_crash for e in batches[i]}
    assert acked_uuids <= set(counts)
