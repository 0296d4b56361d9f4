"""Dashboard filters applied to stored specs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import heron.analysis.service  # noqa: F401  (registers the query kinds)
from heron.dashboards.filters import apply_filters
from heron.dashboards.spec import DashboardFilters, FilterOverrides
from heron.query.properties import PropertyFilter
from heron.query.registry import parse_spec

TRENDS = {
    "kind": "TrendsQuery",
    "series": [{"event": "pageview"}],
    "date_from": "-7d",
    "filters": [{"property": "plan", "operator": "eq", "value": "pro"}],
}
COUNTRY = PropertyFilter(property="$geoip_country_code", value="FR")


def test_dates_replace_filters_add_and_compare_turns_on() -> None:
    filters = DashboardFilters(
        date_from="2025-01-01", date_to="2025-01-31", properties=[COUNTRY], compare=True
    )
    applied = apply_filters(TRENDS, filters)
    assert applied["date_from"] == "2025-01-01" and applied["date_to"] == "2025-01-31"
    assert [f["property"] for f in applied["filters"]] == ["plan", "$geoip_country_code"]
    assert applied["compare"] is True
    assert TRENDS["date_from"] == "-7d"  # the stored spec is untouched


def test_fields_a_kind_lacks_are_left_alone() -> None:
    funnel = {"kind": "FunnelsQuery", "steps": [{"event": "a"}, {"event": "b"}]}
    applied = apply_filters(funnel, DashboardFilters(compare=True))
    assert "compare" not in applied
    parse_spec(applied)


def test_metric_widgets_always_compare() -> None:
    assert apply_filters(TRENDS, DashboardFilters(), compare_always=True)["compare"] is True
    assert "compare" not in apply_filters(TRENDS, DashboardFilters())


def test_request_overrides_replace_stored_filters() -> None:
    stored = DashboardFilters(date_from="-30d", properties=[COUNTRY], compare=True)
    merged = FilterOverrides(date_from="-7d", compare=False).over(stored)
    assert merged.date_from == "-7d" and merged.properties == [COUNTRY] and merged.compare is False


DATES = st.sampled_from([None, "-7d", "-30d", "2025-01-01", "2025-03-31"])
KINDS = st.sampled_from(
    [
        TRENDS,
        {"kind": "StickinessQuery", "series": [{"event": "pageview"}]},
        {"kind": "RetentionQuery", "target_event": "a", "returning_event": "b"},
        {"kind": "HeatmapQuery", "event": "pageview"},
        {"kind": "PathsQuery"},
    ]
)


@given(KINDS, DATES, DATES, st.booleans(), st.booleans())
def test_a_valid_spec_stays_valid(spec, date_from, date_to, compare, with_property) -> None:
    filters = DashboardFilters(
        date_from=date_from,
        date_to=date_to,
        properties=[COUNTRY] if with_property else [],
        compare=compare,
    )
    applied = apply_filters(spec, filters)
    parsed = parse_spec(applied)
    if date_from is not None:
        assert parsed.date_from == date_from
    if with_property:
        assert COUNTRY in parsed.filters


def test_kinds_that_refuse_a_filter_run_without_it() -> None:
    sql = {"kind": "SQLQuery", "sql": "select 1"}
    filters = DashboardFilters(date_from="-7d", properties=[COUNTRY], compare=True)
    assert apply_filters(sql, filters) == sql
