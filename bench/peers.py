"""Bulk loads of the same Parquet events into peers, each run as its own process.

``python -m bench.peers KIND PARQUET WORKDIR`` loads the file and prints one JSON line
with the rows it stored. The suite runs each kind through :func:`run_peer` so that every
bulk number (Heron's import included) is a process's wall time and ``wait4`` peak RSS.

- ``duckdb``: the ceiling: ``INSERT INTO t SELECT * FROM arrow_table`` into a plain
  table, 100k rows per transaction.
- ``heron-store``: Heron's own store layer, ``DuckDBStore.append(batch, exact=True)``
  per 100k rows (what an importer calls; it shows what the import adds on top).
- ``postgres``: ``COPY … FROM STDIN (FORMAT csv)`` with psycopg 3 into an events table
  of a freshly created database (dropped afterwards), committed once at the end, with
  the server's default ``synchronous_commit``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.harness import REPO_ROOT, Measured, parse_proc_status, run_measured

BATCH_ROWS = 100_000
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KINDS = ("duckdb", "heron-store", "postgres")


def batches(parquet: Path) -> Iterator[pa.Table]:
    for batch in pq.ParquetFile(parquet).iter_batches(batch_size=BATCH_ROWS):
        yield pa.Table.from_batches([batch])


def load_duckdb(parquet: Path, workdir: Path) -> dict[str, Any]:
    import duckdb

    path = workdir / "peer.duckdb"
    con = duckdb.connect(str(path))
    try:
        created = False
        for table in batches(parquet):
            con.register("arrow_table", table)
            if not created:
                con.execute("CREATE TABLE t AS SELECT * FROM arrow_table LIMIT 0")
                created = True
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO t SELECT * FROM arrow_table")
            con.execute("COMMIT")
            con.unregister("arrow_table")
        row = con.execute("SELECT count(*) FROM t").fetchone()
    finally:
        con.close()
        path.unlink(missing_ok=True)
        path.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    assert row is not None
    return {"rows": int(row[0])}


def load_heron_store(parquet: Path, workdir: Path) -> dict[str, Any]:
    from heron.events import RAW_SCHEMA
    from heron.store.duckdb import DuckDBStore

    path = workdir / "heron-store.duckdb"
    store = DuckDBStore(path)
    inserted = 0
    try:
        for table in batches(parquet):
            n = table.num_rows
            raw = pa.table(
                {
                    name: table[name]
                    if name in table.column_names
                    else pa.array([1] * n if name == "project_id" else [None] * n)
                    for name in RAW_SCHEMA.names
                }
            ).cast(RAW_SCHEMA)
            inserted += store.append(raw, exact=True).inserted
    finally:
        store.close()
        path.unlink(missing_ok=True)
        path.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    return {"rows": inserted}


def _csv(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
    return buffer.getvalue()


def load_postgres(parquet: Path, workdir: Path) -> dict[str, Any]:
    import psycopg

    name = f"heron_bench_{os.getpid()}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        with psycopg.connect(url) as con:
            sync = con.execute("SHOW synchronous_commit").fetchone()
            con.execute(
                "CREATE TABLE events (uuid uuid NOT NULL, event text NOT NULL, distinct_id text "
                "NOT NULL, timestamp timestamp NOT NULL, properties jsonb NOT NULL)"
            )
            con.commit()
            backend = con.info.backend_pid
            with con.cursor() as cur:
                columns = "uuid, event, distinct_id, timestamp, properties"
                with cur.copy(f"COPY events ({columns}) FROM STDIN (FORMAT csv)") as copy:
                    for table in batches(parquet):
                        copy.write(_csv(table.select(columns.split(", "))))
            backend_peak = _peak_rss(backend)
            con.commit()
            row = con.execute("SELECT count(*) FROM events").fetchone()
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
    assert row is not None and sync is not None
    return {"rows": int(row[0]), "synchronous_commit": sync[0], "backend_peak_rss": backend_peak}


def _peak_rss(pid: int) -> int | None:
    """A local PostgreSQL backend's peak RSS (includes the shared buffers it touched)."""
    try:
        return parse_proc_status(Path(f"/proc/{pid}/status").read_text()).get("VmHWM")
    except OSError:
        return None


LOADERS = {"duckdb": load_duckdb, "heron-store": load_heron_store, "postgres": load_postgres}


def run_peer(kind: str, parquet: Path, workdir: Path) -> tuple[Measured, dict[str, Any]]:
    """Run one peer load as a child process; its measurement and the JSON it printed."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    measured = run_measured(
        [sys.executable, "-m", "bench.peers", kind, str(parquet), str(workdir)],
        env=env,
        cwd=REPO_ROOT,
    )
    if measured.returncode != 0:
        raise RuntimeError(f"peer {kind} failed: {measured.stderr.strip()[-2000:]}")
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("parquet", type=Path)
    parser.add_argument("workdir", type=Path)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = LOADERS[args.kind](args.parquet, args.workdir)
    result["load_seconds"] = time.perf_counter() - start
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
