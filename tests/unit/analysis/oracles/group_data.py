"""Randomized ``$groups`` on oracle rows, and the rows as the oracles see them by group.

Counting by a group type is counting by person where each event's "person" is its group
of that type and events without one are gone: :func:`by_group` makes exactly those rows,
so the person-based oracles answer the group-counted queries.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

GROUP_TYPE = "company"
_KEYS = st.sampled_from([None, None, "acme", "globex", 7, ""])
"""Group keys: absent, text, an integer (stored as its text) and empty (no group)."""


TIER = "company_tier"
"""The event property that stands for the ``tier`` of the event's company (see
:func:`with_group_properties`)."""


@st.composite
def with_groups(draw: st.DrawFn, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with random ``$groups`` of two types on their non-identity events, and
    ``$groupidentify`` events setting companies' ``tier`` at the times of some rows."""
    out = []
    for row in rows:
        if draw(st.integers(0, 3)) == 0:
            values = {"tier": draw(st.sampled_from(["gold", "silver"]))}
            if draw(st.booleans()):
                values["seats"] = draw(st.integers(1, 9))
            identify = {
                "$group_type": GROUP_TYPE,
                "$group_key": draw(st.sampled_from(["acme", "globex", 7])),
                "$group_set": values,
            }
            out.append({**row, "event": "$groupidentify", "properties": identify})
    for row in rows:
        groups = {}
        if row["event"] != "$identify":
            for name in (GROUP_TYPE, "team"):
                key = draw(_KEYS)
                if key is not None:
                    groups[name] = key
        if groups:
            row = {**row, "properties": {**row.get("properties", {}), "$groups": groups}}
        out.append(row)
    return out


def by_group(rows: list[dict[str, Any]], group_type: str = GROUP_TYPE) -> list[dict[str, Any]]:
    """Each event with a group of that type, its distinct id replaced by the group."""
    out = []
    for row in rows:
        key = row.get("properties", {}).get("$groups", {}).get(group_type)
        if key is None or key == "":
            continue
        out.append({**row, "distinct_id": f"group:{key}"})
    return out


def with_group_properties(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with a company gets its company's final ``tier`` as :data:`TIER`.

    Group properties are the group's current values (``$group_set`` merged in time
    order, ties in row order), the same for all of the group's events.
    """
    tiers: dict[tuple[int, str], Any] = {}
    ordered = sorted(enumerate(rows), key=lambda pair: (pair[1]["timestamp"], pair[0]))
    for _, row in ordered:
        props = row.get("properties", {})
        if row["event"] == "$groupidentify" and props.get("$group_type") == GROUP_TYPE:
            values = props.get("$group_set", {})
            if "tier" in values:
                tiers[(row["project_id"], str(props["$group_key"]))] = values["tier"]
    out = []
    for row in rows:
        key = row.get("properties", {}).get("$groups", {}).get(GROUP_TYPE)
        tier = tiers.get((row["project_id"], str(key)))
        if key not in (None, "") and tier is not None:
            row = {**row, "properties": {**row["properties"], TIER: tier}}
        out.append(row)
    return out
