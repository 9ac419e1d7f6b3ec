"""Roskilde's latest version written by hand in plain Python: the baseline of issue 17's "within 2×" target.

``decide(facts)`` gives the same compact JSON as
``sps_rules.load_ruleset("roskilde").evaluate(facts).to_json(indent=None)`` for Roskilde
2020-01 (rules/roskilde/roskilde-2020-01.yaml on top of rules/national/national-2021-08.yaml),
with the logic written out as ordinary ``if``s: each rule's condition (three-valued: True, False
or None for unknown), eligibility, the outcome parts, the trace (result, fired, note), deadlines
with their counting text, unknown criteria naming the missing facts, needs and requests.

Only static text is prepared at start-up, read with PyYAML from the two rule files (reasons,
citations, document titles), the rule set's sha256 from ``rules/roskilde/releases.lock`` and
the engine version string: each part becomes a JSON fragment once. Nothing at decision time
calls into sps_rules (no RuleSet, no engine, no pydantic); public holidays come from the
``holidays`` package, as in sps_rules.

The script checks byte-identity on N generated citizens (three seeds) against sps_rules, stops
with the first differing citizen's diff, then times side by side, per decision, warm, the median
of a few rounds: (a) ``decide``, (b) ``ruleset.evaluate(facts)``, (c) ``evaluate(...).to_json(
indent=None)``; it prints a Markdown table.

    .venv/bin/python benchmarks/handwritten_roskilde.py [N]
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
VALID_FROM = "2020-01-01"  # Roskilde 2020-01 applies from this day, with no end

# --- static text, prepared once --------------------------------------------------------------


def _j(value: Any) -> str:
    """Compact JSON as pydantic writes it (UTF-8 text, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


_KINDS = ("criterion", "need", "request", "support_form", "referral", "condition", "assessment", "deadline",
          "principle")


def _rules() -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, Any], dict[str, str]]:
    """Every rule of Roskilde 2020-01 by id, with its origin, kind and citation as a JSON fragment;
    also both files' headers and the sha256 of the released version."""
    national = _read_yaml(RULES / "national" / "national-2021-08.yaml")
    roskilde = _read_yaml(RULES / "roskilde" / "roskilde-2020-01.yaml")
    docs_of = {
        "national": {d["id"]: d for d in national["ruleset"]["sources"]},
        "roskilde": {d["id"]: d for d in roskilde["ruleset"]["sources"]},
    }
    first_doc = {"national": national["ruleset"]["sources"][0]["id"], "roskilde": roskilde["ruleset"]["sources"][0]["id"]}

    def cite(src: dict[str, Any], origin: str, with_also: list[dict[str, Any]]) -> dict[str, Any]:
        name = src.get("document") or first_doc[origin]
        doc = docs_of["national"][name.split(":", 1)[1]] if ":" in name else docs_of[origin][name]
        kind = doc.get("kind", "standard")
        place = src.get("section") or ""
        if src.get("paragraph") is not None:
            place = src["paragraph"] + (f", stk. {src['stk']}" if src.get("stk") is not None else "")
        citation = None
        if kind == "statute" and src.get("paragraph") is not None:
            c = doc["consolidation"]
            citation = f"{doc['law']} {place}, jf. {c['type']} nr {c['number']} af {c['date']:%d/%m/%Y}"
        return {"document": doc["title"], "section": place, "quote": src["quote"],
                "legal_reference": src.get("legal_reference"), "kind": kind, "citation": citation,
                "also": [cite(a, origin, []) for a in with_also]}

    merged: list[dict[str, Any]] = []
    for origin, data in (("national", national), ("roskilde", roskilde)):
        for rule in data["rules"]:
            rule = {**rule, "origin": origin, "kind": next(k for k in _KINDS if k in rule),
                    "src": _j(cite(rule["source"], origin, rule.get("also", [])))}
            at = next((i for i, r in enumerate(merged) if r["id"] == rule["id"]), None)
            if at is None:
                merged.append(rule)
            else:
                merged[at] = rule  # override: true keeps the baseline rule's place
    lock = _read_yaml(RULES / "roskilde" / "releases.lock")
    sha = {entry["version"]: entry["sha256"] for entry in lock}
    return {r["id"]: r for r in merged}, national["ruleset"], roskilde["ruleset"], sha


def _engine_version() -> str:
    text = (ROOT / "src" / "sps_rules" / "version.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    assert found is not None
    return found.group(1)


_R, _NATIONAL, _ROSKILDE, _SHA = _rules()
SRC: dict[str, str] = {rule_id: rule["src"] for rule_id, rule in _R.items()}

# What each rule's condition reads, in the trace's words (age is read from birth_date).
READS: dict[str, tuple[str, ...]] = {
    "target.age": ("birth_date", "age"),
    "target.function": ("function_levels.physical_functions", "function_levels.mental_functions",
                        "special_social_problems"),
    "target.need": ("support_need_level",),
    "handleplan.offer": ("function_levels.physical_functions", "function_levels.mental_functions",
                         "special_social_problems"),
    "complaint.ankestyrelsen": ("complaint_received_date",),
    "target.residence": ("resident_municipality",),
    "target.less_intrusive": ("need_met_by_less_intrusive_offer",),
    "target.support_need": ("support_need_level",),
    "referral.open_offers": ("need_met_by_less_intrusive_offer",),
    "form.group_not_possible": ("can_participate_in_group",),
    "request.hospital_stay_exception": ("requests",),
    "assessment.not_active": ("can_participate_actively", "wants_to_participate"),
    "assessment.home_not_safe": ("home_is_safe_workplace",),
}
for _id, _rule in _R.items():
    if _id.startswith(("need.", "request.")) and _rule["kind"] in ("need", "request"):
        READS[_id] = ("needs",) if _rule["kind"] == "need" else ("requests",)
# The rules that apply only when the citizen is eligible or undetermined (when_eligibility).
GATED = {rule_id for rule_id, rule in _R.items() if rule.get("when_eligibility")}


def _entry(rule_id: str, result: str, fired: bool, note: str | None = None) -> str:
    rule = _R[rule_id]
    return (f'{{"rule_id":{_j(rule_id)},"kind":"{rule["kind"]}","origin":"{rule["origin"]}","result":"{result}",'
            f'"fired":{_j(fired)},"note":{_j(note)},"reads":{_j(list(READS.get(rule_id, ())))},'
            f'"source":{SRC[rule_id]}}}')


# Per rule, its trace entry by the condition's value (True, False, None = unknown); for a gated
# rule that is true but the citizen is not eligible, CLOSED holds the entry with its note.
TRACE: dict[str, dict[bool | None, str]] = {
    rule_id: {True: _entry(rule_id, "true", True), False: _entry(rule_id, "false", False),
              None: _entry(rule_id, "unknown", False)} for rule_id in _R}
CLOSED = {rule_id: _entry(rule_id, "true", False, "gælder kun ved eligibility eligible eller undetermined; "
                          "her not_eligible") for rule_id in GATED}


def _criterion(rule_id: str, status: str) -> str:
    crit = _R[rule_id]["criterion"]
    return f'{{"id":"{rule_id}","status":"{status}","reason":{_j(crit[status])},"source":{SRC[rule_id]}}}'


MET = {rule_id: _criterion(rule_id, "met") for rule_id, r in _R.items() if r["kind"] == "criterion"}
NOT_MET = {rule_id: _criterion(rule_id, "not_met") for rule_id, r in _R.items() if r["kind"] == "criterion"}
# An unknown criterion's reason ends "(mangler: <facts>)": the head and the tail around that list.
UNKNOWN_HEAD = {rule_id: f'{{"id":"{rule_id}","status":"unknown","reason":{_j(r["criterion"]["unknown"])[:-1]} '
                f'(mangler: ' for rule_id, r in _R.items() if r["kind"] == "criterion"}
UNKNOWN_TAIL = {rule_id: f')","source":{SRC[rule_id]}}}' for rule_id in UNKNOWN_HEAD}


def _part(rule_id: str) -> str:
    """A support form, condition, assessment or referral as it stands in the decision."""
    r = _R[rule_id]
    kind, text, src = r["kind"], _j(r["text"]), SRC[rule_id]
    if kind == "support_form":
        sf = r["support_form"]
        return f'{{"form":"{sf["form"]}","status":"{sf["status"]}","reason":{text},"source":{src}}}'
    if kind == "condition":
        return f'{{"id":"{rule_id}","category":"{r["condition"]["category"]}","text":{text},"source":{src}}}'
    if kind == "assessment":
        return f'{{"id":"{rule_id}","text":{text},"about":{_j(r["assessment"]["about"])},"source":{src}}}'
    ref = r["referral"]
    return f'{{"to":{_j(ref["to"])},"legal_basis":{_j(ref.get("legal_basis"))},"reason":{text},"source":{src}}}'


PART = {rule_id: _part(rule_id) for rule_id, r in _R.items()
        if r["kind"] in ("support_form", "condition", "assessment", "referral")}

# Needs and requests by code: the rule that names the code, else the baseline's default.
NEED_CODES = ("daily_structure", "finances", "mail", "mobility", "social_relations", "network", "treatment",
              "welfare_technology", "medication", "practical_tasks", "self_care", "communication", "community_life",
              "health")
REQUEST_CODES = ("escort_with_pedagogical_support", "escort_only", "practical_help_by_staff", "specialist_therapy",
                 "debt_counselling", "visiting_friend", "transport", "hospital_stay_support",
                 "meeting_support_other_department", "employment_or_education_support", "specialist_health_advice",
                 "free_choice_of_provider", "support_in_own_home")
THEMES = ("physical_functions", "mental_functions", "self_care", "practical_tasks", "mobility", "communication",
          "relations", "community_life", "health_conditions", "social_conditions")


def _code_rule(kind: str, code: str) -> str:
    default = "needs.not_listed" if kind == "need" else "requests.not_addressed"
    return next((rid for rid, r in _R.items() if r["kind"] == kind and r[kind].get("code") == code), default)


NEED = {}
for _code in NEED_CODES:
    _rid = _code_rule("need", _code)
    NEED[_code] = (f'{{"need":"{_code}","status":"{_R[_rid]["need"]["status"]}","reason":{_j(_R[_rid]["text"])},'
                   f'"source":{SRC[_rid]}}}')
REQUEST, EXCLUSION, EXCLUSION_REFERRAL = {}, {}, {}
for _code in REQUEST_CODES:
    _rid = _code_rule("request", _code)
    _req = _R[_rid]["request"]
    _text, _src = _j(_R[_rid]["text"]), SRC[_rid]
    REQUEST[_code] = f'{{"request":"{_code}","status":"{_req["status"]}","reason":{_text},"source":{_src}}}'
    if _req["status"] == "excluded":
        _to = _req.get("referral")
        _referral = (f'{{"to":{_j(_to["to"])},"legal_basis":{_j(_to.get("legal_basis"))},"reason":{_text},'
                     f'"source":{_src}}}') if _to else None
        EXCLUSION[_code] = (f'{{"request":"{_code}","reason":{_text},"referral":{_referral or "null"},'
                            f'"source":{_src}}}')
        if _referral:
            EXCLUSION_REFERRAL[_code] = _referral

# Deadlines: the fixed head (kind and anchor) and tail (reason and citation) of each.
_DEADLINE_IDS = ("complaint.deadline", "complaint.reassessment", "follow_up.3_months", "follow_up.6_months",
                 "follow_up.12_months")
DEADLINE_HEAD = {rid: '{"kind":"' + _R[rid]["deadline"]["kind"] + '",' for rid in _DEADLINE_IDS}
DEADLINE_TAIL = {rid: f',"reason":{_j(_R[rid]["text"])},"source":{SRC[rid]}}}' for rid in _DEADLINE_IDS}
DEADLINE_MISSING: dict[str, str] = {
    rid: (DEADLINE_HEAD[rid] + f'"due":null,"earliest":null,"anchor":"{_R[rid]["deadline"]["anchor"]}",'
          f'"anchor_date":null,"status":"missing_anchor","counting":"Kan ikke beregnes: '
          f'{_R[rid]["deadline"]["anchor"]} er ikke oplyst. Datoen gættes ikke."' + DEADLINE_TAIL[rid])
    for rid in _DEADLINE_IDS}

_notes = [*_NATIONAL.get("notes", []), *_ROSKILDE.get("notes", [])]
_base = _ROSKILDE["extends"]
RULESET = _j({"id": _ROSKILDE["id"], "version": _ROSKILDE["version"], "title": _ROSKILDE["title"],
              "municipality": _ROSKILDE.get("municipality"), "valid_from": VALID_FROM, "valid_to": None,
              "sha256": _SHA[_ROSKILDE["version"]], "base": f"{_base['ruleset']}@{_base['version']}",
              "notes": _notes})
ASSESSMENT_DATE = ('","individual_assessment":{"text":' + _j(_R["individual_assessment"]["text"]) + ',"source":'
                   + SRC["individual_assessment"] + '},"legal_basis":' + _j(_ROSKILDE["legal_basis"])
                   + ',"assessment_date":"')
AFTER_DATE = '","engine_version":"' + _engine_version() + '","ruleset":' + RULESET + ',"criteria":['

# Runs of trace entries and parts that depend only on whether the gate is open (eligible or
# undetermined) or closed (not eligible): joined once for each.


def _run(rule_ids: tuple[str, ...], open_: bool) -> str:
    return ",".join(TRACE[r][True] if open_ or r not in GATED else CLOSED[r] for r in rule_ids)


_SCOPE = ("scope.housing_form", "scope.temporary_or_lasting", "scope.appointments", "scope.escort_to_activities",
          "scope.not_employment", "handleplan.consider")
_FORMS = ("form.group", "form.group_and_individual", "form.individual", "form.course", "form.digital",
          "form.assessment")
_NEED_RULES = tuple(rid for rid in _R if _R[rid]["kind"] == "need" and rid != "needs.not_listed")
_REQUEST_RULES = tuple(rid for rid in _R if rid.startswith("request."))
TRACE_SCOPE = {True: _run(_SCOPE, True), False: _run(_SCOPE, False)}
TRACE_COMPLAINT = TRACE["complaint.deadline"][True] + "," + TRACE["complaint.reassessment"][True]
TRACE_DEFAULTS = TRACE["needs.not_listed"][True] + "," + TRACE["requests.not_addressed"][True]
TRACE_FORMS = {True: _run(_FORMS, True), False: _run(_FORMS, False)}
TRACE_CONTENT = {True: _run(("scope.content", "scope.places", "scope.extent", "scope.rehabilitating"), True),
                 False: _run(("scope.content", "scope.places", "scope.extent", "scope.rehabilitating"), False)}
TRACE_FOLLOW_UP = {o: _run(("condition.provider", "condition.costs", "follow_up.3_months", "follow_up.6_months",
                            "follow_up.12_months"), o) for o in (True, False)}
TRACE_HEAD = TRACE["individual_assessment"][True] + ","
# complaint.deadline, complaint.reassessment, complaint.ankestyrelsen (known or not), needs/requests defaults
TRACE_COMPLAINT_ANKE = {known: ",".join((TRACE_COMPLAINT, TRACE["complaint.ankestyrelsen"][known], TRACE_DEFAULTS))
                        + "," for known in (True, False)}
TRACE_ACTIVE = {o: _run(("condition.active_participation",), o) + "," for o in (True, False)}
TRACE_HOME = {o: "," + _run(("condition.report_changes", "condition.home_workplace"), o) + "," for o in (True, False)}
NEEDS_UNKNOWN = ",".join(TRACE[r][None] for r in _NEED_RULES)
REQUESTS_UNKNOWN = ",".join(TRACE[r][None] for r in _REQUEST_RULES)
# (rule, the request code it names); None for the assessment of the hospital-stay exception
REQUEST_RULE_CODES = tuple((r, _R[r]["request"]["code"] if _R[r]["kind"] == "request" else None)
                           for r in _REQUEST_RULES)
NEED_RULE_OF = {_R[r]["need"]["code"]: r for r in _NEED_RULES}
FORMS = ",".join(PART[r] for r in _FORMS[:5])
CONDITIONS_HEAD = ",".join(PART[r] for r in _SCOPE)
CONDITIONS_TAIL = ",".join(PART[r] for r in ("scope.content", "scope.places", "scope.rehabilitating",
                                               "condition.active_participation", "condition.report_changes",
                                               "condition.home_workplace", "condition.provider", "condition.costs"))

# --- facts --------------------------------------------------------------------------------------

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FLAGS = ("special_social_problems", "can_participate_actively", "wants_to_participate", "can_participate_in_group",
          "need_met_by_less_intrusive_offer", "home_is_safe_workplace")
_DATES = ("birth_date", "support_start_date", "last_support_used_date", "decision_notified_date",
          "complaint_received_date")
_FIELDS = frozenset(("assessment_date", "resident_municipality", "function_levels", "support_need_level", "needs",
                     "requests", *_FLAGS, *_DATES))
_THEME_SET = frozenset(THEMES)
_NEED_SET, _REQUEST_SET = frozenset(NEED_CODES), frozenset(REQUEST_CODES)
_FLAG_TYPES = frozenset((bool, type(None)))
_LEVEL_TYPES, _LEVELS = frozenset((int, type(None))), frozenset((None, 0, 1, 2, 3, 4))  # both: 1.0 == True == 1
# JSON of a flag or level value (both validated first: a level is never a bool here).
_B: dict[bool | None, str] = {None: "null", True: "true", False: "false"}
_N: dict[int | None, str] = {None: "null", 0: "0", 1: "1", 2: "2", 3: "3", 4: "4"}


_GOOD_DAYS: set[str] = set()  # date texts already found valid (forgotten when large)


def _day(facts: dict[str, Any], name: str) -> str | None:
    value = facts.get(name)
    if value is None or (type(value) is str and value in _GOOD_DAYS):
        return value
    if type(value) is not str or not _DAY.fullmatch(value):
        raise ValueError(f"{name}: expected a date written YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: not a calendar date") from None
    if not "1900-01-01" <= value <= "2200-12-31":
        raise ValueError(f"{name}: outside 1900-01-01..2200-12-31")
    if len(_GOOD_DAYS) >= 100_000:
        _GOOD_DAYS.clear()
    _GOOD_DAYS.add(value)
    return value


def _codes(value: Any, name: str, allowed: frozenset[str]) -> list[str] | None:
    """A list of known codes, sorted and without repeats."""
    if value is None:
        return None
    if type(value) is not list and type(value) is not tuple:
        raise ValueError(f"{name}: expected a list of codes")
    try:
        if allowed.issuperset(value):  # only text equals a code
            return sorted(set(value))
    except TypeError:  # an unhashable item
        pass
    raise ValueError(f"{name}: expected a list of known codes")


def _l(codes: list[str] | None) -> str:
    return "null" if codes is None else '["' + '","'.join(codes) + '"]' if codes else "[]"


# --- dates --------------------------------------------------------------------------------------

_HOLIDAYS: dict[int, dict[date, str]] = {}


def _holiday(day: date) -> str | None:
    year = _HOLIDAYS.get(day.year)
    if year is None:
        year = _HOLIDAYS[day.year] = dict(holidays.country_holidays("DK", years=day.year, language="da"))
    return year.get(day)


def _weeks_deadline(rule_id: str, anchor: str | None, weeks: int) -> str:
    """anchor + weeks, moved to the next working day (not Saturday, Sunday or a Danish public holiday)."""
    if anchor is None:
        return DEADLINE_MISSING[rule_id]
    due = date.fromisoformat(anchor) + timedelta(weeks=weeks)
    name = _R[rule_id]["deadline"]["anchor"]
    counting = f"{name} {anchor} + {weeks} uger = {due.isoformat()}"
    moved = due
    while moved.weekday() >= 5 or _holiday(moved) is not None:
        moved += timedelta(days=1)
    if moved != due:
        holiday = _holiday(due)
        why = f"helligdag ({holiday})" if holiday else "lørdag" if due.weekday() == 5 else "søndag"
        counting += f"; {due.isoformat()} er {why}, så fristen flyttes til næste hverdag {moved.isoformat()}"
    return (f'{DEADLINE_HEAD[rule_id]}"due":"{moved.isoformat()}","earliest":null,"anchor":"{name}",'
            f'"anchor_date":"{anchor}","status":"computed","counting":{_j(counting)}{DEADLINE_TAIL[rule_id]}')


def _months_deadline(rule_id: str, start: str | None, months: int) -> str:
    """start + calendar months, clamped at the month's end."""
    if start is None:
        return DEADLINE_MISSING[rule_id]
    y, m, d = int(start[:4]), int(start[5:7]), int(start[8:])
    y, m = y + (m - 1 + months) // 12, (m - 1 + months) % 12 + 1
    due = f"{y:04d}-{m:02d}-{min(d, monthrange(y, m)[1]):02d}"
    return (f'{DEADLINE_HEAD[rule_id]}"due":"{due}","earliest":null,"anchor":"support_start_date",'
            f'"anchor_date":"{start}","status":"computed","counting":"support_start_date {start} + {months} '
            f'{"måned" if months == 1 else "måneder"} = {due}"{DEADLINE_TAIL[rule_id]}')


# --- the decision -------------------------------------------------------------------------------

# Deadline fragments by anchor date, as sps_rules keeps them too; forgotten when full.
_MEMO: dict[tuple[str, str | None], str] = {}
_FOLLOW_UPS = (("follow_up.3_months", 3), ("follow_up.6_months", 6), ("follow_up.12_months", 12))
_NEED_TRACE = tuple((code, TRACE[rule_id][True], TRACE[rule_id][False]) for code, rule_id in NEED_RULE_OF.items())
_REQUEST_TRACE = tuple((code, TRACE[rule_id][True], TRACE[rule_id][False]) for rule_id, code in REQUEST_RULE_CODES)
_HOSPITAL = TRACE["request.hospital_stay_exception"]
_FUNCTION_FACTS = ("function_levels.physical_functions", "function_levels.mental_functions", "special_social_problems")


def _deadlines(notified: str | None, complained: str | None, start: str | None, open_: bool) -> str:
    """The complaint and reassessment deadlines, then (gate open) the three follow-ups."""
    memo = _MEMO
    if len(memo) >= 4096:
        memo.clear()
    complaint = memo.get(("complaint", notified))
    if complaint is None:
        complaint = memo[("complaint", notified)] = _weeks_deadline("complaint.deadline", notified, 4)
    reassessment = memo.get(("reassessment", complained))
    if reassessment is None:
        reassessment = memo[("reassessment", complained)] = _weeks_deadline("complaint.reassessment", complained, 4)
    if not open_:
        return complaint + "," + reassessment
    follow_up = memo.get(("follow_up", start))
    if follow_up is None:
        follow_up = memo[("follow_up", start)] = ",".join(_months_deadline(r, start, m) for r, m in _FOLLOW_UPS)
    return complaint + "," + reassessment + "," + follow_up


def _bad(name: str, what: str) -> ValueError:
    return ValueError(f"{name}: expected {what}")


def decide(facts: dict[str, Any]) -> str:
    """Roskilde 2020-01's decision for one citizen as compact JSON, byte-identical to sps_rules'.

    Checks, raising ValueError (message names the field, never the value): ``facts`` is a dict
    with no key outside the facts vocabulary; ``assessment_date`` is given and on or after
    2020-01-01 (the version's validity); every date is text YYYY-MM-DD, a calendar date within
    1900-01-01..2200-12-31 (date objects are refused: the input is JSON-ready); levels are ints
    0..4 (not bool); flags are bool; ``resident_municipality`` is a slug; ``function_levels`` is
    a dict of known themes; ``needs``/``requests`` are lists (or tuples) of known codes; the
    birth date is not after the assessment date. A null value is unknown, as an absent one.
    Not checked, unlike sps_rules: size and nesting limits of JSON text (the input is a dict).
    """
    if type(facts) is not dict:
        raise ValueError("expected a dict of citizen facts")
    if not _FIELDS.issuperset(facts):
        raise ValueError("unknown field: " + ", ".join(sorted(str(k)[:40] for k in facts if k not in _FIELDS)[:3]))
    g = facts.get
    on = _day(facts, "assessment_date")
    if on is None:
        raise ValueError("assessment_date is required")
    if on < VALID_FROM:
        raise ValueError("assessment_date is before Roskilde 2020-01 applies")
    born, start, notified, complained = (_day(facts, "birth_date"), _day(facts, "support_start_date"),
                                         _day(facts, "decision_notified_date"), _day(facts, "complaint_received_date"))
    last_used = _day(facts, "last_support_used_date")
    muni = g("resident_municipality")
    if muni is not None and (type(muni) is not str or not _SLUG.fullmatch(muni)):
        raise _bad("resident_municipality", "a municipality slug")
    levels = g("function_levels")
    if levels is not None:
        if type(levels) is not dict or not _THEME_SET.issuperset(levels):
            raise _bad("function_levels", "an object of known themes")
        values = levels.values()
        if not (_LEVEL_TYPES.issuperset(map(type, values)) and _LEVELS.issuperset(values)):
            raise _bad(next("function_levels." + t for t, v in levels.items()
                            if type(v) not in _LEVEL_TYPES or v not in _LEVELS), "a whole number 0..4")
        phys, mental = levels.get("physical_functions"), levels.get("mental_functions")
    else:
        phys = mental = None
    need_level = g("support_need_level")
    if need_level is not None and (type(need_level) is not int or not 0 <= need_level <= 4):
        raise _bad("support_need_level", "a whole number 0..4")
    ssp, active, wants = g("special_social_problems"), g("can_participate_actively"), g("wants_to_participate")
    group, less, safe = g("can_participate_in_group"), g("need_met_by_less_intrusive_offer"), g("home_is_safe_workplace")
    if not _FLAG_TYPES.issuperset((type(ssp), type(active), type(wants), type(group), type(less), type(safe))):
        raise _bad(next(n for n in _FLAGS if type(g(n)) not in _FLAG_TYPES), "true or false")
    needs = _codes(g("needs"), "needs", _NEED_SET)
    requests = _codes(g("requests"), "requests", _REQUEST_SET)
    if born is not None and born > on:
        raise ValueError("birth_date is after assessment_date; check both dates")
    age = None if born is None else int(on[:4]) - int(born[:4]) - (on[5:] < born[5:])

    # --- the criteria (True met, False not met, None unknown) ---
    c_age = None if age is None else age >= 18
    if (phys is not None and phys >= 2) or (mental is not None and mental >= 2) or ssp is True:
        target_group = True  # betydelig nedsat funktionsevne eller særlige sociale problemer
    elif phys is not None and mental is not None and ssp is False:
        target_group = False
    else:
        target_group = None
    c_need = None if need_level is None else need_level >= 1  # the baseline's target.need
    c_residence = None if muni is None else muni == "roskilde"
    c_less = None if less is None else not less
    c_support = None if need_level is None else need_level >= 2
    criteria = (c_age, target_group, c_need, c_residence, c_less, c_support)
    if False in criteria:
        eligibility = "not_eligible"
    elif None in criteria:
        eligibility = "undetermined"
    else:
        eligibility = "eligible"
    open_ = eligibility != "not_eligible"

    results = []
    missing: list[str] = []
    for rule_id, state in zip(("target.age", "target.function", "target.need", "target.residence",
                                "target.less_intrusive", "target.support_need"), criteria, strict=True):
        if state is True:
            results.append(MET[rule_id])
        elif state is False:
            results.append(NOT_MET[rule_id])
        else:  # the reason names the facts whose absence leaves the criterion unknown
            if rule_id == "target.age":
                lacking = ["birth_date"]
            elif rule_id == "target.function":
                lacking = [name for name, value in zip(_FUNCTION_FACTS, (phys, mental, ssp), strict=True) if value is None]
            elif rule_id == "target.residence":
                lacking = ["resident_municipality"]
            elif rule_id == "target.less_intrusive":
                lacking = ["need_met_by_less_intrusive_offer"]
            else:
                lacking = ["support_need_level"]
            results.append(UNKNOWN_HEAD[rule_id] + ", ".join(lacking) + UNKNOWN_TAIL[rule_id])
            missing += [name for name in lacking if name not in missing]

    # --- the outcome parts ---
    excluded = [c for c in requests if c in EXCLUSION] if requests else ()
    referrals = []
    if complained is not None:
        referrals.append(PART["complaint.ankestyrelsen"])
    if less is True:
        referrals.append(PART["referral.open_offers"])
    for code in excluded:
        if code in EXCLUSION_REFERRAL:
            referrals.append(EXCLUSION_REFERRAL[code])
    group_no = None if group is None else not group
    hospital = None if requests is None else ("hospital_stay_support" in requests or "transport" in requests)
    if active is False or wants is False:
        not_active: bool | None = True
    elif active is True and wants is True:
        not_active = False
    else:
        not_active = None
    home_no = None if safe is None else not safe
    assessments = []
    if open_:
        assessments.append(PART["form.assessment"])
        if group_no:
            assessments.append(PART["form.group_not_possible"])
        assessments.append(PART["scope.extent"])
    if hospital:
        assessments.append(PART["request.hospital_stay_exception"])
    if open_ and not_active:
        assessments.append(PART["assessment.not_active"])
    if open_ and home_no:
        assessments.append(PART["assessment.home_not_safe"])
    if open_:
        conditions = (CONDITIONS_HEAD + "," + PART["handleplan.offer"] + "," + CONDITIONS_TAIL if target_group
                      else CONDITIONS_HEAD + "," + CONDITIONS_TAIL)
    else:
        conditions = ""

    # --- the facts as validated (lists sorted and deduplicated), and the age ---
    if levels is None:
        levels_json = "null"
    else:
        lv = levels.get
        levels_json = (f'{{"physical_functions":{_N[phys]},"mental_functions":{_N[mental]},'
                       f'"self_care":{_N[lv("self_care")]},"practical_tasks":{_N[lv("practical_tasks")]},'
                       f'"mobility":{_N[lv("mobility")]},"communication":{_N[lv("communication")]},'
                       f'"relations":{_N[lv("relations")]},"community_life":{_N[lv("community_life")]},'
                       f'"health_conditions":{_N[lv("health_conditions")]},'
                       f'"social_conditions":{_N[lv("social_conditions")]}}}')
    q = '"'
    facts_json = (
        f'{{"assessment_date":"{on}","birth_date":{"null" if born is None else q + born + q},'
        f'"resident_municipality":{"null" if muni is None else q + muni + q},'
        f'"function_levels":{levels_json},"support_need_level":{_N[need_level]},'
        f'"special_social_problems":{_B[ssp]},"can_participate_actively":{_B[active]},'
        f'"wants_to_participate":{_B[wants]},"can_participate_in_group":{_B[group]},'
        f'"need_met_by_less_intrusive_offer":{_B[less]},"needs":{_l(needs)},"requests":{_l(requests)},'
        f'"support_start_date":{"null" if start is None else q + start + q},'
        f'"last_support_used_date":{"null" if last_used is None else q + last_used + q},'
        f'"decision_notified_date":{"null" if notified is None else q + notified + q},'
        f'"complaint_received_date":{"null" if complained is None else q + complained + q},'
        f'"home_is_safe_workplace":{_B[safe]}}}')

    # --- the trace: every rule in order, its result, whether it fired, a note when the gate is closed ---
    if needs is None:
        need_trace = NEEDS_UNKNOWN
    else:
        need_trace = ",".join([on_ if code in needs else off for code, on_, off in _NEED_TRACE])
    if requests is None:
        request_trace = REQUESTS_UNKNOWN
    else:
        request_trace = ",".join([(on_ if code in requests else off) if code is not None else _HOSPITAL[hospital]
                                  for code, on_, off in _REQUEST_TRACE])
    if open_:
        offer, group_entry = TRACE["handleplan.offer"][target_group], TRACE["form.group_not_possible"][group_no]
        active_entry, home_entry = TRACE["assessment.not_active"][not_active], TRACE["assessment.home_not_safe"][home_no]
    else:
        offer = CLOSED["handleplan.offer"] if target_group else TRACE["handleplan.offer"][target_group]
        group_entry = CLOSED["form.group_not_possible"] if group_no else TRACE["form.group_not_possible"][group_no]
        active_entry = CLOSED["assessment.not_active"] if not_active else TRACE["assessment.not_active"][not_active]
        home_entry = CLOSED["assessment.home_not_safe"] if home_no else TRACE["assessment.home_not_safe"][home_no]

    return "".join([
        '{"eligibility":"', eligibility, ASSESSMENT_DATE, on, AFTER_DATE, ",".join(results),
        '],"missing_facts":', _l(missing),
        ',"needs":[', ",".join([NEED[c] for c in needs]) if needs else "",
        '],"requests":[', ",".join([REQUEST[c] for c in requests]) if requests else "",
        '],"support_forms":[', FORMS if open_ else "",
        '],"exclusions":[', ",".join([EXCLUSION[c] for c in excluded]),
        '],"referrals":[', ",".join(referrals),
        '],"conditions":[', conditions,
        '],"assessments":[', ",".join(assessments),
        '],"deadlines":[', _deadlines(notified, complained, start, open_),
        '],"facts":', facts_json, ',"derived_facts":{"age":', "null" if age is None else str(age), '},"trace":[',
        TRACE_HEAD, TRACE["target.age"][c_age], ",", TRACE["target.function"][target_group], ",",
        TRACE["target.need"][c_need], ",", TRACE_SCOPE[open_], ",", offer, ",", TRACE_COMPLAINT_ANKE[complained is not None],
        TRACE["target.residence"][c_residence], ",", TRACE["target.less_intrusive"][c_less], ",",
        TRACE["target.support_need"][c_support], ",", TRACE["referral.open_offers"][less], ",",
        TRACE_FORMS[open_], ",", group_entry, ",", TRACE_CONTENT[open_], ",", need_trace, ",", request_trace, ",",
        TRACE_ACTIVE[open_], active_entry, TRACE_HOME[open_], home_entry, ",", TRACE_FOLLOW_UP[open_], "]}",
    ])


# --- the check and the timing -------------------------------------------------------------------

SEEDS = (85, 1, 2)


def population(n: int) -> list[dict[str, Any]]:
    """n generated citizens on Roskilde 2020-01's first day, from three seeds."""
    from sps_rules.model.population import citizens

    share = -(-n // len(SEEDS))
    found: list[dict[str, Any]] = []
    for seed in SEEDS:
        found += citizens(min(share, n - len(found)), seed=seed, assessment_date=date.fromisoformat(VALID_FROM))
    return found


def first_difference(people: list[dict[str, Any]]) -> str | None:
    """None when decide() gives sps_rules' bytes for everyone, else the first differing citizen's diff."""
    import difflib

    import sps_rules

    ruleset = sps_rules.load_ruleset_version("roskilde", "2020-01")
    for number, facts in enumerate(people):
        ours, theirs = decide(facts), ruleset.evaluate(facts).to_json(indent=None)
        if ours != theirs:
            lines = difflib.unified_diff(
                json.dumps(json.loads(theirs), indent=1, ensure_ascii=False).splitlines(),
                json.dumps(json.loads(ours), indent=1, ensure_ascii=False).splitlines(),
                "sps_rules", "handwritten", lineterm="", n=2)
            same_parse = "" if json.loads(ours) != json.loads(theirs) else " (same values; bytes differ)"
            return (f"citizen {number}{same_parse}: {json.dumps(facts, ensure_ascii=False)}\n"
                    + "\n".join(list(lines)[:80]))
    return None


def per_call_us(calls: list[Any], people: list[dict[str, Any]], rounds: int) -> list[float]:
    """Per call, the median over rounds of µs per citizen; the calls take turns in each round, so a
    change in the machine's load falls on all of them alike."""
    import statistics
    import time

    for call in calls:  # warm: caches, memos, the holidays of the years met
        for facts in people[:500]:
            call(facts)
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(rounds):
        for call, spent in zip(calls, times, strict=True):
            started = time.perf_counter()
            for facts in people:
                call(facts)
            spent.append((time.perf_counter() - started) / len(people) * 1e6)
    return [statistics.median(spent) for spent in times]


def main() -> None:
    import os
    import sys

    import sps_rules

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6_000
    people = population(n)
    diff = first_difference(people)
    if diff is not None:
        sys.exit("the hand-written decision differs from sps_rules:\n" + diff)
    print(f"byte-identical on {len(people):,} citizens (seeds {', '.join(map(str, SEEDS))}, "
          f"assessment date {VALID_FROM})")
    ruleset = sps_rules.load_ruleset_version("roskilde", "2020-01")
    rounds = 5
    a, b, c = per_call_us([decide, ruleset.evaluate, lambda facts: ruleset.evaluate(facts).to_json(indent=None)],
                          people, rounds)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nRoskilde 2020-01, {len(people):,} citizens, median of {rounds} warm rounds; load average {load}\n")
    print("| per decision | µs | / hand-written |")
    print("|---|---|---|")
    print(f"| (a) hand-written plain Python `decide(facts)` (compact JSON) | {a:.1f} | 1.00 |")
    print(f"| (b) `ruleset.evaluate(facts)` (Decision object) | {b:.1f} | {b / a:.2f} |")
    print(f"| (c) `ruleset.evaluate(facts).to_json(indent=None)` (same bytes as (a)) | {c:.1f} | {c / a:.2f} |")


if __name__ == "__main__":
    main()
