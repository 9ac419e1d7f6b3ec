"""Policy staff's release cycle: a draft of the next version, frozen releases and their lock.

- ``new_version`` writes the draft of a municipality's next version: a file that ``extends`` the
  newest version and states only what changes, marked ``released: false`` and named ``*-draft.yaml``.
  It never overwrites a file.
- ``release`` turns the draft into a released version (``<id>-<version>.yaml``, without the draft
  mark) and appends the version's sha256 to ``rules/<id>/releases.lock``. An earlier version is
  never edited: it ends by itself the day before its successor starts.
- ``check_lock`` finds every released version whose content no longer matches its lock entry:
  a released version is frozen; a correction is a new version.

The lock is plain YAML, one entry per release, in the order of release, and is only appended to.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.loaded import LoadedRuleSet
from ..engine.loader import SCHEMA_COMMENT, find_version_file, load_file, load_text, version_files, versions
from ..engine.yamlsafe import location, parse_yaml, read_yaml
from ..model.errors import Problem, RuleFileError, SpsRulesError
from ..model.io import write_atomic

LOCK_NAME = "releases.lock"
DRAFT_SUFFIX = "-draft.yaml"
MAX_LOCK_BYTES = 1_000_000
_DRAFT_LINE = re.compile(r"^[ ]+released:[ ]*false[ ]*(#.*)?\n", re.MULTILINE)


class ReleaseError(SpsRulesError):
    """A version cannot be drafted or released as asked; the message says why and what to do."""


class LockEntry(BaseModel):
    """One released version: its file, its content's sha256 and the day it was released."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    file: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    released: date


# --- writing files: never over an input, always whole ------------------------------------------


def write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet: whole (through a temporary file beside it), never over another."""
    if path.exists():
        raise ReleaseError(f"{path} already exists; it is never overwritten")
    staged = path.with_name(f".{path.name}.new")
    write_atomic(staged, text, error=ReleaseError)
    try:
        os.link(staged, path)  # fails if path appeared meanwhile
    except FileExistsError:
        raise ReleaseError(f"{path} already exists; it is never overwritten") from None
    except OSError as exc:
        raise ReleaseError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        staged.unlink(missing_ok=True)


# --- the lock ------------------------------------------------------------------------------------

_LOCK_HEADER = (
    "# releases.lock: the sha256 of every released version of this rule set, in the order of release.\n"
    "# Written by 'sps-rules release'; never edit it. A released version is frozen: a correction is a\n"
    "# new version (sps-rules new-version).\n"
)


def lock_path(ruleset_id: str, root: Path) -> Path:
    return root / ruleset_id / LOCK_NAME


def read_lock(ruleset_id: str, root: Path) -> list[LockEntry]:
    """The entries of a rule set's lock (none when it has no lock yet); RuleFileError on a bad lock."""
    path = lock_path(ruleset_id, root)
    if not path.exists():
        return []
    data, lines = read_yaml(path)
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleFileError([Problem(str(path), 1, 1, "releases.lock is a list of releases (each starting with '- version:')")])
    entries: list[LockEntry] = []
    problems: list[Problem] = []
    for i, item in enumerate(data):
        line, col = location(lines, (i,))
        try:
            entry = LockEntry.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            problems.append(Problem(str(path), line, col, f"release {i + 1}: {'.'.join(map(str, err['loc']))}: {err['msg']}",
                                    "restore the file from version control; it is written by 'sps-rules release'"))
            continue
        if any(e.version == entry.version for e in entries):
            problems.append(Problem(str(path), line, col, f"version {entry.version!r} is released twice"))
        entries.append(entry)
    if problems:
        raise RuleFileError(problems)
    return entries


def _entry_text(entry: LockEntry) -> str:
    return (f"- version: {json.dumps(entry.version)}\n  file: {json.dumps(entry.file, ensure_ascii=False)}\n"
            f"  sha256: {entry.sha256}\n  released: {entry.released.isoformat()}\n")


def _append_lock(ruleset_id: str, root: Path, entry: LockEntry) -> None:
    path = lock_path(ruleset_id, root)
    old = path.read_text(encoding="utf-8") if path.exists() else _LOCK_HEADER
    new = old + ("" if old.endswith("\n") else "\n") + _entry_text(entry)
    parse_yaml(new.encode("utf-8"), str(path))  # what is written must read back
    write_atomic(path, new, error=ReleaseError)


def check_lock(ruleset_id: str, root: Path) -> list[Problem]:
    """Every way a rule set's versions disagree with its lock: changed or missing released versions."""
    path = lock_path(ruleset_id, root)
    try:
        entries = read_lock(ruleset_id, root)
    except RuleFileError as exc:
        return list(exc.problems)
    if not entries:
        return []
    try:
        loaded = {v.version: v for v in versions(ruleset_id, root)}
    except (RuleFileError, SpsRulesError):
        return []  # the loader's own problems are reported by validate already
    problems = []
    for entry in entries:
        item = loaded.get(entry.version)
        if item is None:
            problems.append(Problem(str(path), 0, 0, f"released version {entry.version} ({entry.file}) is missing",
                                    "restore the file from version control: a released version is never removed"))
        elif not item.header.released:
            problems.append(Problem(_display(item.path), 0, 0, f"version {entry.version} is released but marked 'released: false'",
                                    "restore the file from version control"))
        elif item.sha256 != entry.sha256:
            problems.append(Problem(
                _display(item.path), 0, 0,
                f"released version {entry.version} has changed since its release on {entry.released} (sha256 locked "
                f"{entry.sha256[:12]}…, now {item.sha256[:12]}…); every decision made under it would fail replay",
                f"restore the file from version control; a correction is a new version: "
                f"sps-rules new-version {ruleset_id} --valid-from YYYY-MM-DD"))
    return problems


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- a new version ---------------------------------------------------------------------------------


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def draft_text(predecessor: LoadedRuleSet, version: str, valid_from: date, schema_line: str | None) -> str:
    """The text of a draft that extends ``predecessor`` and states nothing of its own yet."""
    h = predecessor.header
    lines = [schema_line] if schema_line else []
    lines += [
        f"# UDKAST til version {version} af {h.id}. Det bygger på version {h.version} og skal kun rumme det, der ændres:",
        "# - en ændret regel: skriv den med samme id og 'override: true' (kopiér den fra den forrige version);",
        "# - en ny regel: giv den et nyt id; en ændret definition: skriv den igen med samme navn;",
        "# - den nye standards tekst lægges i source/ og nævnes under sources, så citaterne kan kontrolleres.",
        f"# 'sps-rules test rules/{h.id}/{h.id}-{version}{DRAFT_SUFFIX}' viser, hvilke af de forrige versions",
        "# testtilfælde der ændrer udfald.",
        f"# 'sps-rules release {h.id} {version}' frigiver versionen; indtil da gælder version {h.version} fortsat.",
        "ruleset:",
        f"  id: {h.id}",
    ]
    if h.municipality:
        lines.append(f"  municipality: {_quoted(h.municipality)}")
    lines += [
        f"  title: {_quoted(h.title)}",
        f"  legal_basis: {_quoted(h.legal_basis)}",
        f"  version: {_quoted(version)}",
        f"  valid_from: {valid_from.isoformat()}",
        "  released: false  # udkast: 'sps-rules release' fjerner denne linje",
        f"  extends: {{ruleset: {h.id}, version: {_quoted(h.version)}}}",
        "  notes: []",
        "  sources:",
    ]
    for ref in h.sources:
        lines += [f"    - id: {ref.id}", f"      title: {_quoted(ref.title)}", f"      file: {_quoted(ref.file)}"]
        if ref.dated is not None:
            lines.append(f"      dated: {_quoted(ref.dated)}")
    lines += ["definitions: {}", "rules: []", ""]
    return "\n".join(lines)


def new_version(ruleset_id: str, valid_from: date, root: Path, *, version: str | None = None) -> Path:
    """Write the draft of the next version of a rule set; returns its path. Never overwrites."""
    all_versions = versions(ruleset_id, root)
    drafts = [v for v in all_versions if not v.header.released]
    if drafts:
        raise ReleaseError(f"rule set {ruleset_id!r} already has a draft: {drafts[0].path.name} (version {drafts[0].version}); "
                           f"release it (sps-rules release {ruleset_id} {drafts[0].version}) or delete it first")
    predecessor = all_versions[-1]
    if valid_from <= predecessor.header.valid_from:
        raise ReleaseError(f"--valid-from {valid_from} is not after the newest version {predecessor.version} "
                           f"(from {predecessor.header.valid_from})")
    if predecessor.header.valid_to is not None and valid_from <= predecessor.header.valid_to:
        raise ReleaseError(f"--valid-from {valid_from} lies within version {predecessor.version}, which ends "
                           f"{predecessor.header.valid_to}")
    version = version or f"{valid_from:%Y-%m}"
    if any(v.version == version for v in all_versions):
        raise ReleaseError(f"rule set {ruleset_id!r} already has a version {version!r}; choose another with --version")
    first = predecessor.path.read_text(encoding="utf-8").split("\n", 1)[0]
    text = draft_text(predecessor, version, valid_from, first if first.startswith(SCHEMA_COMMENT) else None)
    path = root / ruleset_id / f"{ruleset_id}-{version}{DRAFT_SUFFIX}"
    load_text(text, path, root=root)  # the draft must load before it is written
    write_new(path, text)
    return path


# --- a release ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    entry: LockEntry
    path: Path
    draft: Path | None  # the draft the release was made from (now removed), if any


def release(ruleset_id: str, version: str, root: Path, *, released_on: date | None = None) -> Released:
    """Release a version: drop its draft mark, and append its sha256 to the lock."""
    entries = read_lock(ruleset_id, root)
    done = next((e for e in entries if e.version == version), None)
    if done is not None:
        raise ReleaseError(f"version {version} of {ruleset_id!r} was released on {done.released}; a released version is "
                           f"frozen: a correction is a new version (sps-rules new-version {ruleset_id} --valid-from ...)")
    path = find_version_file(ruleset_id, version, root)
    data, _ = read_yaml(path)
    draft = isinstance(data, dict) and isinstance(data.get("ruleset"), dict) and data["ruleset"].get("released") is False
    if draft:
        _check_cases(path, root)
    if not draft:
        loaded = load_file(path, root=root)
        target = path
    else:
        text = path.read_text(encoding="utf-8")
        released_text, n = _DRAFT_LINE.subn("", text, count=1)
        if n != 1:
            raise ReleaseError(f"{path.name}: cannot find the line 'released: false' under ruleset")
        name = path.name[: -len(DRAFT_SUFFIX)] + ".yaml" if path.name.endswith(DRAFT_SUFFIX) else path.name
        target = path.with_name(name)
        if target != path and target.exists():
            raise ReleaseError(f"{target} already exists; it is never overwritten")
        loaded = load_text(released_text, target, root=root)
        if not loaded.header.released:
            raise ReleaseError(f"{path.name}: 'released: false' is still there after removing the draft line")
        _check_order(ruleset_id, root, loaded, path)
        if target != path:
            write_new(target, released_text)
        else:
            write_atomic(target, released_text, error=ReleaseError)
        if target != path:
            path.unlink()
    entry = LockEntry(version=version, file=target.name, sha256=loaded.sha256,
                      released=released_on or loaded.header.valid_from)
    _append_lock(ruleset_id, root, entry)
    return Released(entry, target, path if draft else None)


def _check_cases(draft: Path, root: Path) -> None:
    """A draft is released only when the rule set's cases that reach it all hold on it."""
    from .testcases import run_on_version

    failed = [r for r in run_on_version(draft, root) if not r.passed]
    if failed:
        first = failed[0]
        raise ReleaseError(
            f"{len(failed)} test case(s) do not hold on this version, e.g. {Path(first.file).name}:{first.line} "
            f"{first.case.name!r}: {first.failures[0]}; run 'sps-rules test {_display(draft)}', then fix the rule or "
            "pin the case to the version it holds for (version: ...)")


def _check_order(ruleset_id: str, root: Path, new: LoadedRuleSet, draft: Path) -> None:
    """The released version must start after every other version of the rule set."""
    for path in version_files(ruleset_id, root):
        if path.resolve() == draft.resolve():
            continue
        other = load_file(path, root=root)
        if other.header.valid_from >= new.header.valid_from:
            raise ReleaseError(f"version {new.version} (from {new.header.valid_from}) does not start after version "
                               f"{other.version} (from {other.header.valid_from})")


def describe(entry: LockEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json")
