"""Identity planning (pure): merges, their guards, and person property order."""

from __future__ import annotations

from heron.events import person_id_for
from heron.store.identity import IdentityOp, IdentityState, plan

P = 1


def pid(distinct_id: str):
    return person_id_for(P, distinct_id)


def op(ts, distinct_id, **kw):
    return IdentityOp(project_id=P, timestamp_us=ts, distinct_id=distinct_id, **kw)


def test_identify_absorbs_the_anonymous_person():
    writes = plan(P, [op(1, "user", identify=True, absorb="anon")], IdentityState())
    assert writes.merges == [(pid("anon"), pid("user"))]
    assert writes.persons[pid("user")] == ({}, True)
    assert pid("anon") in writes.deleted


def test_identify_never_merges_two_identified_persons():
    state = IdentityState(identified={pid("anon"), pid("user")})
    writes = plan(P, [op(1, "user", identify=True, absorb="anon")], state)
    assert writes.merges == []


def test_alias_merges_unless_both_are_identified():
    assert plan(
        P, [op(1, "a", absorb="b", by_alias=True)], IdentityState(identified={pid("a")})
    ).merges
    both = IdentityState(identified={pid("a"), pid("b")})
    assert not plan(P, [op(1, "a", absorb="b", by_alias=True)], both).merges


def test_chained_merges_resolve_through_earlier_overrides():
    state = IdentityState(overrides={pid("anon"): pid("user")})
    writes = plan(P, [op(1, "other", absorb="anon", by_alias=True)], state)
    assert writes.merges == [(pid("user"), pid("other"))]


def test_set_once_keeps_the_first_value_and_set_overwrites():
    ops = [
        op(1, "u", set={"plan": "free"}, set_once={"source": "ad"}),
        op(2, "u", set={"plan": "pro"}, set_once={"source": "seo"}),
    ]
    writes = plan(P, ops, IdentityState())
    assert writes.persons[pid("u")] == ({"plan": "pro", "source": "ad"}, False)


def test_survivor_properties_win_on_merge():
    state = IdentityState(
        properties={pid("anon"): {"plan": "free", "utm": "x"}, pid("user"): {"plan": "pro"}}
    )
    writes = plan(P, [op(1, "user", identify=True, absorb="anon")], state)
    assert writes.persons[pid("user")][0] == {"plan": "pro", "utm": "x"}


def test_redirects_follow_chains_to_the_final_survivor():
    ops = [
        op(1, "b", absorb="a", by_alias=True),
        op(2, "c", absorb="b", by_alias=True),
    ]
    writes = plan(P, ops, IdentityState())
    assert writes.redirects() == {pid("a"): pid("c"), pid("b"): pid("c")}


def test_unchanged_person_rows_are_not_written_again():
    stored = IdentityState(identified={pid("user")}, properties={pid("user"): {"plan": "pro"}})
    repeat = [op(1, "user", identify=True, set={"plan": "pro"})]
    assert plan(P, repeat, stored).persons == {}
    changed = plan(P, [op(1, "user", set={"plan": "team"})], stored)
    assert changed.persons == {pid("user"): ({"plan": "team"}, True)}
    new = plan(P, [op(1, "newcomer", identify=True)], IdentityState())
    assert new.persons == {pid("newcomer"): ({}, True)}  # no stored row yet: written
