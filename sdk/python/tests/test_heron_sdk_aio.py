"""The asyncio client against a scripted fake transport."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

import httpx

from heron_sdk import AsyncClient

FAST = {"flush_interval": 0.02, "backoff_base": 0.001, "backoff_max": 0.01}


def client_for(fake, **options) -> AsyncClient:
    return AsyncClient("wk", "http://heron.test", transport=fake.transport, **{**FAST, **options})


def test_the_same_api_batches_and_flushes(fake):
    async def main() -> list[str | None]:
        async with client_for(fake, batch_size=2, flush_interval=60) as client:
            ids = [client.capture("u1", "e", {"n": n}) for n in range(3)]
            client.identify("u1", "anon-1", set={"email": "a@b"})
            client.alias("u1", "a@b")
            client.group("u1", "company", "acme", {"name": "Acme"})
            client.set("u1", {"plan": "pro"})
            client.set_once("u1", {"first": "x"})
            ids.append(client.capture("u1", "after-group"))
            assert await client.flush(timeout=5)
            assert client.stats.sent == 9
        return ids

    ids = asyncio.run(main())
    assert [len(b) for b in fake.batches] == [2, 2, 2, 2, 1]
    names = [e["event"] for e in fake.events]
    assert names == ["e"] * 3 + [
        "$identify",
        "$create_alias",
        "$groupidentify",
        "$set",
        "$set_once",
        "after-group",
    ]
    assert [fake.events[i]["uuid"] for i in (0, 1, 2, 8)] == ids
    assert fake.events[3]["properties"]["$anon_distinct_id"] == "anon-1"
    assert fake.events[8]["properties"]["$groups"] == {"company": "acme"}
    assert fake.requests[0].headers["content-encoding"] == "gzip"


def test_the_interval_sends_without_a_flush(fake):
    async def main() -> None:
        client = client_for(fake, flush_interval=0.05)
        client.capture("u1", "e")
        for _ in range(500):
            if fake.requests:
                break
            await asyncio.sleep(0.01)
        await client.shutdown()

    asyncio.run(main())
    assert len(fake.events) == 1


def test_retries_honour_retry_after_and_keep_uuids(fake):
    fake.reply((429, {"Retry-After": "0.2"}), httpx.ConnectError("refused"), 503)

    async def main() -> AsyncClient:
        async with client_for(fake) as client:
            client.capture("u1", "a")
            assert await client.flush(timeout=5)
        return client

    client = asyncio.run(main())
    assert len(fake.requests) == 4
    assert fake.requests[1].at - fake.requests[0].at >= 0.2
    assert len({e["uuid"] for e in fake.events}) == 1
    assert client.stats.sent == 1


def test_refused_batches_are_counted_and_retries_run_out(fake):
    fake.reply(401, 503, 503)

    async def main() -> AsyncClient:
        async with client_for(fake, max_retries=1) as client:
            client.capture("u1", "refused")
            await client.flush()
            client.capture("u1", "failed")
            await client.flush()
        return client

    stats = asyncio.run(main()).stats
    assert (stats.rejected, stats.failed, stats.sent) == (1, 1, 0)
    assert len(fake.requests) == 3


def test_a_full_queue_drops_and_counts(fake):
    async def main() -> AsyncClient:
        client = client_for(fake, max_queue_size=2, flush_interval=60)
        results = [client.capture("u1", "e") for _ in range(4)]
        assert results[2:] == [None, None]
        await client.shutdown()
        return client

    client = asyncio.run(main())
    assert (client.dropped, len(fake.events)) == (2, 2)


def test_shutdown_gives_up_when_its_time_runs_out(fake):
    fake.reply(*[503] * 100)

    async def main() -> tuple[bool, AsyncClient]:
        client = client_for(fake, backoff_base=5, backoff_max=5)
        client.capture("u1", "a")
        return await client.shutdown(timeout=0.3), client

    settled, client = asyncio.run(main())
    assert not settled
    assert client.stats.failed == 1


def test_events_queued_outside_a_loop_are_sent_from_a_later_one(fake):
    client = client_for(fake)
    client.capture("u1", "before-the-loop")
    assert asyncio.run(client.flush(timeout=5))
    assert [e["event"] for e in fake.events] == ["before-the-loop"]
    asyncio.run(client.shutdown())


def test_a_batch_interrupted_by_the_loop_ending_is_sent_at_exit(fake):
    script = textwrap.dedent(
        """
        import asyncio, atexit, gzip, json, sys
        import httpx
        from heron_sdk import AsyncClient

        calls = []
        atexit.register(lambda: sys.stdout.write(json.dumps(calls)))  # runs after the client's

        async def handler(request):
            calls.append(json.loads(gzip.decompress(request.content)))
            if len(calls) == 1:
                await asyncio.sleep(60)  # the loop ends while this request hangs
            return httpx.Response(200, json={"accepted": 1, "errors": []})

        client = AsyncClient("wk", transport=httpx.MockTransport(handler), flush_interval=0.01)

        async def main():
            client.capture("u1", "interrupted")
            await asyncio.sleep(0.2)

        asyncio.run(main())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, timeout=60, capture_output=True, text=True
    ).stdout
    calls = json.loads(out)
    assert len(calls) == 2
    assert calls[0]["batch"] == calls[1]["batch"]
