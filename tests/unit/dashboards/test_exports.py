"""Result → table functions per query kind, and the CSV/XLSX/JSON writers."""

from __future__ import annotations

import csv
import io

import orjson
from openpyxl import load_workbook

from heron.dashboards.exporters import EXPORTERS
from heron.dashboards.tables import Table, to_table

TRENDS = [
    {
        "label": "pageview",
        "breakdown_value": "FR",
        "labels": ["2025-01-01", "2025-01-02"],
        "data": [3, 4],
    },
    {
        "label": "pageview",
        "breakdown_value": "DE",
        "labels": ["2025-01-01", "2025-01-02"],
        "data": [1, 0],
    },
]


def test_trends_table_is_long() -> None:
    table = to_table("TrendsQuery", TRENDS)
    assert table.columns == ["series", "breakdown_value", "period", "interval_start", "value"]
    assert table.rows[0] == ["pageview", "FR", "current", "2025-01-01", 3]
    assert len(table.rows) == 4


def test_funnel_retention_paths_heatmap_sql_tables() -> None:
    funnel = {
        "steps": [
            {
                "event": "a",
                "count": 10,
                "conversion_rate": 1.0,
                "conversion_from_previous": 1.0,
                "median_seconds_to_convert": None,
            },
            {
                "event": "b",
                "count": 4,
                "conversion_rate": 0.4,
                "conversion_from_previous": 0.4,
                "median_seconds_to_convert": 30.0,
            },
        ],
        "breakdown_value": None,
    }
    assert to_table("FunnelsQuery", funnel).rows[1][1:4] == [2, "b", 4]
    retention = {
        "cohorts": [
            {"cohort_start": "2025-01-06", "size": 5, "values": [5, 2]},
            {"cohort_start": "2025-01-13", "size": 3, "values": [3]},
        ]
    }
    table = to_table("RetentionQuery", retention)
    assert table.columns == ["cohort_start", "size", "period_0", "period_1"]
    assert table.rows[1] == ["2025-01-13", 3, 3, None]
    paths = {"nodes": [], "links": [{"source": "1_a", "target": "2_b", "value": 7}]}
    assert to_table("PathsQuery", paths).records() == [
        {"source": "1_a", "target": "2_b", "value": 7}
    ]
    heat = {
        "weekdays": ["Mon"] + ["x"] * 6,
        "hours": list(range(24)),
        "data": [[h for h in range(24)] for _ in range(7)],
    }
    assert len(to_table("HeatmapQuery", heat).rows) == 168
    sql = {"columns": ["a", "b"], "rows": [[1, "x"]]}
    assert to_table("SQLQuery", sql) == Table(["a", "b"], [[1, "x"]])
    assert to_table("Unknown", [{"a": 1}, {"b": 2}]).columns == ["a", "b"]


def test_csv_round_trip_and_formula_escaping() -> None:
    table = Table(["name", "value"], [["=HYPERLINK(1)", 2], [None, 3.5]])
    rows = list(csv.reader(io.StringIO(EXPORTERS["csv"].write(table, "t").decode())))
    assert rows == [["name", "value"], ["'=HYPERLINK(1)", "2"], ["", "3.5"]]


def test_xlsx_round_trip() -> None:
    table = to_table("TrendsQuery", TRENDS)
    data = EXPORTERS["xlsx"].write(table, "Top: countries/day")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Top  countries day"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == table.columns and values[1] == [
        "pageview",
        "FR",
        "current",
        "2025-01-01",
        3,
    ]


def test_json_export() -> None:
    body = orjson.loads(EXPORTERS["json"].write(Table(["a"], [[1]]), "T"))
    assert body == {"title": "T", "columns": ["a"], "rows": [[1]]}
