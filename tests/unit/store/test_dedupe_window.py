from heron.store.dedupe import RecentIds


def test_window_forgets_the_oldest_and_is_per_project():
    window = RecentIds(capacity=3)
    window.add_many([(1, "a"), (1, "b"), (2, "a")])
    assert window.seen(1, "a") and window.seen(2, "a") and not window.seen(2, "b")
    window.add_many([(1, "c")])
    assert len(window) == 3
    assert not window.seen(1, "a")
    assert window.seen(1, "c")


def test_repeated_ids_do_not_grow_the_window():
    window = RecentIds(capacity=10)
    window.add_many([(1, "a")] * 5)
    assert len(window) == 1
