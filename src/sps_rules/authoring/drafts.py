"""Drafts of rule files, as the workbench edits them: check, read beside the source, try, test, diff, save.

A draft is the text of a rule file that would stand at ``<rules>/<ruleset>/<name>``. It is loaded
as that file would be (``load_text`` writes nothing; the service's ``/v1/validate`` gives its
problems), and every operation here works on the text, never on what is on disk. Saving is the one write:
only inside the rules folder, atomic (temporary file beside the target, then a link that fails
if the target exists), and never over a released version: any existing version file, or a
version or file named in ``<rules>/<ruleset>/releases.lock``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..audit.explain import to_text
from ..engine.evaluator import RuleSet, coerce_facts
from ..engine.loaded import LoadedRuleSet, fold
from ..engine.loader import load_text, versions
from ..model.errors import FactsError, Problem, RuleFileError, SpsRulesError
from ..model.io import read_bounded
from ..model.population import citizens
from .compare import ROWS, summarise
from .diff import diff_rulesets
from .testcases import _RELEVANT, Case, compare, load_cases

MAX_DRAFT_BYTES = 1_000_000
MAX_LOCK_BYTES = 1_000_000
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}\.yaml")
WORKBENCH_CASES = "workbench.yaml"


class DraftError(SpsRulesError, ValueError):
    """A draft operation was refused: the message says why, in Danish, for policy staff.

    ``status`` is the HTTP status the service answers with: 400 bad input, 403 a path outside
    the rules folder, 409 a file or version that is already released.
    """

    def __init__(self, message: str, *, status: int = 400):
        self.status = status
        super().__init__(message)


# --- where a draft stands ------------------------------------------------------------------------


def draft_path(rules_dir: Path, ruleset: str, name: str) -> Path:
    """The file a draft would be, refused unless it lies directly in ``<rules_dir>/<ruleset>/``."""
    if not _SLUG.fullmatch(ruleset):
        raise DraftError(f"'{ruleset[:80]}' er ikke navnet på et regelsæt (små bogstaver, fx 'roskilde')")
    if not _NAME.fullmatch(name) or ".." in name:
        raise DraftError(f"filnavnet '{name[:80]}' er ikke tilladt: kun et navn som 'roskilde-2027-01.yaml' i "
                         "regelsættets mappe; gemning uden for regelmappen afvises", status=403)
    root = rules_dir.resolve()
    target = (root / ruleset / name).resolve()
    if target.parent != root / ruleset:
        raise DraftError("gemning uden for regelmappen afvises", status=403)
    return target


def rulesets(rules_dir: Path) -> list[dict[str, Any]]:
    """Every rule-set folder with its version files (each marked released or not) and case files."""
    out = []
    root = rules_dir.resolve()
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and _SLUG.fullmatch(p.name)):
        files = sorted(folder.glob("*.yaml"))
        if not files:
            continue
        lock = _lock_text(folder)
        out.append({
            "ruleset": folder.name,
            "files": [{"name": f.name, "released": True, "locked": _named_in(lock, f.name, None)} for f in files],
            "cases": [f.name for f in sorted((folder / "tests").glob("*.yaml"))],
        })
    return out


def read_draft(rules_dir: Path, ruleset: str, name: str) -> str:
    path = draft_path(rules_dir, ruleset, name)
    raw = read_bounded(path, MAX_DRAFT_BYTES, what="rule file", error=DraftError)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DraftError(f"{name}: filen er ikke UTF-8-tekst") from None


# --- checking and loading a draft ----------------------------------------------------------------


def load_draft(rules_dir: Path, ruleset: str, name: str, text: str) -> LoadedRuleSet:
    """The draft loaded as if it stood at its path; RuleFileError lists every problem."""
    if len(text.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise DraftError(f"kladden er større end {MAX_DRAFT_BYTES:,} bytes")
    path = draft_path(rules_dir, ruleset, name)
    loaded = load_text(text, path, root=rules_dir.resolve())
    if loaded.id != ruleset:
        raise RuleFileError([Problem(name, 0, 0, f"the file says ruleset.id {loaded.id!r} but lies in the folder {ruleset!r}",
                                     "make the id match the folder name")])
    return loaded


def compiled(loaded: LoadedRuleSet) -> RuleSet:
    from ..engine.registry import ruleset_for

    return ruleset_for(loaded)


def rule_lines(loaded: LoadedRuleSet) -> dict[str, int]:
    """The line of each rule the draft itself defines (rules inherited from its baseline have none here)."""
    return {r.rule.id: r.line for r in loaded.rules if r.origin == loaded.id}


# --- the source text beside it -------------------------------------------------------------------

_BLOCK_TAGS = re.compile(r"<(?:/?(?:p|li|ul|ol|div|h[1-6]|tr|td|table|section)|br)\b[^>]{0,400}>", re.IGNORECASE)
_PARTS = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ\"«(•])|\n+|(?=[•\uf0b7])")


def source_sentences(loaded: LoadedRuleSet) -> list[dict[str, Any]]:
    """The draft's own source texts, split into sentences, each with the rules whose quote it holds.

    A sentence of 25 characters or more that no rule cites is ``uncovered``; ``relevant`` says it
    reads like a decision (``skal``, ``kan``, ``frist``, ...), as ``sps-rules test`` counts it.
    """
    own = [r for r in loaded.rules if r.origin == loaded.id]
    out = []
    for key, doc in loaded.documents.items():
        if not key.startswith(f"{loaded.id}:"):
            continue
        quotes = [(r.rule.id, fold(r.rule.source.quote)) for r in own if r.document.file == doc.file]
        items = []
        for part in _PARTS.split(_BLOCK_TAGS.sub("\n", doc.text)):
            folded = fold(part)
            text = folded.lstrip("•").strip() if folded.startswith("•") else folded
            if not text:
                continue
            cited = [rid for rid, q in quotes if folded and (q in folded or folded in q)] if len(folded) >= 25 else []
            items.append({
                "text": text, "sentence": len(folded) >= 25, "rules": cited,  # text: tags and bullets folded away
                "relevant": len(folded) >= 25 and any(k in folded.lower() for k in _RELEVANT),
            })
        out.append({"id": doc.id, "title": doc.title, "sentences": items})
    return out


# --- trying a citizen ----------------------------------------------------------------------------


def try_citizen(loaded: LoadedRuleSet, facts: dict[str, Any]) -> dict[str, Any]:
    """The draft's decision for one citizen, its Danish reasons, and the line of each rule in the draft."""
    citizen = coerce_facts(facts)
    decision = compiled(loaded).evaluate(citizen, check_dates=False)
    return {"decision": decision.to_dict(), "reasons": to_text(decision), "rule_lines": rule_lines(loaded)}


# --- the rule set's test cases -------------------------------------------------------------------


def _case_files(rules_dir: Path, ruleset: str) -> list[Path]:
    return sorted((rules_dir.resolve() / ruleset / "tests").glob("*.yaml"))


def run_cases(rules_dir: Path, loaded: LoadedRuleSet) -> dict[str, Any]:
    """Run the rule set's cases that concern the draft's version (pinned to it, or dated inside it)."""
    ruleset = compiled(loaded)
    results = []
    fired: set[str] = set()
    for path in _case_files(rules_dir, loaded.id):
        for case, line in load_cases(path):
            if (case.ruleset or loaded.id) != loaded.id:
                continue
            entry: dict[str, Any] = {"file": f"{loaded.id}/tests/{path.name}", "line": line, "name": case.name}
            try:
                citizen = coerce_facts(case.facts, source=f"{path.name}:{line}")
            except FactsError as exc:
                results.append({**entry, "status": "failed", "failures": [str(exc)]})
                continue
            applies = case.version == loaded.version if case.version else loaded.covers(citizen.assessment_date)
            if not applies:
                results.append({**entry, "status": "not_applicable", "failures": []})
                continue
            decision = ruleset.evaluate(citizen, check_dates=False)
            fired.update(t.rule_id for t in decision.trace if t.fired)
            failures = compare(case.expect, decision)
            results.append({**entry, "status": "failed" if failures else "passed", "failures": failures})
    own = [r for r in loaded.rules if r.origin == loaded.id]
    sentences = [s for doc in source_sentences(loaded) for s in doc["sentences"] if s["sentence"]]
    return {
        "passed": sum(r["status"] == "passed" for r in results),
        "failed": sum(r["status"] == "failed" for r in results),
        "not_applicable": sum(r["status"] == "not_applicable" for r in results),
        "cases": results,
        "coverage": {
            "rules_total": len(own),
            "rules_unexercised": [r.rule.id for r in own if r.rule.id not in fired],
            "uncited_relevant": [s["text"] for s in sentences if not s["rules"] and s["relevant"]],
        },
    }


def expect_from(decision: dict[str, Any]) -> dict[str, Any]:
    """What a new case expects: the decision's eligibility, criteria, support forms and exclusions."""
    expect: dict[str, Any] = {"eligibility": decision["eligibility"],
                              "criteria": {c["id"]: c["status"] for c in decision["criteria"]}}
    if decision["support_forms"]:
        expect["support_forms"] = {f["form"]: f["status"] for f in decision["support_forms"]}
    else:
        expect["no_support_forms"] = True
    expect["exclusions"] = sorted({e["request"] for e in decision["exclusions"]})
    return expect


def add_case(rules_dir: Path, loaded: LoadedRuleSet, name: str, facts: dict[str, Any]) -> dict[str, Any]:
    """Append the citizen as a case to ``<ruleset>/tests/workbench.yaml``, expecting what the draft decides."""
    citizen = coerce_facts(facts)
    decision = compiled(loaded).evaluate(citizen, check_dates=False).to_dict()
    case = Case.model_validate({"name": name, "version": loaded.version,
                                "facts": citizen.model_dump(mode="json", exclude_none=True),
                                "expect": expect_from(decision)})
    folder = rules_dir.resolve() / loaded.id / "tests"
    target = folder / WORKBENCH_CASES
    old = read_bounded(target, MAX_DRAFT_BYTES, what="case file", error=DraftError).decode("utf-8") if target.exists() else (
        "# Test cases added in the workbench (sps-rules workbench).\n")
    block = yaml.safe_dump([case.model_dump(mode="json", exclude_none=True)], allow_unicode=True, sort_keys=False, width=100)
    text = old + ("" if old.endswith("\n") else "\n") + "\n" + block
    folder.mkdir(exist_ok=True)
    tmp = _temp_beside(target, text)
    try:
        load_cases(tmp)  # the file as written must still be a valid case file
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return {"file": f"{loaded.id}/tests/{WORKBENCH_CASES}", "case": case.model_dump(mode="json", exclude_none=True)}


# --- the effect of a draft -----------------------------------------------------------------------


def released_for(rules_dir: Path, loaded: LoadedRuleSet) -> LoadedRuleSet | None:
    """The released version a draft is compared with: the same version, else the newest before it."""
    try:
        released = versions(loaded.id, rules_dir.resolve())
    except SpsRulesError:
        return None
    same = [v for v in released if v.version == loaded.version]
    if same:
        return same[0]
    before = [v for v in released if v.header.valid_from <= loaded.header.valid_from]
    return (before or released)[-1] if released else None


def effect(rules_dir: Path, loaded: LoadedRuleSet, *, n: int = 500, seed: int = 85, limit: int = 200) -> dict[str, Any]:
    """Changed rules and the outcome changes on the example population, citizen by citizen."""
    old_loaded = released_for(rules_dir, loaded)
    if old_loaded is None:
        raise DraftError(f"der er ingen frigivet version af {loaded.id!r} at sammenligne med")
    old, new = compiled(old_loaded), compiled(loaded)
    d = diff_rulesets(old, new, n=0)
    lines = rule_lines(loaded)
    day = max(old.valid_from, new.valid_from)
    changed = []
    for i, facts in enumerate(citizens(n, seed=seed, assessment_date=day), 1):
        a = summarise(old.evaluate(facts, check_dates=False))
        b = summarise(new.evaluate(facts, check_dates=False))
        differs = {k: [getattr(a, k), getattr(b, k)] for k in ROWS if k != "missing_facts" and getattr(a, k) != getattr(b, k)}
        if differs:
            changed.append({"citizen": i, "facts": facts, "differs": differs})
    return {
        "old": d.old, "new": d.new, "header": d.header,
        "rules": [{"rule_id": c.rule_id, "change": c.change, "parts": c.parts, "line": lines.get(c.rule_id)} for c in d.rules],
        "population": n, "seed": seed, "changed": len(changed), "citizens": changed[:limit],
    }


# --- saving --------------------------------------------------------------------------------------


def _lock_text(folder: Path) -> str:
    lock = folder / "releases.lock"
    if not lock.exists():
        return ""
    return read_bounded(lock, MAX_LOCK_BYTES, what="releases.lock", error=DraftError).decode("utf-8", "replace")


def _named_in(lock: str, name: str, version: str | None) -> bool:
    """Whether the lock names the file or the version as a whole word (any lock format reads so)."""
    words = set(re.findall(r"[A-Za-z0-9._-]+", lock))
    return name in words or Path(name).stem in words or (version is not None and version in words)


def save_draft(rules_dir: Path, ruleset: str, name: str, text: str) -> dict[str, Any]:
    """Write the draft as a new version file, atomically; refuse anything that would replace a release."""
    target = draft_path(rules_dir, ruleset, name)
    if target.exists():
        raise DraftError(f"{name} findes allerede og er en frigivet version; gem kladden under et nyt filnavn", status=409)
    loaded = load_draft(rules_dir, ruleset, name, text)
    if _named_in(_lock_text(target.parent), name, loaded.version):
        raise DraftError(f"version {loaded.version} ({name}) står i releases.lock og er frigivet; gem kladden som en ny version",
                         status=409)
    for v in versions(ruleset, rules_dir.resolve()):
        if v.version == loaded.version:
            raise DraftError(f"version {v.version} findes allerede i {v.path.name}; giv kladden et nyt versionsnummer", status=409)
    target.parent.mkdir(exist_ok=True)
    tmp = _temp_beside(target, text)
    try:
        os.link(tmp, target)  # atomic, and fails rather than replace a file that appeared meanwhile
    except FileExistsError:
        raise DraftError(f"{name} findes allerede; gem kladden under et nyt filnavn", status=409) from None
    finally:
        tmp.unlink(missing_ok=True)
    try:
        versions(ruleset, rules_dir.resolve())  # the folder's versions must still fit together (dates, numbers)
    except (RuleFileError, SpsRulesError) as exc:
        target.unlink()
        detail = "; ".join(p.message for p in exc.problems) if isinstance(exc, RuleFileError) else str(exc)
        raise DraftError(f"kladden passer ikke ind blandt regelsættets versioner og er ikke gemt: {detail}", status=409) from None
    return {"file": f"{ruleset}/{name}", "version": loaded.version, "sha256": loaded.sha256}


def _temp_beside(target: Path, text: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(name)



def presets(rules_dir: Path, ruleset: str) -> list[dict[str, Any]]:
    """The named citizens of a rule set's test cases, for the workbench's facts form."""
    draft_path(rules_dir, ruleset, "x.yaml")  # refuses a bad rule-set name
    return [{"name": case.name, "facts": case.facts}
            for path in _case_files(rules_dir, ruleset) for case, _ in load_cases(path)]
