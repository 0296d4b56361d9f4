from heron.app.ratelimit import TokenBuckets, retry_after_header


def test_bucket_refills_at_the_rate():
    now = [0.0]
    buckets = TokenBuckets(rate=10, burst=10, clock=lambda: now[0])
    assert buckets.take("p", 10) == 0
    wait = buckets.take("p", 5)
    assert wait == 0.5
    now[0] += 0.5
    assert buckets.take("p", 5) == 0
    assert buckets.take("other", 10) == 0


def test_retry_after_is_a_whole_number_of_seconds():
    assert retry_after_header(0.01) == {"Retry-After": "1"}
    assert retry_after_header(2.2) == {"Retry-After": "3"}
