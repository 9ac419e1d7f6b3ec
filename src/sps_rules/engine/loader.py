"""Stage 1: load and validate rule files into a resolved, immutable rule set.

A rule file is read as plain data (``yamlsafe``), checked against the schema (``schema``),
then checked for meaning: every fact name and code exists, every quote stands verbatim in
the shipped source text, ids are unique, overrides are explicit. A municipal rule set that
``extends`` the national baseline inherits its definitions and rules; a rule with the same
id and ``override: true`` replaces the baseline rule in place.

Either the whole rule set loads, or a :class:`RuleFileError` lists every problem with its
``file:line:col``. Nothing is ever half-loaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..model.canonical import CanonicalJSONError, canonical_json
from ..model.errors import Problem, RuleFileError, RuleSetNotFound, SpsRulesError
from ..model.io import read_bounded
from ..model.schema import Definition, RuleFile, RuleSetHeader
from .checks import Checker
from .loaded import Document, LoadedRule, LoadedRuleSet, fold
from .yamlsafe import LineMap, location, parse_yaml, read_yaml, real_path

MAX_SOURCE_BYTES = 2_000_000
MAX_BASE_DEPTH = 4
SCHEMA_COMMENT = "# yaml-language-server: $schema="


# --- where the rules live -----------------------------------------------------------------


def rules_root() -> Path:
    """The folder of rule sets: ``$SPS_RULES_PATH``, else the copy inside the installed
    package, else ``rules/`` of a source checkout."""
    env = os.environ.get("SPS_RULES_PATH")
    if env:
        return Path(env)
    packaged = Path(str(resources.files("sps_rules"))) / "rules"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "rules"
    return checkout


# --- loading ------------------------------------------------------------------------------

_cache: dict[tuple[str, int, int], LoadedRuleSet] = {}
_cache_lock = threading.Lock()


def load_file(path: Path | str, *, root: Path | None = None) -> LoadedRuleSet:
    """Load, validate and resolve one rule-set file (and the baseline it builds on)."""
    path = Path(path)
    return _load(path.resolve(), root or path.resolve().parent.parent, depth=0, display=_display(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _load(path: Path, root: Path, *, depth: int, display: str) -> LoadedRuleSet:
    try:
        stat = path.stat()
    except OSError:
        raise RuleFileError([Problem(display, 0, 0, "file not found")]) from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    loaded = _load_uncached(path, root, depth=depth, display=display)
    with _cache_lock:
        _cache[key] = loaded
    return loaded


def load_text(text: str | bytes, path: Path | str, *, root: Path | None = None) -> LoadedRuleSet:
    """Load a rule file whose content is given, as if it stood at ``path`` (never read, never cached).

    A draft being edited (in the workbench or sent to the service) is validated this way: its
    source texts and the baseline it ``extends`` are found beside ``path`` and under ``root``
    exactly as for a file on disk, but nothing is written.
    """
    path = Path(path).resolve()
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return _load_uncached(path, root or path.parent.parent, depth=0, display=_display(path), raw=raw)


def _load_uncached(path: Path, root: Path, *, depth: int, display: str, raw: bytes | None = None) -> LoadedRuleSet:
    data, lines = read_yaml(path, display=display) if raw is None else parse_yaml(raw, display)
    try:
        rule_file = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(_schema_problems(exc, lines, display)) from None

    problems: list[Problem] = []
    base: LoadedRuleSet | None = None
    if rule_file.ruleset.extends is not None:
        ref = rule_file.ruleset.extends
        line, col = location(lines, ("ruleset", "extends"))
        if depth >= MAX_BASE_DEPTH:
            raise RuleFileError([Problem(display, line, col, "rule sets extend each other too deeply (a cycle?)")])
        try:
            base_path = find_version_file(ref.ruleset, ref.version, root)
        except RuleSetNotFound as exc:
            raise RuleFileError([Problem(display, line, col, str(exc), "check ruleset and version under 'extends'")]) from None
        base = _load(base_path, root, depth=depth + 1, display=_display(base_path))

    documents = _read_documents(rule_file, path, lines, display, problems)
    checker = Checker(rule_file, lines, display, documents, base, problems)
    merged_rules, merged_definitions = checker.run()
    if problems:
        raise RuleFileError(problems)

    all_documents = dict(base.documents) if base else {}
    all_documents.update({f"{rule_file.ruleset.id}:{k}": v for k, v in documents.items()})
    try:
        canonical = _canonical(rule_file.ruleset, merged_definitions, merged_rules, base)
    except CanonicalJSONError as exc:
        raise RuleFileError([Problem(display, 1, 1, f"the rule set cannot be hashed: {exc}")]) from None
    return LoadedRuleSet(
        header=rule_file.ruleset,
        path=path,
        rules=tuple(merged_rules),
        definitions=merged_definitions,
        documents=all_documents,
        base=base,
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        canonical=canonical,
        not_decision_relevant={k: tuple(v) for k, v in rule_file.not_decision_relevant.items()},
    )


def _schema_problems(exc: ValidationError, lines: LineMap, display: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = real_path(lines, tuple(err["loc"]))
        line, col = location(lines, loc)
        where = _loc_text(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = loc[-1]
            message = f"unknown key {key!r}" + (f" in {_loc_text(loc[:-1])}" if len(loc) > 1 else "")
            hint = "remove it or fix its spelling; see the rule-file schema (sps-rules schema rules)"
        elif kind == "missing":
            message = f"missing required key {where}"
            hint = "add it"
        else:
            msg = str(err["msg"])
            msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
            shown = err.get("input")
            message = f"{where}: {msg}" + (
                f" (got {shown!r})" if kind not in {"value_error", "condition"} and not isinstance(shown, (dict, list)) else ""
            )
            hint = ""
        problems.append(Problem(display, line, col, message, hint))
    return _dedupe(problems)


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def _read_documents(
    rule_file: RuleFile, path: Path, lines: LineMap, display: str, problems: list[Problem]
) -> dict[str, Document]:
    """The source texts a rule file names, each confined to the rule file's folder.

    A source must be a relative path without '..' that resolves (symlinks followed) inside the
    folder of the rule file, and a regular UTF-8 file of at most MAX_SOURCE_BYTES. Messages name
    the path as written, never the content of the file.
    """
    documents: dict[str, Document] = {}
    folder = path.parent.resolve()
    for i, ref in enumerate(rule_file.ruleset.sources):
        line, col = location(lines, ("ruleset", "sources", i, "file"))
        if ref.id in documents:
            problems.append(Problem(display, line, col, f"duplicate source id {ref.id!r}"))
            continue
        file = _confined(ref.file, folder)
        if file is None:
            problems.append(Problem(display, line, col, f"source text {ref.file!r} lies outside the rule set's folder",
                                    "put the text in the rule set's folder, e.g. source/<name>.txt, and name it "
                                    "relative to the rule file, without '..'"))
            continue
        try:
            raw = read_bounded(file, MAX_SOURCE_BYTES, what="source text")
        except SpsRulesError as exc:
            reason = "not found" if not file.exists() else str(exc).rsplit(": ", 1)[-1]
            problems.append(Problem(display, line, col, f"source text {ref.file!r} {reason}",
                                    "put the standard's text beside the rule file, e.g. source/<name>.txt"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(display, line, col, f"source text {ref.file!r} is not UTF-8", "save it as UTF-8"))
            continue
        documents[ref.id] = Document(
            id=ref.id, title=ref.title, dated=ref.dated, file=file, text=text, folded=fold(text),
            sha256=hashlib.sha256(raw).hexdigest(), ref=ref,
        )
    return documents


def _confined(name: str, folder: Path) -> Path | None:
    """The resolved path of a source named relative to ``folder``, or None if it would leave the folder."""
    if not name or "\x00" in name or Path(name).is_absolute() or name.startswith(("/", "\\", "~")):
        return None
    if ".." in Path(name).parts or ".." in name.replace("\\", "/").split("/"):
        return None
    try:
        file = (folder / name).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return file if file.is_relative_to(folder) and file != folder else None


def _canonical(
    header: RuleSetHeader,
    definitions: dict[str, Definition],
    rules: list[LoadedRule],
    base: LoadedRuleSet | None,
) -> str:
    """The rule set's content (header, baseline, definitions, rules, source hashes) as RFC 8785 JSON."""
    payload = {
        "ruleset": header.model_dump(mode="json", by_alias=True),
        "base": None if base is None else {"id": base.id, "version": base.version, "sha256": base.sha256},
        "definitions": {k: v.model_dump(mode="json", by_alias=True, exclude_none=True) for k, v in sorted(definitions.items())},
        "rules": [
            {"origin": r.origin, "document_sha256": r.document.sha256,
             **({"also_document_sha256": [d.sha256 for d in r.also]} if r.also else {}),
             **_rule_data(r)}
            for r in rules
        ],
    }
    return canonical_json(payload).decode("utf-8")


def _rule_data(item: LoadedRule) -> dict[str, Any]:
    data = item.rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not data.get("also"):
        data.pop("also", None)  # a rule without further citations hashes as before they existed
    return data


# --- the registry of rule sets -----------------------------------------------------------------


def ruleset_ids(root: Path | None = None) -> list[str]:
    root = root or rules_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def version_files(ruleset_id: str, root: Path | None = None) -> list[Path]:
    root = root or rules_root()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", ruleset_id):
        raise RuleSetNotFound(f"{ruleset_id!r} is not a rule set name; names are lower-case slugs such as 'roskilde'")
    folder = root / ruleset_id
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        known = ", ".join(ruleset_ids(root)) or "none"
        raise RuleSetNotFound(f"no rule set {ruleset_id!r} in {root}; known rule sets: {known}")
    return files


def versions(ruleset_id: str, root: Path | None = None) -> list[LoadedRuleSet]:
    """Every version of a rule set, oldest first."""
    root = root or rules_root()
    loaded = [_load(p.resolve(), root.resolve(), depth=0, display=_display(p)) for p in version_files(ruleset_id, root)]
    for item in loaded:
        if item.id != ruleset_id:
            raise RuleFileError([Problem(_display(item.path), 0, 0,
                                         f"the file says ruleset.id {item.id!r} but lies in the folder {ruleset_id!r}",
                                         "make the id match the folder name")])
    loaded.sort(key=lambda r: r.header.valid_from)
    for a, b in zip(loaded, loaded[1:], strict=False):
        if a.header.valid_to is None or a.header.valid_to >= b.header.valid_from:
            raise RuleFileError([Problem(_display(b.path), 0, 0,
                                         f"version {b.version} (from {b.header.valid_from}) overlaps version {a.version} "
                                         f"(to {a.header.valid_to or 'open end'})",
                                         f"set valid_to of version {a.version} to the day before {b.header.valid_from}")])
    seen: dict[str, Path] = {}
    for item in loaded:
        if item.version in seen:
            raise RuleFileError([Problem(_display(item.path), 0, 0, f"version {item.version!r} is also in {seen[item.version].name}")])
        seen[item.version] = item.path
    return loaded


def find_version_file(ruleset_id: str, version: str, root: Path | None = None) -> Path:
    root = root or rules_root()
    for path in version_files(ruleset_id, root):
        try:
            data, _ = read_yaml(path)
        except RuleFileError:
            continue
        header = data.get("ruleset") if isinstance(data, dict) else None
        if isinstance(header, dict) and str(header.get("version")) == version:
            return path
    raise RuleSetNotFound(f"rule set {ruleset_id!r} has no version {version!r}")


def select(ruleset_id: str, on: date, root: Path | None = None) -> LoadedRuleSet:
    """The version of a rule set that applies on a day."""
    all_versions = versions(ruleset_id, root)
    for item in all_versions:
        if item.covers(on):
            return item
    spans = "; ".join(f"{v.version}: {v.header.valid_from} to {v.header.valid_to or 'open end'}" for v in all_versions)
    raise RuleSetNotFound(f"no version of rule set {ruleset_id!r} applies on {on.isoformat()} (versions: {spans})")
