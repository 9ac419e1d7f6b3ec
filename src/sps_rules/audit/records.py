"""Decision records and exact replay, for auditors.

A record is one self-contained JSON file: the facts as given, the full decision with its
trace, the rule set's id, version, validity and sha256, the engine, durable-rules and record
schema versions, the time it was made (outside the decision, so decisions stay
byte-identical) and a sha256 of the record itself.

Replay re-evaluates the facts with exactly the rule-set version the record names (never
another one), and says whether the decision is reproduced exactly or, if not, what differs,
field by field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.evaluator import MAX_FACTS_BYTES, FactsInput, RuleSet, coerce_facts
from ..engine.loader import versions
from ..engine.registry import load_ruleset, ruleset_for
from ..model.decision import Decision
from ..model.errors import FactsError, RecordError, RuleFileError, RuleSetNotFound
from ..model.facts import fact_values
from ..model.io import read_bounded
from ..model.jsonio import loads_strict
from ..version import __version__

RECORD_SCHEMA_VERSION: Literal["1"] = "1"
MAX_RECORD_BYTES = 20_000_000


def durable_rules_version() -> str:
    try:
        return metadata.version("durable_rules")
    except metadata.PackageNotFoundError:  # pragma: no cover - depends on how it was installed
        return "unknown"


class RecordedRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: str
    valid_from: date
    valid_to: date | None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class DecisionRecord(BaseModel):
    """Everything needed to reproduce one decision months later."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_schema_version: Literal["1"] = RECORD_SCHEMA_VERSION
    created_at: datetime = Field(description="When the record was written; not part of the decision.")
    engine_version: str
    durable_rules_version: str
    ruleset: RecordedRuleSet
    facts: dict[str, Any] = Field(description="The facts exactly as given.")
    decision: dict[str, Any] = Field(description="The full decision, trace included.")
    record_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the record without this field.")

    def content_sha256(self) -> str:
        return _sha256(self.model_dump(mode="json", exclude={"record_sha256"}))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _sha256(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_record(ruleset: RuleSet, facts: FactsInput, *, created_at: datetime | None = None) -> DecisionRecord:
    """Evaluate the facts under ``ruleset`` and wrap facts and decision in a record."""
    given = _as_given(facts)
    decision = ruleset.evaluate(given)
    body: dict[str, Any] = {
        "record_schema_version": RECORD_SCHEMA_VERSION,
        "created_at": (created_at or datetime.now(UTC)).isoformat(),
        "engine_version": __version__,
        "durable_rules_version": durable_rules_version(),
        "ruleset": {
            "id": ruleset.id,
            "version": ruleset.version,
            "valid_from": ruleset.valid_from.isoformat(),
            "valid_to": ruleset.valid_to.isoformat() if ruleset.valid_to else None,
            "sha256": ruleset.sha256,
        },
        "facts": given,
        "decision": decision.model_dump(mode="json"),
        "record_sha256": "0" * 64,
    }
    draft = DecisionRecord.model_validate(body)
    return draft.model_copy(update={"record_sha256": draft.content_sha256()})


def _as_given(facts: FactsInput) -> dict[str, Any]:
    if isinstance(facts, Path):
        facts = read_bounded(facts, MAX_FACTS_BYTES, what="facts file", error=FactsError)
    if isinstance(facts, (str, bytes)):
        data = loads_strict(facts, what="facts", max_bytes=MAX_FACTS_BYTES, error=FactsError)
    elif isinstance(facts, BaseModel):
        data = facts.model_dump(mode="json", exclude_none=True)
    else:
        data = json.loads(json.dumps(dict(facts), default=str))
    if not isinstance(data, dict):
        raise FactsError("the facts must be a JSON object")
    coerce_facts(data)  # refuse bad facts before anything is written
    return data


def record(municipality: str, facts: FactsInput, *, created_at: datetime | None = None,
           root: Path | str | None = None) -> DecisionRecord:
    """Evaluate and return a self-contained, hashed decision record (write it with ``.to_json()``).

    Takes the same facts as ``evaluate``; raises ``FactsError`` and ``RuleSetNotFound`` as it does.
    """
    given = _as_given(facts)
    citizen = coerce_facts(given)
    return make_record(load_ruleset(municipality, citizen.assessment_date, root=root), given, created_at=created_at)


def read_record(source: Path | str | bytes) -> DecisionRecord:
    """A record from a file path or JSON bytes; RecordError if it is corrupt or invalid."""
    name = "record"
    if isinstance(source, (str, Path)):
        name = str(source)
        raw = read_bounded(source, MAX_RECORD_BYTES, what="record", error=RecordError)
    else:
        raw = source
    data = loads_strict(raw, what=name, max_bytes=MAX_RECORD_BYTES, error=RecordError)
    try:
        return DecisionRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise RecordError(f"{name}: invalid decision record: {where}: {first['msg']}"
                          + (f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else "")) from None


# --- replay -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    path: str
    recorded: Any
    replayed: Any

    def __str__(self) -> str:
        return f"{self.path}: recorded {_show(self.recorded)}, replayed {_show(self.replayed)}"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass
class ReplayResult:
    """``reproduced`` is True only when the replayed decision is byte-identical and nothing was altered."""

    reproduced: bool
    problems: list[str] = field(default_factory=list)  # integrity findings: altered record, changed rule set
    differences: list[Difference] = field(default_factory=list)
    decision: Decision | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.reproduced else 1

    def report(self) -> str:
        if self.reproduced:
            return "reproduced exactly"
        lines = ["NOT reproduced:"] + [f"- {p}" for p in self.problems]
        if self.differences:
            outcome = [d for d in self.differences if not d.path.startswith("trace")]
            traced = [d for d in self.differences if d.path.startswith("trace")]
            lines.append(f"the replayed decision differs in {len(self.differences)} field(s):")
            lines += [f"  {d}" for d in outcome]
            if traced:
                rules = list(dict.fromkeys(d.path.split("]")[0].split("=")[-1] for d in traced))
                lines.append(f"  trace: {len(traced)} field(s) in {len(rules)} rule(s): {', '.join(rules)}")
                lines += [f"    {d}" for d in traced if d.path.endswith((".result", "facts", ".fired")) or ".facts." in d.path]
        elif self.decision is not None:
            lines.append("the replayed decision itself is identical")
        return "\n".join(lines)


def replay(source: DecisionRecord | Path | str | bytes, *, root: Path | None = None) -> ReplayResult:
    """Re-evaluate a record with the rule-set version it names and compare, field by field."""
    record = source if isinstance(source, DecisionRecord) else read_record(source)
    result = ReplayResult(reproduced=False)
    if record.content_sha256() != record.record_sha256:
        result.problems.append(
            f"the record's own sha256 does not match its content (recorded {record.record_sha256[:12]}…, "
            f"computed {record.content_sha256()[:12]}…): it was altered after it was written"
        )
    rid, version = record.ruleset.id, record.ruleset.version
    try:
        match = [v for v in versions(rid, root) if v.version == version]
    except (RuleSetNotFound, RuleFileError) as exc:
        result.problems.append(f"rule set {rid} cannot be loaded: {exc}")
        return result
    if not match:
        result.problems.append(f"rule set {rid} has no version {version} any more; it cannot be replayed, "
                               "and no other version is used instead")
        return result
    ruleset = ruleset_for(match[0])
    if ruleset.sha256 != record.ruleset.sha256:
        result.problems.append(
            f"rule set {rid} version {version} has changed since the record was made: sha256 recorded "
            f"{record.ruleset.sha256[:12]}…, now {ruleset.sha256[:12]}…. A released version must not be edited; "
            "publish a new version instead"
        )
    if record.engine_version != __version__:
        result.problems.append(f"engine version differs: recorded {record.engine_version}, now {__version__}")
    if record.durable_rules_version != durable_rules_version():
        result.problems.append(
            f"durable-rules version differs: recorded {record.durable_rules_version}, now {durable_rules_version()}")
    try:
        citizen = coerce_facts(record.facts)
        decision = ruleset.evaluate(citizen, check_dates=False)
    except FactsError as exc:
        result.problems.append(f"the recorded facts are no longer valid: {exc}")
        return result
    result.problems += _facts_changed(record.decision, fact_values(citizen))
    result.decision = decision
    order = {name: i for i, name in enumerate(Decision.model_fields)}
    found = diff(record.decision, decision.model_dump(mode="json"))
    result.differences = sorted(found, key=lambda d: order.get(d.path.split(".")[0].split("[")[0], len(order)))
    result.reproduced = not result.problems and not result.differences
    return result


def _facts_changed(decision: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """Facts whose value in the record differs from the value the recorded decision read."""
    read: dict[str, Any] = {}
    recorded = decision.get("facts")
    if isinstance(recorded, dict):
        for name, value in recorded.items():
            if isinstance(value, dict):  # function_levels: compared theme by theme
                read.update({f"{name}.{key}": inner for key, inner in value.items()})
            else:
                read[name] = value
    if isinstance(decision.get("derived_facts"), dict):
        read.update(decision["derived_facts"])
    for entry in decision.get("trace") or []:  # records made by 0.1 kept the values in each trace entry
        if isinstance(entry, dict) and isinstance(entry.get("facts"), dict):
            read.update(entry["facts"])
    out = []
    for path, was in read.items():
        now = values.get(path)
        now = list(now) if isinstance(now, tuple) else now
        if path in values and now != was:
            out.append(f"fact {path}: the recorded decision read {_show(was)}, the record's facts now give {_show(now)}")
    return out


_IDENTITY_KEYS = ("id", "rule_id", "need", "request", "form", "to")


def diff(recorded: Any, replayed: Any, path: str = "") -> list[Difference]:
    """Field-level differences; list items are matched by their id where they have one."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        out: list[Difference] = []
        for key in sorted(set(recorded) | set(replayed)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded:
                out.append(Difference(sub, None, replayed[key]))
            elif key not in replayed:
                out.append(Difference(sub, recorded[key], None))
            else:
                out += diff(recorded[key], replayed[key], sub)
        return out
    if isinstance(recorded, list) and isinstance(replayed, list):
        key = _identity(recorded) or _identity(replayed)
        if key and all(_identity(side) in (key, None) for side in (recorded, replayed)) and all(
            isinstance(i, dict) and key in i for i in recorded + replayed
        ):
            old = {item[key]: item for item in recorded}
            new = {item[key]: item for item in replayed}
            out = []
            for ident in list(old) + [k for k in new if k not in old]:
                sub = f"{path}[{key}={ident}]"
                if ident not in new:
                    out.append(Difference(sub, old[ident], None))
                elif ident not in old:
                    out.append(Difference(sub, None, new[ident]))
                else:
                    out += diff(old[ident], new[ident], sub)
            return out
        out = []
        for i in range(max(len(recorded), len(replayed))):
            sub = f"{path}[{i}]"
            if i >= len(recorded):
                out.append(Difference(sub, None, replayed[i]))
            elif i >= len(replayed):
                out.append(Difference(sub, recorded[i], None))
            else:
                out += diff(recorded[i], replayed[i], sub)
        return out
    return [] if recorded == replayed else [Difference(path or "(whole)", recorded, replayed)]


def _identity(items: list[Any]) -> str | None:
    """The key that identifies each dict in a list uniquely, if there is one."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _IDENTITY_KEYS:
        values = [i.get(key) for i in items]
        if all(v is not None for v in values) and len(set(map(str, values))) == len(values):
            return key
    return None
