"""``sps-rules workbench [RULES_DIR]``: the service with its workbench page on 127.0.0.1, opened in a browser."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

import click

from ..model.errors import SpsRulesError
from .base import fail, main
from .serve import EXTRA_HINT, _log_config


@main.command()
@click.argument("rules_dir", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--port", default=8085, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
def workbench(rules_dir: str | None, port: int, no_browser: bool) -> None:
    """Edit, try, test and save rule files in the browser (the rules in RULES_DIR, default: shipped).

    Listens only on 127.0.0.1; drafts are saved as new files inside RULES_DIR, never over a released version.
    """
    try:
        import uvicorn

        from ..service import Settings, create_app
        from ..workbench import mount
    except ImportError:
        fail(EXTRA_HINT)
    try:
        app = create_app(Settings(rules_dir=Path(rules_dir) if rules_dir else None))
    except SpsRulesError as exc:
        fail(str(exc))
    mount(app)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_config=_log_config(),
                                           server_header=False))
    url = f"http://127.0.0.1:{port}/workbench/"
    click.echo(f"sps-rules: the workbench is at {url} (Ctrl-C stops it)", err=True)
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server.run()
