"""Historical subscriptions from CSV or Parquet, stored as ``import`` events of the log.

One row per subscription period at a price (a price change is a new row of the same
``subscription_id`` with a later ``started_at``). Columns: ``subscription_id``,
``customer_id``, ``amount`` (minor units per unit and billing period), ``currency``,
``interval`` (``day|week|month|year``), ``started_at``; optional ``interval_count``,
``quantity``, ``ended_at``, ``trial_end``, ``plan``. Times are ISO-8601 (UTC unless an
offset is given) or epoch seconds. Re-importing a file changes nothing: a row's event id
is its subscription and start.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from heron.revenue.model import MONTHS_PER, Fact, Item, Snapshot

REQUIRED = ("subscription_id", "customer_id", "amount", "currency", "interval", "started_at")


class RowError(ValueError):
    """A row or file that cannot be imported; the message names the row and column."""


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 text, epoch seconds or a datetime → aware UTC (empty → ``None``)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_table(path: Path) -> pa.Table:
    """The file as a table of strings (CSV) or typed columns (Parquet)."""
    if path.suffix.lower() == ".parquet":
        return pq.read_table(path)
    options = pacsv.ConvertOptions(strings_can_be_null=False, column_types=None)
    return pacsv.read_csv(path, convert_options=options)


def rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """Validated rows as event payloads (JSON-ready), or :class:`RowError`."""
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise RowError(f"missing column(s): {', '.join(missing)}")
    for number, row in enumerate(table.to_pylist(), start=1):
        yield _payload(number, row)


def _payload(number: int, row: dict[str, Any]) -> dict[str, Any]:
    def fail(column: str, message: str) -> RowError:
        return RowError(f"row {number}, column {column!r}: {message}")

    interval = str(row["interval"]).strip().lower()
    if interval not in MONTHS_PER:
        raise fail("interval", f"expected day, week, month or year, got {row['interval']!r}")
    out: dict[str, Any] = {"interval": interval}
    for column in ("amount", "interval_count", "quantity"):
        raw = row.get(column)
        if raw in (None, "") and column != "amount":
            out[column] = 1
            continue
        try:
            out[column] = int(float(raw))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise fail(column, f"expected a whole number, got {raw!r}") from None
    for column in ("started_at", "ended_at", "trial_end"):
        try:
            moment = parse_time(row.get(column))
        except ValueError:
            raise fail(column, f"not a time: {row.get(column)!r}") from None
        if column == "started_at" and moment is None:
            raise fail(column, "is required")
        out[column] = moment.isoformat() if moment else None
    for column in ("subscription_id", "customer_id", "currency"):
        if not str(row[column] or "").strip():
            raise fail(column, "is required")
        out[column] = str(row[column]).strip()
    out["currency"] = out["currency"].upper()
    out["plan"] = str(row.get("plan") or "")
    return out


def event_id(payload: dict[str, Any]) -> str:
    return f"{payload['subscription_id']}@{payload['started_at']}"


def facts(payload: dict[str, Any]) -> list[Fact]:
    started = parse_time(payload["started_at"])
    assert started is not None
    trial_end = parse_time(payload.get("trial_end"))
    item = Item(
        int(payload["amount"]),
        payload["interval"],
        int(payload.get("interval_count") or 1),
        int(payload.get("quantity") or 1),
    )
    return [
        Snapshot(
            subscription=str(payload["subscription_id"]),
            customer=str(payload["customer_id"]),
            at=started,
            status="trialing" if trial_end is not None and trial_end > started else "active",
            currency=str(payload["currency"]),
            items=(item,),
            trial_end=trial_end,
            ends_at=parse_time(payload.get("ended_at")),
            plan=str(payload.get("plan") or ""),
        )
    ]
