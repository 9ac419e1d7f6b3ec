"""Keys for signed decision records: ``sps-rules keys new``."""

from __future__ import annotations

from pathlib import Path

import click

from ..audit.signing import new_keys
from ..model.errors import SpsRulesError
from .base import fail as _fail
from .base import main


@main.group()
def keys() -> None:
    """Ed25519 keys for signing decision records (needs sps-rules[sign])."""


@keys.command(name="new")
@click.option("--out", "folder", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder to write the key pair into (made if missing); existing key files are never overwritten.")
def new(folder: str) -> None:
    """Write a new private key (mode 0600, keep it secret) and its public key (publish it)."""
    target = Path(folder)
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"{folder}: cannot make the folder: {exc.strerror or exc}")
    try:
        private, public, fingerprint = new_keys(target)
    except SpsRulesError as exc:
        _fail(str(exc))
    click.echo(f"private key: {private} (mode 0600; keep it secret, sign with evaluate --record R --sign-key {private})")
    click.echo(f"public key:  {public} (publish it; verify with replay R --verify-key {public})")
    click.echo(f"fingerprint: {fingerprint}")
