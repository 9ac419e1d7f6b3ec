"""Decision records and exact replay, for auditors.

A record is one self-contained JSON file: the facts as given, the full decision with its
trace, the rule set's id, version, validity and sha256, the versions of the engine and of
every library whose data or behaviour shapes a decision, the time it was made (outside the
decision, so decisions stay byte-identical), a sha256 of the record itself and, optionally,
an Ed25519 signature.

Record schema 2 (written today) hashes the RFC 8785 canonical JSON of what is stored, without
``record_sha256`` and ``signature``; the file is that canonical JSON with whitespace added
between tokens for reading. On reading, the file with the whitespace outside strings removed
must be exactly the canonical form of what it holds: any other change of its bytes (``2`` to
``2.0``, ``Z`` to ``+00:00``, an escape, key order, a duplicate key) is found. Record schema 1
(written by 0.1 to 0.3) hashed sorted-key ``json.dumps`` output; replay still reads it and says
which scheme a record uses.

Replay re-evaluates the facts with exactly the rule-set version the record names (never
another one), checks the record's header against that release, and says whether the
decision is reproduced exactly or, if not, what differs, field by field, naming any library
version difference as the likely cause.
"""

from __future__ import annotations

import functools
import copy
import hashlib
import json
import platform
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ModelWrapValidatorHandler, PrivateAttr, ValidationError, model_validator

from ..engine.evaluator import MAX_FACTS_BYTES, Engine, FactsInput, RuleSet, coerce_facts
from ..engine.loader import versions
from ..engine.registry import load_ruleset, ruleset_for
from ..model.canonical import is_plain, CanonicalJSONError, canonical_json
from ..model.decision import Decision
from ..model.errors import EngineUnavailable, FactsError, RecordError, RuleFileError, RuleSetNotFound, guarded
from ..model.facts import fact_values
from ..model.io import read_bounded, write_atomic
from ..model.jsonio import loads_strict
from ..version import __version__
from . import signing

RecordSchema = Literal["1", "2"]
RECORD_SCHEMA_VERSION: RecordSchema = "2"
SCHEMES = {
    "1": "record schema 1: sha256 over sorted-key JSON (before RFC 8785)",
    "2": "record schema 2: sha256 over RFC 8785 canonical JSON",
}
MAX_RECORD_BYTES = 20_000_000
# Libraries whose data or behaviour shapes a decision's bytes: holiday dates and names
# (deadlines), date arithmetic, the serialisation of the decision, the parsing of rule files,
# the canonical form that is hashed, and the interpreter itself.
DEPENDENCIES = ("holidays", "python-dateutil", "pydantic", "pydantic_core", "PyYAML", "rfc8785")
UNHASHED = ("record_sha256", "signature")


def durable_rules_version() -> str:
    return _version("durable_rules")


@functools.cache  # the code this process runs was imported once: its version does not change under it
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - depends on how it was installed
        return "unknown"


def dependency_versions() -> dict[str, str]:
    """The installed version of every library that shapes a decision, and of Python."""
    return {**{dist: _version(dist) for dist in DEPENDENCIES}, "python": platform.python_version()}


class RecordedRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: str
    valid_from: date
    valid_to: date | None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Signature(BaseModel):
    """An Ed25519 signature over the same canonical bytes the record's sha256 is taken over."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: Literal["Ed25519"]
    key: str = Field(pattern=r"^SHA256:[A-Za-z0-9+/]{43}$", description="Fingerprint of the signing key.")
    public_key: str = Field(max_length=100, description="The raw public key, base64; its fingerprint is `key`.")
    value: str = Field(max_length=200, description="The signature, base64.")


class DecisionRecord(BaseModel):
    """Everything needed to reproduce one decision months later."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_schema_version: RecordSchema = RECORD_SCHEMA_VERSION
    created_at: datetime = Field(description="When the record was written; not part of the decision.")
    engine_version: str
    durable_rules_version: str
    dependencies: dict[str, str] | None = Field(
        default=None, description="Versions of the libraries that shape a decision (schema 2).")
    ruleset: RecordedRuleSet
    facts: dict[str, Any] = Field(description="The facts exactly as given.")
    decision: dict[str, Any] = Field(description="The full decision, trace included.")
    record_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the record without this field.")
    signature: Signature | None = None

    # The JSON document exactly as written or read: hashes are over it, never over a
    # re-serialisation of the parsed fields. ``_respelt`` says why the stored bytes are not the
    # canonical spelling of that document, if they are not.
    _document: dict[str, Any] | None = PrivateAttr(default=None)
    _respelt: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_document(cls, data: Any, handler: ModelWrapValidatorHandler[DecisionRecord]) -> DecisionRecord:
        """Keep the JSON document a record is validated from: its hash is over that, as stored."""
        record = handler(data)
        if isinstance(data, dict) and record._document is None:
            record._document = _json_copy(data)
        return record

    @property
    def document(self) -> dict[str, Any]:
        if self._document is not None:
            return self._document
        return self.model_dump(mode="json", exclude={k for k in ("dependencies", "signature") if getattr(self, k) is None})

    @property
    def scheme(self) -> str:
        return SCHEMES[self.record_schema_version]

    def signed_bytes(self) -> bytes:
        """The bytes the hash and the signature are over: the record without both, canonical."""
        content = {k: v for k, v in self.document.items() if k not in UNHASHED}
        if self.record_schema_version == "1":
            return _json_v1(content)
        try:
            return canonical_json(content)
        except CanonicalJSONError as exc:
            raise RecordError(f"the record cannot be hashed: {exc}") from None

    def content_sha256(self) -> str:
        return hashlib.sha256(self.signed_bytes()).hexdigest()

    def to_json(self) -> str:
        """The record as it is stored: canonical JSON (RFC 8785) with whitespace between tokens."""
        if self.record_schema_version == "1":
            return json.dumps(self.document, indent=2, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n"
        try:
            return laid_out(self.document) + "\n"
        except CanonicalJSONError as exc:
            raise RecordError(f"the record cannot be written: {exc}") from None

    def write(self, path: Path | str) -> None:
        """Write the record atomically (temporary file beside ``path``, fsync, rename), readable by its owner only."""
        write_atomic(path, self.to_json().encode("utf-8"), permissions=0o600, error=RecordError)


def _json_copy(data: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of a parsed JSON document; None for Python objects (then the fields are what counts)."""
    try:
        copied: dict[str, Any] = json.loads(json.dumps(data, allow_nan=False))
        return copied
    except TypeError:  # built from Python objects (a datetime, a model), not from a JSON document
        return None
    except (ValueError, RecursionError):  # NaN or Infinity: kept, so hashing refuses the record
        return copy.deepcopy(data)


def _json_v1(payload: Any) -> bytes:
    try:
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        raise RecordError("the record holds a value JSON does not allow (NaN, Infinity or a non-JSON type)") from None


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^"{}\[\]:,]+')
_OPEN, _CLOSE = frozenset("{["), frozenset("}]")


def laid_out(document: Any) -> str:
    """The canonical JSON of ``document`` with two-space indentation, as a record is stored.

    For data without floats (a record has none) Python's encoder lays it out directly, which
    equals ``pretty(canonical_json(document))`` (a property test compares them).
    """
    if is_plain(document):
        try:
            text = json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2, separators=(",", ": "),
                              allow_nan=False)
            text.encode("utf-8")  # a lone surrogate: canonical_json words the error
            return text
        except UnicodeEncodeError:
            pass
    return pretty(canonical_json(document).decode("utf-8"))


def pretty(canonical: str) -> str:
    """Canonical JSON laid out with two-space indentation; only whitespace between tokens is added."""
    out: list[str] = []
    depth = 0
    tokens = _TOKEN.findall(canonical)
    for i, token in enumerate(tokens):
        if token in _OPEN:
            if i + 1 < len(tokens) and tokens[i + 1] in _CLOSE:
                out.append(token)
                continue
            depth += 1
            out.append(token + "\n" + "  " * depth)
        elif token in _CLOSE:
            if i and tokens[i - 1] in _OPEN:
                out.append(token)
                continue
            depth -= 1
            out.append("\n" + "  " * depth + token)
        elif token == ",":
            out.append(",\n" + "  " * depth)
        elif token == ":":
            out.append(": ")
        else:
            out.append(token)
    return "".join(out)


_INSIGNIFICANT = re.compile(rb'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.DOTALL)


def squeeze(raw: bytes) -> bytes:
    """JSON bytes without the whitespace outside strings."""
    return _INSIGNIFICANT.sub(lambda m: m.group(1) or b"", raw)


def make_record(ruleset: RuleSet, facts: FactsInput, *, created_at: datetime | None = None,
                sign_key: signing.KeySource | None = None) -> DecisionRecord:
    """Evaluate the facts under ``ruleset`` and wrap facts and decision in a record.

    With ``sign_key`` (an Ed25519 private key: PEM bytes or a path; needs ``sps-rules[sign]``)
    the record is signed.
    """
    given = _as_given(facts)
    private = signing.load_private_key(sign_key) if sign_key is not None else None
    decision = ruleset.evaluate(given)
    when = created_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise RecordError("created_at must carry a time zone")
    body: dict[str, Any] = {
        "record_schema_version": RECORD_SCHEMA_VERSION,
        "created_at": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "engine_version": __version__,
        "durable_rules_version": durable_rules_version(),
        "dependencies": dependency_versions(),
        "ruleset": {
            "id": ruleset.id,
            "version": ruleset.version,
            "valid_from": ruleset.valid_from.isoformat(),
            "valid_to": ruleset.valid_to.isoformat() if ruleset.valid_to else None,
            "sha256": ruleset.sha256,
        },
        "facts": given,
        "decision": decision.model_dump(mode="json"),
    }
    draft = _from_document({**body, "record_sha256": "0" * 64}, "record")
    body["record_sha256"] = draft.content_sha256()
    if private is not None:
        body["signature"] = signing.sign(private, draft.signed_bytes())
    return _from_document(body, "record")


def _from_document(document: dict[str, Any], name: str) -> DecisionRecord:
    try:
        record = DecisionRecord.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise RecordError(f"{name}: invalid decision record: {where}: {first['msg']}"
                          + (f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else "")) from None
    return record


def _as_given(facts: FactsInput) -> dict[str, Any]:
    if isinstance(facts, Path):
        facts = read_bounded(facts, MAX_FACTS_BYTES, what="facts file", error=FactsError)
    if isinstance(facts, (str, bytes)):
        data = loads_strict(facts, what="facts", max_bytes=MAX_FACTS_BYTES, error=FactsError)
    elif isinstance(facts, BaseModel):
        data = facts.model_dump(mode="json", exclude_none=True)
    else:
        try:
            data = json.loads(json.dumps(dict(facts), default=str))
        except (TypeError, ValueError):
            raise FactsError(f"expected a JSON object of citizen facts, got {type(facts).__name__}") from None
    if not isinstance(data, dict):
        raise FactsError("the facts must be a JSON object")
    coerce_facts(data)  # refuse bad facts before anything is written
    try:
        canonical_json(data)
    except CanonicalJSONError as exc:
        raise FactsError(str(exc)) from None
    return data


@guarded("record")
def record(municipality: str, facts: FactsInput, *, created_at: datetime | None = None,
           root: Path | str | None = None, sign_key: signing.KeySource | None = None) -> DecisionRecord:
    """Evaluate and return a self-contained, hashed decision record (write it with ``.write(path)``).

    Takes the same as ``evaluate`` (facts: a ``CitizenFacts``, a mapping, JSON text or a ``Path``),
    ``created_at`` (default: now; the only clock read, and not part of the decision) and
    ``sign_key`` (an Ed25519 private key PEM, as bytes or a path; signing needs
    ``pip install 'sps-rules[sign]'``). Returns a ``DecisionRecord``. Raises ``FactsError`` and
    ``RuleSetNotFound`` as ``evaluate``.

    >>> rec = sps_rules.record("roskilde", Path("examples/roskilde-citizen.json"))
    >>> rec.ruleset.version, rec.decision["eligibility"]
    ('2020-01', 'eligible')
    """
    given = _as_given(facts)
    citizen = coerce_facts(given)
    return make_record(load_ruleset(municipality, citizen.assessment_date, root=root), given,
                       created_at=created_at, sign_key=sign_key)


@guarded("read_record")
def read_record(source: Path | str | bytes) -> DecisionRecord:
    """A stored decision record.

    Takes a file path (``Path`` or ``str``) or the record's JSON as ``bytes``. Returns the
    ``DecisionRecord``. A record that parses but whose bytes are not the canonical spelling of
    its content is returned; ``verify`` and ``replay`` report it as altered. Raises
    ``RecordError`` (a ``ValueError``) if it cannot be read, is corrupt or invalid.

    >>> rec = sps_rules.record("roskilde", {"assessment_date": "2026-03-02"})
    >>> sps_rules.read_record(rec.to_json().encode()).decision == rec.decision
    True
    """
    name = "record"
    if isinstance(source, (str, Path)):
        name = str(source)
        raw = read_bounded(source, MAX_RECORD_BYTES, what="record", error=RecordError)
    else:
        raw = source
    data = loads_strict(raw, what=name, max_bytes=MAX_RECORD_BYTES, error=RecordError)
    if not isinstance(data, dict):
        raise RecordError(f"{name}: invalid decision record: (top level): a record is a JSON object")
    record = _from_document(data, name)
    if record.record_schema_version != "1":
        try:
            expected = canonical_json(data)
        except CanonicalJSONError as exc:
            raise RecordError(f"{name}: not a decision record: {exc}") from None
        if raw != (laid_out(data) + "\n").encode("utf-8") and squeeze(raw) != expected:  # as written, or re-laid out
            record._respelt = _first_difference(squeeze(raw), expected)
    return record


def _first_difference(stored: bytes, canonical: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(stored, canonical, strict=False)) if a != b), min(len(stored), len(canonical)))
    return (f"whitespace aside, it differs from the canonical form at byte {at}: "
            "a value respelt, an escape, the key order or a duplicate key")


@dataclass(frozen=True)
class Integrity:
    """What a record's own hash and signature say about it."""

    problems: list[str]
    signed_by: str | None  # the fingerprint of the key that signed it, if the signature holds
    key_checked: bool  # the signature was checked against a key the caller gave

    @property
    def signature_status(self) -> str:
        if self.signed_by is None:
            return "unsigned"
        how = "checked against the given key" if self.key_checked else \
            "valid for the key the record carries; give a verify key to check whose key it is"
        return f"signed by {self.signed_by} ({how})"


def check_integrity(record: DecisionRecord, verify_key: signing.KeySource | None = None) -> Integrity:
    """Hash, canonical spelling and signature of a record, without re-evaluating it."""
    problems: list[str] = []
    if record._respelt:
        problems.append(f"the record's bytes are not as they were written ({record._respelt}); "
                        "it was altered after it was written")
    computed = record.content_sha256()
    if computed != record.record_sha256:
        problems.append(
            f"the record's own sha256 does not match its content (recorded {record.record_sha256[:12]}…, "
            f"computed {computed[:12]}…): it was altered after it was written"
        )
    signed_by = None
    expected = signing.load_public_key(verify_key) if verify_key is not None else None
    if record.signature is None:
        if expected is not None:
            problems.append(f"the record is unsigned, but it was to be verified with key {signing.fingerprint(expected)}")
    else:
        problem = signing.verify(record.signature.model_dump(), record.signed_bytes(), expected)
        if problem:
            problems.append(problem)
        else:
            signed_by = record.signature.key
    return Integrity(problems, signed_by, signed_by is not None and expected is not None)


def verify(record: DecisionRecord, verify_key: signing.KeySource | None = None) -> Integrity:
    """Raise ``RecordError`` unless the record is as it was written (and signed by ``verify_key``)."""
    integrity = check_integrity(record, verify_key)
    if integrity.problems:
        raise RecordError("the record cannot be trusted: " + "; ".join(integrity.problems))
    return integrity


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
    engines_agree: bool | None = None  # with both engines: whether durable-rules gave the same decision
    scheme: str = ""  # which hash scheme the record uses
    signature: str = "unsigned"  # "unsigned" or "signed by SHA256:… (…)"
    versions_changed: list[str] = field(default_factory=list)  # "holidays 0.109 → 0.120", …

    @property
    def exit_code(self) -> int:
        return 0 if self.reproduced else 1

    def report(self) -> str:
        about = [f"{self.scheme}; {self.signature}"] if self.scheme else []
        if self.reproduced:
            if self.engines_agree:
                about.append("two independent engines (the compiled rule set and durable-rules) agree")
            if self.versions_changed:
                about.append("library versions differ, without changing the decision: " + ", ".join(self.versions_changed))
            return "\n".join(["reproduced exactly", *about])
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
            if self.versions_changed:
                lines.append("likely cause: library versions differ from the record's: " + ", ".join(self.versions_changed))
        elif self.decision is not None:
            lines.append("the replayed decision itself is identical")
            if self.versions_changed:
                lines.append("library versions differ, without changing the decision: " + ", ".join(self.versions_changed))
        return "\n".join(lines + about)


@guarded("replay")
def replay(source: DecisionRecord | Path | str | bytes, *, root: Path | None = None,
           verify_key: signing.KeySource | None = None, now: datetime | None = None,
           engine: Engine | Literal["both"] = "compiled") -> ReplayResult:
    """Re-evaluate a record with the rule-set version it names and compare, field by field.

    Checks first what the record says about itself (hash, canonical spelling, signature, and
    with ``verify_key`` that this key signed it) and its header against the release.
    Takes a ``DecisionRecord``, a path to one, or its JSON as ``bytes``. Returns a
    ``ReplayResult``: ``.reproduced`` (True only when nothing differs), ``.problems``,
    ``.differences``, ``.report()`` and ``.exit_code``. Raises ``RecordError`` for a record that
    cannot be read; everything else it finds is reported, not raised. ``engine="both"`` also
    re-runs it on durable-rules, the independent second engine, and reports whether the two
    agree (a disagreement is a problem: not reproduced).

    >>> rec = sps_rules.record("roskilde", {"assessment_date": "2026-03-02"})
    >>> sps_rules.replay(rec).report().splitlines()[0]
    'reproduced exactly'
    """
    record = source if isinstance(source, DecisionRecord) else read_record(source)
    integrity = check_integrity(record, verify_key)
    result = ReplayResult(reproduced=False, scheme=record.scheme, signature=integrity.signature_status)
    result.problems += integrity.problems
    result.problems += _header_problems(record, now or datetime.now(UTC))
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
    released = (ruleset.valid_from, ruleset.valid_to)
    if (record.ruleset.valid_from, record.ruleset.valid_to) != released:
        result.problems.append(
            f"the record says rule set {rid} {version} is valid {_span(record.ruleset.valid_from, record.ruleset.valid_to)}, "
            f"the release says {_span(*released)}")
    if record.engine_version != __version__:
        result.problems.append(f"engine version differs: recorded {record.engine_version}, now {__version__}")
    if record.durable_rules_version != durable_rules_version():
        result.problems.append(
            f"durable-rules version differs: recorded {record.durable_rules_version}, now {durable_rules_version()}")
    then = {"sps-rules": record.engine_version, "durable_rules": record.durable_rules_version, **(record.dependencies or {})}
    now_versions = {"sps-rules": __version__, "durable_rules": durable_rules_version(), **dependency_versions()}
    result.versions_changed = [f"{dist} {was} → {now_versions.get(dist, 'not installed')}"
                               for dist, was in then.items() if now_versions.get(dist) != was]
    try:
        citizen = coerce_facts(record.facts)
        decision = ruleset.evaluate(citizen, check_dates=False, engine="compiled" if engine == "both" else engine)
    except FactsError as exc:
        result.problems.append(f"the recorded facts are no longer valid: {exc}")
        return result
    if engine == "both":
        try:
            second = ruleset.evaluate(citizen, check_dates=False, engine="durable-rules")
        except EngineUnavailable as exc:
            result.problems.append(f"the second engine could not run: {exc}")
        else:
            result.engines_agree = second.to_json() == decision.to_json()
            if not result.engines_agree:
                result.problems.append("the two engines disagree: durable-rules gives another decision than the "
                                       "compiled rule set (rules: " + ", ".join(ruleset.disagreements(citizen)) + ")")
    result.problems += _facts_changed(record.decision, fact_values(citizen))
    result.decision = decision
    order = {name: i for i, name in enumerate(Decision.model_fields)}
    found = diff(record.decision, decision.model_dump(mode="json"))
    result.differences = sorted(found, key=lambda d: order.get(d.path.split(".")[0].split("[")[0], len(order)))
    result.reproduced = not result.problems and not result.differences
    return result


def _span(start: date, end: date | None) -> str:
    return f"{start} .. {end or 'open'}"


EARLIEST_RECORD = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)


def _header_problems(record: DecisionRecord, now: datetime) -> list[str]:
    """The record's header against itself: time written, and the rule set its decision names."""
    out = []
    created = record.created_at
    if created.tzinfo is None:
        out.append("created_at has no time zone; a record states when it was written in UTC")
    elif created > now + CLOCK_SKEW:
        out.append(f"created_at {created.isoformat()} lies in the future")
    elif created < EARLIEST_RECORD:
        out.append(f"created_at {created.isoformat()} lies before any record could have been written")
    header, named = record.ruleset, record.decision.get("ruleset")
    if isinstance(named, dict):
        said = {k: named.get(k) for k in ("id", "version", "valid_from", "valid_to", "sha256")}
        if said != header.model_dump(mode="json"):
            out.append("the record's header and its decision name different rule sets (id, version, validity or sha256)")
    if record.decision.get("engine_version") not in (None, record.engine_version):
        out.append("the record's header and its decision name different engine versions")
    assessed = record.decision.get("assessment_date")
    try:
        day = date.fromisoformat(assessed) if isinstance(assessed, str) else None
    except ValueError:
        day = None
    if day is not None and not (header.valid_from <= day and (header.valid_to is None or day <= header.valid_to)):
        out.append(f"the assessment date {day} lies outside the rule set's validity "
                   f"{_span(header.valid_from, header.valid_to)}")
    return out


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
