"""User-agent parsing and inactivity sessions."""

from __future__ import annotations

import pytest

from heron.ingest.enrich import Sessionizer, parse_user_agent

MINUTE = 60 * 1_000_000


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            ("Chrome", "Windows", "Desktop"),
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
            ("Mobile Safari", "iOS", "Tablet"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            ("Chrome", "Android", "Mobile"),
        ),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", ("Googlebot", None, "Bot")),
    ],
)
def test_user_agents(agent, expected):
    assert parse_user_agent(agent) == expected


def test_garbage_user_agent_does_not_fail():
    *_, device = parse_user_agent("\x00' OR 1=1 --")
    assert device == "Desktop"


def test_session_continues_within_the_timeout_and_splits_after():
    s = Sessionizer(timeout_seconds=1800)
    first = s.session_for(1, "a", 0)
    assert s.session_for(1, "a", 29 * MINUTE) == first
    assert s.session_for(1, "a", 58 * MINUTE) == first
    later = s.session_for(1, "a", 90 * MINUTE)
    assert later != first


def test_sessions_are_per_project_and_distinct_id_and_deterministic():
    s, t = Sessionizer(), Sessionizer()
    assert s.session_for(1, "a", 0) != s.session_for(1, "b", 0)
    assert s.session_for(2, "a", 0) != s.session_for(1, "a", 0)
    assert t.session_for(1, "a", 0) == s.session_for(1, "a", 0)


def test_late_event_inside_the_window_joins_the_session():
    s = Sessionizer(timeout_seconds=1800)
    first = s.session_for(1, "a", 60 * MINUTE)
    assert s.session_for(1, "a", 45 * MINUTE) == first


def test_state_is_bounded():
    s = Sessionizer(capacity=100)
    for i in range(1000):
        s.session_for(1, f"user-{i}", 0)
    assert len(s._state) <= 100
