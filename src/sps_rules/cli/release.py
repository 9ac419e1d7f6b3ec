"""Commands of the release cycle: new-version (a draft of the next version) and release (freeze it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ..model.errors import SpsRulesError
from .base import fail as _fail
from .base import main

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _root(rules: str | None) -> Path:
    from ..engine.loader import rules_root

    return Path(rules) if rules else rules_root()


_RULES_OPTION = click.option("--rules", "rules", type=click.Path(file_okay=False, exists=True),
                             help="The folder of rule sets (default: $SPS_RULES_PATH or the shipped rules/).")


@main.command(name="new-version")
@click.argument("municipality")
@click.option("--valid-from", "valid_from", type=_DATE, required=True, help="The first day the new version applies.")
@click.option("--version", "version", help="The version's name (default: YYYY-MM of --valid-from).")
@_RULES_OPTION
def new_version_command(municipality: str, valid_from: datetime, version: str | None, rules: str | None) -> None:
    """Write the draft of MUNICIPALITY's next version: it builds on the newest version and states only what changes."""
    from ..authoring.release import new_version

    root = _root(rules)
    try:
        path = new_version(municipality, valid_from.date(), root, version=version)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    click.echo(f"wrote the draft {path.relative_to(root.parent) if path.is_relative_to(root.parent) else path}")
    click.echo("it applies to no decision until it is released: edit it, then run validate, test and release")


@main.command(name="release")
@click.argument("municipality")
@click.argument("version")
@click.option("--released", "released", type=_DATE,
              help="The release date recorded in releases.lock (default: the version's valid_from).")
@_RULES_OPTION
def release_command(municipality: str, version: str, released: datetime | None, rules: str | None) -> None:
    """Release VERSION of MUNICIPALITY: drop its draft mark and record its sha256 in releases.lock."""
    from ..authoring.release import release

    root = _root(rules)
    try:
        done = release(municipality, version, root, released_on=released.date() if released else None)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    entry = done.entry
    if done.draft is not None and done.draft != done.path:
        click.echo(f"{done.draft.name} -> {done.path.name}")
    click.echo(f"released {municipality} {entry.version} on {entry.released}: sha256 {entry.sha256}")
    click.echo(f"recorded in {Path(municipality) / 'releases.lock'}; the version is now frozen")
