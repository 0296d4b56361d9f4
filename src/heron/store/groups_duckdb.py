"""Group types and group properties in the DuckDB store (see :mod:`heron.store.groups`)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import orjson
import pyarrow as pa

from heron.store.groups import GroupRow, GroupWriter, group_rows_table, keys_table

DDL = [
    """
    CREATE TABLE IF NOT EXISTS group_types (
        project_id INTEGER NOT NULL,
        group_type VARCHAR NOT NULL,
        group_type_index INTEGER NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (project_id, group_type)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS groups (
        project_id INTEGER NOT NULL,
        group_type VARCHAR NOT NULL,
        group_key VARCHAR NOT NULL,
        properties JSON NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (project_id, group_type, group_key)
    )
    """,
]


class DuckDBGroups(GroupWriter):
    """Writes on the store's connection, inside the store's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__()
        self._con = con
        for statement in DDL:
            con.execute(statement)

    def load_types(self, project_id: int) -> dict[str, int]:
        rows = self._con.execute(
            "SELECT group_type, group_type_index FROM group_types WHERE project_id = ?",
            [project_id],
        ).fetchall()
        return dict(rows)

    def insert_types(self, project_id: int, new: dict[str, int], now: datetime) -> None:
        self._con.executemany(
            "INSERT OR IGNORE INTO group_types VALUES (?, ?, ?, ?)",
            [[project_id, name, index, now] for name, index in new.items()],
        )

    def load_groups(
        self, project_id: int, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], GroupRow]:
        con = self._con
        con.register("group_keys", keys_table(keys))
        try:
            rows = con.execute(
                "SELECT g.group_type, g.group_key, g.properties, g.created_at FROM groups AS g "
                "JOIN group_keys AS k ON g.group_type = k.group_type AND g.group_key = k.group_key "
                "WHERE g.project_id = ?",
                [project_id],
            ).fetchall()
        finally:
            con.unregister("group_keys")
        return {(t, k): GroupRow(orjson.loads(p), c) for t, k, p, c in rows}

    def upsert_groups(
        self, project_id: int, rows: dict[tuple[str, str], GroupRow], now: datetime
    ) -> None:
        con = self._con
        table: pa.Table = group_rows_table(project_id, rows, now)
        con.register("group_rows", table)
        try:
            con.execute("INSERT OR REPLACE INTO groups SELECT * FROM group_rows")
        finally:
            con.unregister("group_rows")
