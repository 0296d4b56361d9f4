"""The live feed: writer-thread commits become per-project counts on the event loop."""

from __future__ import annotations

import asyncio
import threading

import pyarrow as pa

from heron.app.live import LiveFeed


def batch(*project_ids: int) -> pa.Table:
    return pa.table({"project_id": pa.array(project_ids, pa.int32())})


def test_commits_reach_only_subscribers_of_their_project() -> None:
    async def scenario() -> tuple[int, bool]:
        feed = LiveFeed()
        feed.bind(asyncio.get_running_loop())
        feed.committed(batch(1, 1))  # nobody listens yet: dropped at once
        with feed.subscribe(1) as mine, feed.subscribe(2) as other:
            writer = threading.Thread(target=feed.committed, args=(batch(1, 1, 1, 3),))
            writer.start()
            writer.join()
            count = await asyncio.wait_for(mine.get(), 5)
            return count, other.empty()

    assert asyncio.run(scenario()) == (3, True)


def test_a_broken_batch_never_raises_into_the_writer() -> None:
    async def scenario() -> None:
        feed = LiveFeed()
        feed.bind(asyncio.get_running_loop())
        with feed.subscribe(1):
            feed.committed(pa.table({"other": [1]}))

    asyncio.run(scenario())


def test_unsubscribing_forgets_the_project() -> None:
    feed = LiveFeed()
    with feed.subscribe(5):
        pass
    feed.committed(batch(5))  # no loop bound, no subscribers: a no-op
