"""``sps-rules serve`` (the HTTP service) and ``sps-rules log verify|export`` (its decision log).

FastAPI and uvicorn are imported only when ``serve`` runs, so every other command starts as fast as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..model.errors import SpsRulesError
from .base import fail, main

EXTRA_HINT = "the HTTP service needs its extra: pip install 'sps-rules[server]'"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True), help="Folder of rule sets (default: shipped).")
@click.option("--record-store", type=click.Path(dir_okay=False), help="SQLite decision log: every decision is stored, hash-chained.")
@click.option("--api-key-file", type=click.Path(dir_okay=False), help="Accepted API keys, one a line; without a valid key: 401.")
@click.option("--time-limit", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600), help="Seconds one request may take.")
def serve(host: str, port: int, rules_dir: str | None, record_store: str | None, api_key_file: str | None,
          time_limit: float) -> None:
    """Serve the rule sets as a JSON API with OpenAPI (/docs), until stopped (Ctrl-C or SIGTERM)."""
    try:
        import uvicorn

        from ..service import Settings, create_app
        from ..service.settings import read_api_keys
        from ..workbench import mount
    except ImportError:
        fail(EXTRA_HINT)
    try:
        keys = read_api_keys(api_key_file) if api_key_file else ()
        settings = Settings(rules_dir=Path(rules_dir) if rules_dir else None,
                            record_store=Path(record_store) if record_store else None,
                            api_keys=keys, time_limit=time_limit)
        app = create_app(settings)
    except SpsRulesError as exc:
        fail(str(exc))
    mount(app)  # the workbench page at /workbench
    config = uvicorn.Config(app, host=host, port=port, access_log=False, log_config=_log_config(), server_header=False)
    server = uvicorn.Server(config)
    click.echo(f"sps-rules: serving on http://{host}:{port} (API docs at /docs)"
               + (f", decision log {record_store}" if record_store else "")
               + (f", {len(keys)} API key(s)" if keys else ""), err=True)
    server.run()


def _log_config() -> dict[str, object]:
    fmt = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": fmt}, "handlers": {"stderr": handler},
        "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "INFO"},
                    "uvicorn.error": {"level": "INFO"},
                    "sps_rules.service": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
    }


@main.group()
def log() -> None:
    """Check or export a decision log written by `sps-rules serve --record-store`."""


@log.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--sample", default=100, show_default=True, type=click.IntRange(0), help="Replay this many records, chosen at random.")
@click.option("--all", "replay_all", is_flag=True, help="Replay every record.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True), help="Folder of rule sets to replay with.")
def verify(path: str, sample: int, replay_all: bool, rules_dir: str | None) -> None:
    """Check the hash chain of the whole log and replay a sample (or all) of its records; exit 1 on any finding."""
    from ..service.logbook import verify as run_verify

    try:
        result = run_verify(path, sample=None if replay_all else sample, root=Path(rules_dir) if rules_dir else None)
    except SpsRulesError as exc:
        fail(str(exc))
    for problem in result.chain:
        click.echo(f"chain: {problem}")
    for finding in result.not_reproduced:
        click.echo(f"replay: {finding}")
    verdict = "OK" if result.ok else "FAILED"
    click.echo(f"{path}: {verdict}: {result.entries} entries, chain {'intact' if not result.chain else 'BROKEN'}, "
               f"{result.replayed} replayed, {len(result.not_reproduced)} not reproduced; head {result.head}")
    sys.exit(0 if result.ok else 1)


@log.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The JSONL file to write.")
def export(path: str, output: str) -> None:
    """Write every record of the log as JSON lines (with its chain hashes) for an auditor."""
    from ..service.logbook import export as run_export

    try:
        count = run_export(path, output)
    except SpsRulesError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{output}: cannot write the export: {exc.strerror}")
    click.echo(f"{output}: {count} records", err=True)
