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

import difflib
import hashlib
import os
import re
import threading
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..model.canonical import CanonicalJSONError, canonical_json
from ..model.errors import Problem, RuleFileError, RuleSetNotFound, SpsRulesError
from ..model.io import read_bounded
from ..model.schema import Definition, RuleFile, RuleSetHeader, rule_file_json_schema
from .checks import Checker
from .loaded import Document, LoadedRule, LoadedRuleSet, fold
from .yamlsafe import LineMap, location, parse_yaml, read_yaml, real_path

MAX_SOURCE_BYTES = 2_000_000
MAX_BASE_DEPTH = 16  # a municipality's versions may build on each other, then on the national baseline
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

#: Loaded files kept, keyed by path, mtime and size; the oldest is dropped beyond this many.
MAX_CACHED_FILES = 256
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
    if cached is not None and _bases_unchanged(cached):
        return cached
    loaded = _load_uncached(path, root, depth=depth, display=display)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > MAX_CACHED_FILES:  # a draft saved again and again must not grow the process
            del _cache[next(iter(_cache))]
    return loaded


def _bases_unchanged(loaded: LoadedRuleSet) -> bool:
    """Whether the baselines a cached rule set was built on are still the files it was built from."""
    base = loaded.base
    while base is not None:
        try:
            stat = base.path.stat()
        except OSError:
            return False
        with _cache_lock:
            if _cache.get((str(base.path), stat.st_mtime_ns, stat.st_size)) is not base:
                return False
        base = base.base
    return True


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
        schema_problems = _schema_problems(exc, lines, display, data)
        raise RuleFileError(schema_problems + _meaning_despite(exc, data, lines, path, root, depth=depth,
                                                               display=display)) from None

    problems: list[Problem] = []
    base = _base_of(rule_file, lines, root, depth=depth, display=display)
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
    )


def _base_of(rule_file: RuleFile, lines: LineMap, root: Path, *, depth: int, display: str) -> LoadedRuleSet | None:
    """The loaded rule set that ``rule_file`` extends, if any."""
    if rule_file.ruleset.extends is None:
        return None
    ref = rule_file.ruleset.extends
    line, col = location(lines, ("ruleset", "extends"))
    if depth >= MAX_BASE_DEPTH:
        raise RuleFileError([Problem(display, line, col, "rule sets extend each other too deeply (a cycle?)")])
    try:
        base_path = find_version_file(ref.ruleset, ref.version, root)
    except RuleSetNotFound as exc:
        raise RuleFileError([Problem(display, line, col, str(exc), "check ruleset and version under 'extends'")]) from None
    base = _load(base_path, root, depth=depth + 1, display=_display(base_path))
    if ref.ruleset == rule_file.ruleset.id and base.header.valid_from >= rule_file.ruleset.valid_from:
        raise RuleFileError([Problem(display, line, col,
                                     f"version {rule_file.ruleset.version} extends version {ref.version} of the same "
                                     "rule set, which does not start before it",
                                     "a version builds only on an earlier version of its own rule set")])
    return base


def _meaning_despite(exc: ValidationError, data: Any, lines: LineMap, path: Path, root: Path, *, depth: int,
                     display: str) -> list[Problem]:
    """The errors of meaning in the parts of a file that passed the schema, so that one run of
    ``validate`` reports both kinds. Rules and definitions with schema errors are left out (and
    what follows from leaving them out is not reported); a broken header stops here."""
    bad_rules: set[int] = set()
    bad_definitions: set[str] = set()
    for err in exc.errors():
        loc = err["loc"]
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            bad_rules.add(loc[1])
        elif len(loc) >= 2 and loc[0] == "definitions":
            bad_definitions.add(str(loc[1]))
        else:
            return []
    if not isinstance(data, dict):
        return []
    given_rules, given_definitions = data.get("rules"), data.get("definitions")
    rules: list[Any] = given_rules if isinstance(given_rules, list) else []
    definitions: dict[str, Any] = given_definitions if isinstance(given_definitions, dict) else {}
    kept = [i for i in range(len(rules)) if i not in bad_rules]
    partial = {**data, "rules": [rules[i] for i in kept],
               "definitions": {k: v for k, v in definitions.items() if k not in bad_definitions}}
    if not partial["definitions"] and "definitions" not in data:
        del partial["definitions"]
    try:
        rule_file = RuleFile.model_validate(partial)
    except ValidationError:
        return []
    shifted: LineMap = {k: v for k, v in lines.items() if k[:1] != ("rules",) or len(k) < 2}
    for new, old in enumerate(kept):  # the lines of rule ``old`` under its index in the partial file
        for key, value in lines.items():
            if len(key) >= 2 and key[0] == "rules" and key[1] == old:
                shifted[("rules", new, *key[2:])] = value
    problems: list[Problem] = []
    try:
        base = _base_of(rule_file, shifted, root, depth=depth, display=display)
        documents = _read_documents(rule_file, path, shifted, display, problems)
        Checker(rule_file, shifted, display, documents, base, problems).run()
    except (RuleFileError, RuleSetNotFound) as error:
        return list(getattr(error, "problems", ()))
    whole_set = ("exactly one 'principle", "has no default")
    return [p for p in problems
            if not any(f"unknown definition {name!r}" in p.message for name in bad_definitions)
            and not (bad_rules and any(words in p.message for words in whole_set))]


def _schema_problems(exc: ValidationError, lines: LineMap, display: str, data: Any = None) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = real_path(lines, tuple(err["loc"]))
        line, col = location(lines, loc)
        where = place(loc, data)
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            message = f"unknown key {key!r}" + (f" in {place(loc[:-1], data)}" if len(loc) > 1 else "")
            hint = _key_hint(key)
        elif kind == "missing":
            message = f"missing required key {err['loc'][-1]!r}" + (f" in {place(loc[:-1], data)}" if len(loc) > 1 else "")
            hint = "add it"
        else:
            msg = str(err["msg"])
            msg = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
            shown = err.get("input")
            message = f"{where}: {msg}" + (
                f" (got {shown!r:.80})" if kind not in {"value_error", "condition"} and not isinstance(shown, (dict, list)) else ""
            )
            hint = ""
        problems.append(Problem(display, line, col, message, hint))
    return _dedupe(problems)


def place(loc: tuple[Any, ...], data: Any = None) -> str:
    """A location in words a policy officer can find: ``rule target.age, when.all[2]`` rather
    than ``rules[4].when.all[2]``; definitions by name."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        rule = rules[loc[1]] if isinstance(rules, list) and 0 <= loc[1] < len(rules) else None
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        name = f"rule {rule_id}" if isinstance(rule_id, str) and rule_id else f"rule no. {loc[1] + 1}"
        return name + (f", {_loc_text(loc[2:])}" if len(loc) > 2 else "")
    if len(loc) >= 2 and loc[0] == "definitions":
        return f"definition {loc[1]}" + (f", {_loc_text(loc[2:])}" if len(loc) > 2 else "")
    return _loc_text(loc)


def _schema_keys() -> dict[str, list[str]]:
    """Every key the rule-file schema knows, with the parts of a rule file it belongs in."""
    schema = rule_file_json_schema()
    homes: dict[str, list[str]] = {key: ["the top level"] for key in schema.get("properties", {})}
    for name, definition in schema.get("$defs", {}).items():
        for key in definition.get("properties", {}):
            homes.setdefault(key, []).append(_HOME_NAMES.get(name, name))
    return homes


_HOME_NAMES = {
    "Rule": "a rule (under rules:)", "RuleSetHeader": "ruleset:", "Source": "a rule's source:",
    "Definition": "a definition (under definitions:)", "FactTest": "a fact test (in when:)",
    "AllOf": "a condition (when:)", "AnyOf": "a condition (when:)", "Not": "a condition (when:)",
    "Ref": "a condition (when:)", "DocumentRef": "ruleset.sources", "BaseRef": "ruleset.extends",
    "Criterion": "criterion:", "Period": "a period (e.g. deadline.period)",
}
_KEYS: dict[str, list[str]] = {}


def _key_hint(key: str) -> str:
    """Did-you-mean for a misspelt key; for a key that belongs elsewhere, where to move it (never "remove")."""
    if not _KEYS:
        _KEYS.update(_schema_keys())
    if key in _KEYS:
        homes = ", ".join(dict.fromkeys(_KEYS[key]))
        return f"{key!r} belongs in {homes}; move it there (check its indentation) rather than deleting it"
    near = difflib.get_close_matches(key, list(_KEYS), n=1, cutoff=0.7)
    if near:
        return f"did you mean {near[0]!r}?"
    return "fix its spelling, or remove it if it is not part of the rule file; see the schema (sps-rules schema rules)"


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
    documents: dict[str, Document] = {}
    for i, ref in enumerate(rule_file.ruleset.sources):
        line, col = location(lines, ("ruleset", "sources", i, "file"))
        file = (path.parent / ref.file).resolve()
        if ref.id in documents:
            problems.append(Problem(display, line, col, f"duplicate source id {ref.id!r}"))
            continue
        if not file.exists():
            problems.append(Problem(display, line, col, f"source text {ref.file!r} not found",
                                    "put the standard's text beside the rule file, e.g. source/<name>.txt"))
            continue
        try:  # a regular file only, never more than the limit into memory
            raw = read_bounded(file, MAX_SOURCE_BYTES, what="source text")
        except SpsRulesError as exc:
            problems.append(Problem(display, line, col, f"source text {ref.file!r}: {str(exc).split(': ', 1)[-1]}"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(display, line, col, f"source text {ref.file!r} is not UTF-8", "save it as UTF-8"))
            continue
        documents[ref.id] = Document(
            id=ref.id, title=ref.title, dated=ref.dated, file=file, text=text, folded=fold(text),
            sha256=hashlib.sha256(raw).hexdigest(),
        )
    return documents


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
             **r.rule.model_dump(mode="json", by_alias=True, exclude_none=True)}
            for r in rules
        ],
    }
    return canonical_json(payload).decode("utf-8")


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
        if a.header.valid_from == b.header.valid_from or (a.header.valid_to is not None and a.header.valid_to >= b.header.valid_from):
            raise RuleFileError([Problem(_display(b.path), 0, 0,
                                         f"version {b.version} (from {b.header.valid_from}) overlaps version {a.version} "
                                         f"(from {a.header.valid_from} to {a.header.valid_to})",
                                         f"start version {b.version} after {a.header.valid_to or a.header.valid_from}; an earlier "
                                         "version ends by itself the day before its successor starts")])
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


def ends(all_versions: list[LoadedRuleSet]) -> list[tuple[LoadedRuleSet, date | None]]:
    """Each released version with its last day: its own ``valid_to`` if it states one, else the day
    before the next released version starts (None: open end).

    The end is derived, never written into the earlier file, so publishing a version leaves every
    earlier one (and its sha256) untouched. Drafts (``released: false``) end nothing and apply to no day.
    """
    released = [v for v in all_versions if v.header.released]
    out: list[tuple[LoadedRuleSet, date | None]] = []
    for i, item in enumerate(released):
        end = item.header.valid_to
        if end is None and i + 1 < len(released):
            end = released[i + 1].header.valid_from - timedelta(days=1)
        out.append((item, end))
    return out


def select(ruleset_id: str, on: date, root: Path | None = None) -> LoadedRuleSet:
    """The released version of a rule set that applies on a day."""
    spans = ends(versions(ruleset_id, root))
    for item, end in spans:
        if item.header.valid_from <= on and (end is None or on <= end):
            return item
    listed = "; ".join(f"{v.version}: {v.header.valid_from} to {end or 'open end'}" for v, end in spans)
    raise RuleSetNotFound(f"no version of rule set {ruleset_id!r} applies on {on.isoformat()} (versions: {listed})")
