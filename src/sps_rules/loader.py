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
import json
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import Problem, RuleFileError, RuleSetNotFound
from .facts import VOCABULARY, FactKind
from .schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Rule, RuleFile, RuleSetHeader, walk
from .yamlsafe import LineMap, location, read_yaml, real_path

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
    checkout = Path(__file__).resolve().parents[2] / "rules"
    return checkout


# --- the loaded rule set ---------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    dated: str | None
    file: Path
    text: str
    folded: str
    sha256: str


@dataclass(frozen=True)
class LoadedRule:
    rule: Rule
    origin: str  # id of the rule set whose file defines it
    file: str
    line: int
    document: Document


@dataclass(frozen=True)
class LoadedRuleSet:
    """One version of one rule set, with its baseline merged in. Immutable."""

    header: RuleSetHeader
    path: Path
    rules: tuple[LoadedRule, ...]
    definitions: dict[str, Definition]
    documents: dict[str, Document]
    base: LoadedRuleSet | None
    sha256: str
    canonical: str = field(repr=False)

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def version(self) -> str:
        return self.header.version

    def covers(self, day: date) -> bool:
        h = self.header
        return h.valid_from <= day and (h.valid_to is None or day <= h.valid_to)


# --- text folding for quote checks ------------------------------------------------------------

_TAG = re.compile(r"<[^>]{0,400}>")
_BULLETS = re.compile(r"[•\uf0b7\uf0a7▪◦·\u2022]|(?m:^\s*[-*]\s+)|\*\*")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Text with HTML tags, bullets, bold markers and runs of whitespace folded to single spaces."""
    text = _TAG.sub(" ", text)
    text = _BULLETS.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


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


def _load_uncached(path: Path, root: Path, *, depth: int, display: str) -> LoadedRuleSet:
    data, lines = read_yaml(path, display=display)
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
    checker = _Checker(rule_file, lines, display, documents, base, problems)
    merged_rules, merged_definitions = checker.run()
    if problems:
        raise RuleFileError(problems)

    all_documents = dict(base.documents) if base else {}
    all_documents.update({f"{rule_file.ruleset.id}:{k}": v for k, v in documents.items()})
    canonical = _canonical(rule_file.ruleset, merged_definitions, merged_rules, base)
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
    documents: dict[str, Document] = {}
    for i, ref in enumerate(rule_file.ruleset.sources):
        line, col = location(lines, ("ruleset", "sources", i, "file"))
        file = (path.parent / ref.file).resolve()
        if ref.id in documents:
            problems.append(Problem(display, line, col, f"duplicate source id {ref.id!r}"))
            continue
        try:
            raw = file.read_bytes()
        except OSError:
            problems.append(Problem(display, line, col, f"source text {ref.file!r} not found",
                                    "put the standard's text beside the rule file, e.g. source/<name>.txt"))
            continue
        if len(raw) > MAX_SOURCE_BYTES:
            problems.append(Problem(display, line, col, f"source text {ref.file!r} is larger than {MAX_SOURCE_BYTES:,} bytes"))
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


class _Checker:
    """Semantic checks of one rule file against its baseline; collects every problem."""

    def __init__(
        self,
        rule_file: RuleFile,
        lines: LineMap,
        display: str,
        documents: dict[str, Document],
        base: LoadedRuleSet | None,
        problems: list[Problem],
    ):
        self.f = rule_file
        self.lines = lines
        self.display = display
        self.documents = documents
        self.base = base
        self.problems = problems

    def add(self, loc: tuple[Any, ...], message: str, hint: str = "") -> None:
        line, col = location(self.lines, loc)
        self.problems.append(Problem(self.display, line, col, message, hint))

    def run(self) -> tuple[list[LoadedRule], dict[str, Definition]]:
        definitions = self._merge_definitions()
        for name, definition in self.f.definitions.items():
            self._check_condition(definition.when, ("definitions", name, "when"), definitions)
        rules = self._merge_rules(definitions)
        self._check_whole(rules)
        self._check_ref_cycles(definitions)
        return rules, definitions

    def _merge_definitions(self) -> dict[str, Definition]:
        merged: dict[str, Definition] = dict(self.base.definitions) if self.base else {}
        for name, definition in self.f.definitions.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
                self.add(("definitions", name), f"definition name {name!r} must be lower-case letters, digits and _")
            if name in merged:
                self.add(("definitions", name),
                         f"definition {name!r} is already defined by the baseline {self.base.id if self.base else ''}",
                         "choose another name")
            merged[name] = definition
        return merged

    def _merge_rules(self, definitions: dict[str, Definition]) -> list[LoadedRule]:
        merged: list[LoadedRule] = list(self.base.rules) if self.base else []
        index = {r.rule.id: i for i, r in enumerate(merged)}
        own: set[str] = set()
        for i, rule in enumerate(self.f.rules):
            loc = ("rules", i)
            if rule.id in own:
                self.add(loc + ("id",), f"duplicate rule id {rule.id!r}", "every rule needs its own id")
                continue
            own.add(rule.id)
            document = self._check_source(rule, loc)
            self._check_rule(rule, loc, definitions)
            if document is None:
                continue
            line, _ = location(self.lines, loc)
            loaded = LoadedRule(rule=rule, origin=self.f.ruleset.id, file=self.display, line=line, document=document)
            if rule.id in index:
                if not rule.override:
                    self.add(loc + ("id",),
                             f"rule id {rule.id!r} is already used by the baseline {self.base.id if self.base else ''}",
                             "add 'override: true' to replace the baseline rule, or choose another id")
                    continue
                merged[index[rule.id]] = loaded
            else:
                if rule.override:
                    self.add(loc + ("override",), f"rule {rule.id!r} says override, but no baseline rule has that id",
                             "remove 'override: true' or use the baseline rule's id")
                    continue
                index[rule.id] = len(merged)
                merged.append(loaded)
        return merged

    def _check_source(self, rule: Rule, loc: tuple[Any, ...]) -> Document | None:
        doc_id = rule.source.document or self.f.ruleset.sources[0].id
        document = self.documents.get(doc_id)
        if document is None:
            if doc_id in {s.id for s in self.f.ruleset.sources}:
                return None  # the unreadable source was reported already
            self.add(loc + ("source", "document"), f"unknown source document {doc_id!r}",
                     f"use one of: {', '.join(self.documents)}")
            return None
        quote = fold(rule.source.quote)
        if quote not in document.folded:
            near = _nearest_sentence(quote, document.folded)
            self.add(loc + ("source", "quote"),
                     f"the quote is not found verbatim in {document.file.name}",
                     "copy the sentence exactly from the source text" + (f"; nearest: {near!r}" if near else ""))
        if fold(rule.source.section) not in document.folded:
            self.add(loc + ("source", "section"),
                     f"the section {rule.source.section!r} is not a heading found in {document.file.name}",
                     "copy the heading exactly from the source text")
        return document

    def _check_rule(self, rule: Rule, loc: tuple[Any, ...], definitions: dict[str, Definition]) -> None:
        if rule.when is not None:
            self._check_condition(rule.when, loc + ("when",), definitions)
        if rule.need is not None and rule.need.code is not None and rule.need.code not in VOCABULARY["needs"].codes:
            self._unknown_code(loc + ("need", "code"), rule.need.code, VOCABULARY["needs"].codes)
        if rule.request is not None and rule.request.code is not None and rule.request.code not in VOCABULARY["requests"].codes:
            self._unknown_code(loc + ("request", "code"), rule.request.code, VOCABULARY["requests"].codes)
        if rule.deadline is not None:
            spec = VOCABULARY.get(rule.deadline.anchor)
            if spec is None or spec.kind is not FactKind.DATE:
                dates = [p for p, s in VOCABULARY.items() if s.kind is FactKind.DATE]
                self.add(loc + ("deadline", "anchor"), f"deadline anchor {rule.deadline.anchor!r} is not a date fact",
                         f"use one of: {', '.join(dates)}")
        if rule.assessment is not None:
            for j, path in enumerate(rule.assessment.about):
                if path not in VOCABULARY:
                    self._unknown_fact(loc + ("assessment", "about", j), path)

    def _check_condition(self, cond: Condition, loc: tuple[Any, ...], definitions: dict[str, Definition]) -> None:
        if isinstance(cond, AllOf):
            for i, part in enumerate(cond.all):
                self._check_condition(part, loc + ("all", i), definitions)
        elif isinstance(cond, AnyOf):
            for i, part in enumerate(cond.any):
                self._check_condition(part, loc + ("any", i), definitions)
        elif isinstance(cond, Not):
            self._check_condition(cond.not_, loc + ("not",), definitions)
        elif isinstance(cond, Ref):
            if cond.ref not in definitions:
                near = difflib.get_close_matches(cond.ref, list(definitions), n=1)
                self.add(loc + ("ref",), f"unknown definition {cond.ref!r}",
                         f"did you mean {near[0]!r}?" if near else f"defined: {', '.join(sorted(definitions)) or 'none'}")
        else:
            self._check_fact_test(cond, loc)

    def _check_fact_test(self, test: FactTest, loc: tuple[Any, ...]) -> None:
        spec = VOCABULARY.get(test.fact)
        if spec is None:
            self._unknown_fact(loc + ("fact",), test.fact)
            return
        op, value = test.comparison, test.value
        at = loc + (op,)
        allowed = {
            FactKind.BOOL: {"equals", "not_equals", "known"},
            FactKind.LEVEL: {"equals", "not_equals", "at_least", "at_most", "greater_than", "less_than", "one_of", "known"},
            FactKind.INT: {"equals", "not_equals", "at_least", "at_most", "greater_than", "less_than", "one_of", "known"},
            FactKind.DATE: {"equals", "not_equals", "at_least", "at_most", "greater_than", "less_than", "known"},
            FactKind.SLUG: {"equals", "not_equals", "one_of", "known"},
            FactKind.CODES: {"contains", "contains_any", "known"},
        }[spec.kind]
        if op not in allowed:
            self.add(at, f"{op!r} cannot be used on {test.fact!r} (a {spec.kind.value} fact)",
                     f"use one of: {', '.join(sorted(allowed))}")
            return
        if op == "known":
            return
        values = value if isinstance(value, list) else [value]
        for v in values:
            if spec.kind is FactKind.BOOL and not isinstance(v, bool):
                self.add(at, f"{test.fact!r} is true or false; got {v!r}")
            elif spec.kind in (FactKind.LEVEL, FactKind.INT) and (isinstance(v, bool) or not isinstance(v, int)):
                self.add(at, f"{test.fact!r} is a whole number; got {v!r}")
            elif spec.kind is FactKind.LEVEL and isinstance(v, int) and not 0 <= v <= 4:
                self.add(at, f"{test.fact!r} is a level from 0 to 4; got {v!r}")
            elif spec.kind is FactKind.DATE and not isinstance(v, date):
                self.add(at, f"{test.fact!r} is a date; write it as YYYY-MM-DD, got {v!r}")
            elif spec.kind is FactKind.SLUG and not (isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", v)):
                self.add(at, f"{test.fact!r} is a municipality slug such as 'roskilde'; got {v!r}")
            elif spec.kind is FactKind.CODES and v not in spec.codes:
                self._unknown_code(at, str(v), spec.codes)

    def _unknown_fact(self, loc: tuple[Any, ...], name: str) -> None:
        near = difflib.get_close_matches(name, list(VOCABULARY), n=1)
        self.add(loc, f"unknown fact {name!r}",
                 f"did you mean {near[0]!r}?" if near else "see the fact vocabulary in the README (sps-rules schema facts)")

    def _unknown_code(self, loc: tuple[Any, ...], code: str, codes: tuple[str, ...]) -> None:
        near = difflib.get_close_matches(code, list(codes), n=1)
        self.add(loc, f"unknown code {code!r}", f"did you mean {near[0]!r}?" if near else f"use one of: {', '.join(codes)}")

    def _check_whole(self, rules: list[LoadedRule]) -> None:
        """Checks of the merged rule set (baseline plus this file)."""
        own_index = {r.id: i for i, r in enumerate(self.f.rules)}

        def where(rule_id: str) -> tuple[Any, ...]:
            return ("rules", own_index[rule_id]) if rule_id in own_index else ("ruleset",)

        principles = [r for r in rules if r.rule.principle is not None]
        if len(principles) != 1:
            self.add(("rules",), f"the rule set needs exactly one 'principle: individual_assessment' rule; found {len(principles)}",
                     "build on the national baseline, which has it")
        for kind, attr in (("need", "code"), ("request", "code")):
            seen: dict[str | None, str] = {}
            for r in rules:
                conclusion = getattr(r.rule, kind)
                if conclusion is None:
                    continue
                code = getattr(conclusion, attr)
                if code in seen:
                    what = f"{kind} {code!r}" if code else f"default {kind} rule"
                    self.add(where(r.rule.id) + (kind,), f"{what} is concluded by both {seen[code]!r} and {r.rule.id!r}",
                             "keep one rule per code; put alternatives in its 'when'")
                else:
                    seen[code] = r.rule.id
            if None not in seen:
                self.add(("rules",), f"the rule set has no default {kind} rule (one without a code)",
                         "build on the national baseline, which has it")

    def _check_ref_cycles(self, definitions: dict[str, Definition]) -> None:
        def visit(name: str, stack: tuple[str, ...]) -> None:
            if name in stack:
                self.add(("definitions", name), f"definitions refer to each other in a cycle: {' -> '.join(stack + (name,))}")
                return
            definition = definitions.get(name)
            if definition is not None:
                for ref in (r.ref for r in walk(definition.when) if isinstance(r, Ref)):
                    visit(ref, stack + (name,))

        for name in self.f.definitions:
            visit(name, ())


def _nearest_sentence(quote: str, folded: str) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", folded)
    near = difflib.get_close_matches(quote, sentences, n=1, cutoff=0.6)
    return near[0][:160] if near else ""


def _canonical(
    header: RuleSetHeader,
    definitions: dict[str, Definition],
    rules: list[LoadedRule],
    base: LoadedRuleSet | None,
) -> str:
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
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


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
