"""Command: ``heron import FILE --project ID`` (bulk load of JSONL, CSV or Parquet events)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import duckdb
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from heron.cli.tuning import tune_process
from heron.config import Settings, load_settings
from heron.ingest.enrich import Sessionizer
from heron.ingest.importer import DEFAULT_BATCH_ROWS, BulkSink, ImportReport, import_file
from heron.ingest.parse import Limits
from heron.ingest.readers import ImportFormat, ReadError, detect_format
from heron.meta.db import meta_session
from heron.meta.projects import get_project
from heron.store.base import StoreUnavailable, open_store


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_id", type=int, required=True, help="Project to import into.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ImportFormat]),
    help="File format (default: from the extension; .gz is decompressed).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_ROWS,
    show_default=True,
    help="Rows per committed batch.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def import_command(
    file: Path, project_id: int, fmt: str | None, batch_size: int, as_json: bool
) -> None:
    """Import canonical events from a JSONL, CSV or Parquet file into a project.

    Rows are validated like the ingest API; bad rows are reported and skipped. Rows
    without a uuid get one derived from their content, so importing a file again adds
    nothing. The server must not be running on the same DuckDB file.
    """
    try:
        file_format = ImportFormat(fmt) if fmt else detect_format(file)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--format'") from None
    tune_process()
    settings = load_settings()
    with meta_session(settings) as session:
        if get_project(session, project_id) is None:
            raise click.ClickException(f"no project with id {project_id}")
    store = _open_store(settings)
    try:
        report = _run(file, file_format, project_id, store, settings, batch_size)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"file": str(file), "project_id": project_id, **report.as_dict()}))
    else:
        click.echo(_summary(file, project_id, report))


def _open_store(settings: Settings) -> BulkSink:
    url = settings.resolved_events_url
    try:
        store = open_store(url)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise click.ClickException(
                f"the event store {url} is locked by another process, probably a running "
                "`heron serve`: stop it and run the import again"
            ) from None
        raise click.ClickException(f"cannot open the event store {url}: {error}") from None
    if not isinstance(store, BulkSink):
        store.close()
        raise click.ClickException(f"the event store {url} does not support bulk import")
    return store


def _run(
    file: Path,
    file_format: ImportFormat,
    project_id: int,
    store: BulkSink,
    settings: Settings,
    batch_size: int,
) -> ImportReport:
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(f"Importing {file.name}", total=file.stat().st_size)
        try:
            return import_file(
                file,
                project_id,
                store,
                fmt=file_format,
                batch_size=batch_size,
                limits=Limits.from_settings(settings),
                sessions=Sessionizer(settings.session_timeout_seconds),
                progress=lambda position: bar.update(task, completed=position),
            )
        except ReadError as error:
            raise click.ClickException(
                f"{error}. Batches committed before the error stay; importing the file "
                "again after fixing it adds only the missing rows."
            ) from None
        except StoreUnavailable as error:
            raise click.ClickException(str(error)) from None


def _summary(file: Path, project_id: int, report: ImportReport) -> str:
    lines = [
        f"Imported {report.imported} of {report.rows_read} rows from {file.name} into project "
        f"{project_id}: {report.duplicates} duplicates skipped, {report.rejected} rejected."
    ]
    if report.rejections:
        shown = len(report.rejections)
        lines.append(f"Rejected rows (first {shown} of {report.rejected}):")
        lines.extend(f"  {rejection}" for rejection in report.rejections)
        lines.append("Rejections by reason:")
        for (field, message), count in report.reasons.most_common():
            lines.append(
                f"  {count:>8}  {field}: {message}" if field else f"  {count:>8}  {message}"
            )
    return "\n".join(lines)


COMMANDS: list[click.Command] = [import_command]
