"""Commands: ``serve`` (API and web UI on one port) and ``demo`` (sample data, then serve)."""

from __future__ import annotations

from pathlib import Path

import click

from heron.cli.tuning import tune_process
from heron.config import Settings, load_settings
from heron.meta.bootstrap import ensure_default_setup
from heron.meta.db import meta_session

host_option = click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
port_option = click.option("--port", type=int, default=None, help="Port (default 8000).")
data_option = click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory."
)


def settings_from(host: str | None, port: int | None, data_dir: Path | None) -> Settings:
    overrides: dict[str, object] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    if data_dir:
        overrides["data_dir"] = data_dir
    return load_settings(**overrides)


def run_server(settings: Settings) -> None:
    import uvicorn

    tune_process()

    from heron.app.factory import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


@click.command("serve")
@host_option
@port_option
@data_option
def serve(host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Serve the API and web UI. On an empty data dir, create and print default credentials."""
    settings = settings_from(host, port, data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with meta_session(settings) as session:
        setup = ensure_default_setup(session)
        if setup is not None:
            click.echo("Created the default project (shown once):")
            click.echo(f"  project id: {setup.project_id}")
            click.echo(f"  write key:  {setup.write_key}")
            click.echo(f"  API key:    {setup.api_key}")
    click.echo(f"Heron is listening on http://{settings.host}:{settings.port}", err=True)
    run_server(settings)


@click.command("demo")
@click.option(
    "--size",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
    help="Events per demo product: 10 thousand, 1 million or 10 million.",
)
@click.option("--no-serve", is_flag=True, help="Generate the data and exit.")
@host_option
@port_option
@data_option
def demo(
    size: str, no_serve: bool, host: str | None, port: int | None, data_dir: Path | None
) -> None:
    """Generate the three demo products' data, then serve it."""
    from heron.demo.install import install_demo

    settings = settings_from(host, port, data_dir)
    summary = install_demo(settings, size)
    click.echo(summary.describe(settings))
    if not no_serve:
        run_server(settings)


COMMANDS: list[click.Command] = [serve, demo]
