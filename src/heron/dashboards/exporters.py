"""Tables → downloadable files: CSV, XLSX (xlsxwriter) and JSON, by format name."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import xlsxwriter

from heron.dashboards.tables import Cell, Table

SHEET_NAME_LIMIT = 31
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Exporter:
    media_type: str
    extension: str
    write: Callable[[Table, str], bytes]


def to_csv(table: Table, _title: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


def _csv_cell(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_xlsx(table: Table, title: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(_sheet_name(title))
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, table.columns, bold)
    for r, row in enumerate(table.rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def to_json(table: Table, title: str) -> bytes:
    return orjson.dumps({"title": title, "columns": table.columns, "rows": table.rows})


def _sheet_name(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "data")[:SHEET_NAME_LIMIT]


EXPORTERS: dict[str, Exporter] = {
    "csv": Exporter("text/csv; charset=utf-8", "csv", to_csv),
    "xlsx": Exporter(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", to_xlsx
    ),
    "json": Exporter("application/json", "json", to_json),
}
