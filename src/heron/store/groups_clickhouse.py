"""Group types and group properties in the ClickHouse store (see :mod:`heron.store.groups`).

Like persons, both are append-only logs (``ReplacingMergeTree``) read through views with
``FINAL``: ``group_types`` keeps the first registration of a name (a retried batch writes
the same row again), ``groups`` the row of the highest version. Group writes come before
the batch's events, and replanning a retried batch from the stored state writes the same
values again, so a batch that failed part-way converges on retry (as persons do).
"""

from __future__ import annotations

import time
from datetime import datetime

import orjson
import pyarrow as pa

from heron.store.clickhouse_schema import quote
from heron.store.clickhouse_transport import Transport
from heron.store.groups import GroupRow, GroupWriter, group_rows_table, keys_table

_FSYNC = "fsync_after_insert = 1, fsync_part_directory = 1"

DDL = [
    f"""
    CREATE TABLE IF NOT EXISTS group_types_log (
        project_id Int32,
        group_type String,
        group_type_index UInt8,
        created_at DateTime64(6, 'UTC')
    )
    ENGINE = ReplacingMergeTree
    ORDER BY (project_id, group_type)
    SETTINGS {_FSYNC}
    """,
    f"""
    CREATE TABLE IF NOT EXISTS groups_log (
        project_id Int32,
        group_type String,
        group_key String,
        properties String,
        created_at DateTime64(6, 'UTC'),
        updated_at DateTime64(6, 'UTC'),
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (project_id, group_type, group_key)
    SETTINGS {_FSYNC}
    """,
    """
    CREATE VIEW IF NOT EXISTS group_types AS
    SELECT project_id, group_type, toInt32(group_type_index) AS group_type_index, created_at
    FROM group_types_log FINAL
    """,
    """
    CREATE VIEW IF NOT EXISTS groups AS
    SELECT project_id, group_type, group_key, properties, created_at, updated_at
    FROM groups_log FINAL
    """,
]

_TYPE_ROWS = pa.schema(
    [
        pa.field("project_id", pa.int32(), nullable=False),
        pa.field("group_type", pa.string(), nullable=False),
        pa.field("group_type_index", pa.int32(), nullable=False),
        pa.field("created_at", pa.timestamp("us"), nullable=False),
    ]
)


class ClickHouseGroups(GroupWriter):
    """Writes through the store's transport; versions are microseconds, always increasing."""

    def __init__(self, transport: Transport) -> None:
        super().__init__()
        self._transport = transport
        for statement in DDL:
            transport.command(statement)
        stored = transport.query("SELECT max(version) AS v FROM groups_log")
        self._version = int(stored["v"][0].as_py() or 0)

    def load_types(self, project_id: int) -> dict[str, int]:
        rows = self._transport.query(
            "SELECT group_type, group_type_index FROM group_types "
            f"WHERE project_id = {int(project_id)}"
        )
        return dict(
            zip(rows["group_type"].to_pylist(), rows["group_type_index"].to_pylist(), strict=True)
        )

    def insert_types(self, project_id: int, new: dict[str, int], now: datetime) -> None:
        table = pa.table(
            [
                [project_id] * len(new),
                list(new),
                list(new.values()),
                [now] * len(new),
            ],
            schema=_TYPE_ROWS,
        )
        self._transport.insert_from(
            "INSERT INTO group_types_log SELECT project_id, group_type, "
            "toUInt8(group_type_index), created_at FROM {source}",
            table,
        )

    def load_groups(
        self, project_id: int, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], GroupRow]:
        types = ", ".join(quote(t) for t in sorted({t for t, _ in keys}))
        rows = self._transport.query_with(
            "SELECT group_type, group_key, properties, created_at FROM groups "
            f"WHERE project_id = {int(project_id)} AND group_type IN ({types}) "
            "AND (group_type, group_key) IN (SELECT group_type, group_key FROM {source})",
            keys_table(keys),
        )
        return {
            (row["group_type"], row["group_key"]): GroupRow(
                orjson.loads(row["properties"]), _naive(row["created_at"])
            )
            for row in rows.to_pylist()
        }

    def upsert_groups(
        self, project_id: int, rows: dict[tuple[str, str], GroupRow], now: datetime
    ) -> None:
        self._version = max(self._version + 1, time.time_ns() // 1000)
        table = group_rows_table(project_id, rows, now)
        table = table.append_column("version", pa.array([self._version] * len(rows), pa.uint64()))
        self._transport.insert_from("INSERT INTO groups_log SELECT * FROM {source}", table)


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment
