"""What each endpoint does, as plain functions of already-parsed input (they run in a worker thread).

Routes stay thin: they read and check the request, call one of these, and write the response.
Each returns JSON-ready data (or bytes) and raises ``SpsRulesError`` or ``ApiProblem`` on bad input.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ..audit.explain import render
from ..audit.records import DecisionRecord, ReplayResult, make_record, read_record, replay
from ..audit.whynot import analyse
from ..authoring.validate import Checks
from ..engine.evaluator import RuleSet
from ..engine.loader import rules_root
from ..engine.registry import cached_versions, load_ruleset, load_ruleset_version, ruleset_for
from ..model.decision import Decision, RuleSetRef
from ..model.canonical import canonical_json
from ..model.errors import FactsError, RuleFileError, RuleSetNotFound
from ..model.facts import FIELDS_BY_PARENT, CitizenFacts
from .body import dumps
from .problems import ApiProblem
from .settings import Settings
from .store import RecordStore, SQLiteStore, StoreError

logger = logging.getLogger("sps_rules.service")
_REFS = TypeAdapter(list[RuleSetRef])
DRAFT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml$")


@dataclass(frozen=True)
class Evaluated:
    """A decision as the service answers it: the JSON bytes, the rule set, and the record id if stored."""

    body: bytes
    ruleset: RuleSet
    record_id: int | None


class Service:
    """The state one app holds: its settings, the rules folder and the decision log (if any)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.root: Path | None = settings.rules_dir.resolve() if settings.rules_dir is not None else None
        self.store: RecordStore | None = SQLiteStore(settings.record_store) if settings.record_store is not None else None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    @property
    def rules(self) -> Path:
        return self.root or rules_root()

    # --- rule sets -------------------------------------------------------------------------

    def rulesets(self) -> list[dict[str, Any]]:
        """Every version this service serves (a rule set whose files are invalid is left out, and logged)."""
        from ..engine.loader import ruleset_ids

        served = []
        for rid in ruleset_ids(self.rules):
            try:
                served += [rs.ref for rs in self.versions(rid)]
            except ApiProblem:
                continue
        refs: list[dict[str, Any]] = _REFS.dump_python(served, mode="json")
        return refs

    def versions(self, municipality: str) -> tuple[RuleSet, ...]:
        """Every version of a rule set, as its files are now: the registry keeps them loaded and
        compiled while the files stay as they were (one ``stat`` each per call), and reloads a rule
        set whose folder, version files or baselines changed, e.g. a draft saved by the workbench.

        Raises RuleSetNotFound (404) for a rule set this service does not have.
        """
        try:
            return tuple(ruleset_for(v) for v in cached_versions(municipality, self.root))
        except RuleFileError as exc:
            raise _unavailable(municipality, exc) from None

    def warm(self) -> None:
        """Load and compile every rule set now (a broken one is logged, and answers 503 when asked for)."""
        from ..engine.loader import ruleset_ids
        from ..model.errors import SpsRulesError

        for rid in ruleset_ids(self.rules):
            try:
                self.versions(rid)
            except (SpsRulesError, ApiProblem):
                pass  # logged; a request for it gets its own answer

    def known(self, municipality: str) -> None:
        """RuleSetNotFound (404) for an unknown rule set, before any facts are read."""
        self.versions(municipality)

    def ruleset(self, municipality: str, version: str | None, on: date) -> RuleSet:
        """The named version, or the released version that applies on ``on`` (drafts apply to no day):
        the library's own lookup, so its errors name the versions there are."""
        try:
            if version is not None:
                return load_ruleset_version(municipality, version, root=self.root)
            return load_ruleset(municipality, on, root=self.root)
        except RuleFileError as exc:
            raise _unavailable(municipality, exc) from None

    # --- decisions -------------------------------------------------------------------------

    def evaluate(self, municipality: str, facts: dict[str, Any], *, version: str | None = None,
                 explain: str | None = None) -> Evaluated:
        self.known(municipality)
        citizen = strict_facts(facts)
        ruleset = self.ruleset(municipality, version, citizen.assessment_date)
        record_id = None
        if self.store is not None:
            record = make_record(ruleset, facts)
            record_id = self.store.append(stored_json(record)).id
            decision_json = orjson.dumps(record.decision)
            decision = Decision.model_validate(record.decision) if explain else None
        else:
            decision = ruleset.evaluate(citizen)
            decision_json = decision.to_json_bytes()
        if explain is None:
            return Evaluated(decision_json, ruleset, record_id)
        assert decision is not None
        text = render(decision, format=explain)  # type: ignore[arg-type]
        body = b'{"decision":' + decision_json + b',"explanation":' + orjson.dumps({"format": explain, "text": text}) + b"}"
        return Evaluated(body, ruleset, record_id)

    def why_not(self, municipality: str, facts: dict[str, Any], *, version: str | None = None) -> tuple[dict[str, Any], RuleSet]:
        self.known(municipality)
        citizen = strict_facts(facts)
        ruleset = self.ruleset(municipality, version, citizen.assessment_date)
        if version is not None:
            ruleset.evaluate(citizen)  # the date must lie within the pinned version, as for evaluate
        return asdict(analyse(ruleset, citizen)), ruleset

    def replay(self, raw: bytes) -> tuple[dict[str, Any], RuleSetRef | None]:
        """Replay a posted record, read from the bytes as sent: its hash is over that document."""
        return _replayed(replay(read_record(raw), root=self.root))

    # --- the decision log ------------------------------------------------------------------

    def _log(self) -> RecordStore:
        if self.store is None:
            raise ApiProblem(404, "no-decision-log", "this service keeps no decision log (start it with --record-store)")
        return self.store

    def record(self, record_id: int) -> DecisionRecord:
        try:
            entry = self._log().get(record_id)
        except StoreError as exc:
            raise ApiProblem(503, "decision-log-unavailable", str(exc)) from None
        if entry is None:
            raise ApiProblem(404, "record-not-found", f"no decision record {record_id} in the decision log")
        return read_record(entry.record_json.encode("utf-8"))

    def replay_stored(self, record_id: int) -> tuple[dict[str, Any], RuleSetRef | None]:
        return _replayed(replay(self.record(record_id), root=self.root))

    # --- authoring -------------------------------------------------------------------------

    def validate(self, ruleset: str, filename: str, text: str, checks: Checks = "full") -> dict[str, Any]:
        from ..authoring.validate import draft_findings
        from ..engine.loader import ruleset_ids

        if ruleset not in ruleset_ids(self.rules):
            raise RuleSetNotFound(f"no rule set {ruleset!r}; known rule sets: {', '.join(ruleset_ids(self.rules)) or 'none'}")
        if not DRAFT_NAME.fullmatch(filename):
            raise ApiProblem(422, "invalid-input", "filename must be a plain file name ending in .yaml, e.g. 'udkast.yaml'")
        findings = draft_findings(text, self.rules / ruleset / filename, root=self.rules, checks=checks)
        shown = []
        for finding in findings:
            item = finding.as_dict()
            item["file"] = self._relative(item["file"])
            shown.append(item)
        return {"ok": not any(f.severity == "error" for f in findings), "checks": checks, "findings": shown}

    def _relative(self, name: str) -> str:
        """A file name as the client knows it (``roskilde/udkast.yaml``), never a path of this server."""
        try:
            return str(Path(name).resolve().relative_to(self.rules.resolve()))
        except ValueError:
            return Path(name).name

    def test(self, municipality: str) -> dict[str, Any]:
        from ..authoring.testcases import coverage, run_all
        self.known(municipality)
        results = run_all(self.rules, municipality)
        failed = [r for r in results if not r.passed]
        return {
            "passed": len(results) - len(failed), "failed": len(failed),
            "cases": [{"file": self._relative(r.file), "line": r.line, "name": r.case.name, "passed": r.passed,
                       "failures": r.failures} for r in results],
            "coverage": [{**c.__dict__, "rules_exercised": c.rules_exercised} for c in coverage(results, self.rules)],
        }

    def compare(self, facts: dict[str, Any], on: list[date]) -> list[dict[str, Any]]:
        from ..authoring.compare import compare

        return [asdict(c) for c in compare(strict_facts(facts), on=on or None, root=self.root)]

    def diff(self, municipality: str, old: str, new: str, n: int, seed: int) -> dict[str, Any]:
        from ..authoring.diff import diff_rulesets

        if n > self.settings.max_diff_population:
            raise ApiProblem(422, "invalid-input", f"n is {n}; this service generates at most {self.settings.max_diff_population}")
        older = load_ruleset_version(municipality, old, root=self.root)
        newer = load_ruleset_version(municipality, new, root=self.root)
        result: dict[str, Any] = orjson.loads(orjson.dumps(asdict(diff_rulesets(older, newer, n=n, seed=seed)), default=str))
        return result


def _unavailable(municipality: str, exc: RuleFileError) -> ApiProblem:
    """503 for a rule set whose files are invalid: the server's rule files, not the request, are wrong."""
    logger.error("rule set %s cannot be served: %s", municipality, str(exc).splitlines()[0])
    return ApiProblem(503, "ruleset-unavailable", f"rule set {municipality!r} cannot be served: its rule files "
                      "are invalid (sps-rules validate shows why); the other rule sets are served")


def stored_json(record: DecisionRecord) -> str:
    """A record as the decision log keeps it: its canonical JSON (RFC 8785), compact; ``read_record``
    reads it back as exactly the document its hash is over."""
    return canonical_json(record.document).decode("utf-8")


def strict_facts(facts: dict[str, Any]) -> CitizenFacts:
    """Citizen facts of exactly the declared JSON types (no number for a date, no text for a number)."""
    try:
        return CitizenFacts.model_validate_json(dumps(facts), strict=True)
    except ValidationError as exc:
        raise without_values(exc) from None


def without_values(exc: ValidationError, *, source: str = "facts") -> FactsError:
    """The library's FactsError for a validation error: it names the field, never the value given."""
    return FactsError.from_validation(exc, source=source, fields=FIELDS_BY_PARENT)


def _replayed(result: ReplayResult) -> tuple[dict[str, Any], RuleSetRef | None]:
    """The replay as JSON, and the rule-set version that made the replayed decision (None if none was made)."""
    return {
        "reproduced": result.reproduced,
        "problems": list(result.problems),
        "differences": [{"path": d.path, "recorded": d.recorded, "replayed": d.replayed} for d in result.differences],
        "report": result.report(),
    }, result.decision.ruleset if result.decision is not None else None
