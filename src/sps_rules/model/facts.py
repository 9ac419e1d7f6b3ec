"""Citizen facts: the typed input, and the vocabulary that rule files may read.

Every field except ``assessment_date`` may be absent or null, which means *unknown*.
Unknown is never the same as "no": a rule that needs an unknown fact gives an unknown
result, and the decision lists the fact as missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

Theme = Literal[
    "physical_functions",
    "mental_functions",
    "self_care",
    "practical_tasks",
    "mobility",
    "communication",
    "relations",
    "community_life",
    "health_conditions",
    "social_conditions",
]
THEMES: tuple[str, ...] = Theme.__args__  # type: ignore[attr-defined]

NeedCode = Literal[
    "daily_structure",
    "finances",
    "mail",
    "mobility",
    "social_relations",
    "network",
    "treatment",
    "welfare_technology",
    "medication",
    "practical_tasks",
    "self_care",
    "communication",
    "community_life",
    "health",
]
NEED_CODES: tuple[str, ...] = NeedCode.__args__  # type: ignore[attr-defined]

RequestCode = Literal[
    "escort_with_pedagogical_support",
    "escort_only",
    "practical_help_by_staff",
    "specialist_therapy",
    "debt_counselling",
    "visiting_friend",
    "transport",
    "hospital_stay_support",
    "meeting_support_other_department",
    "employment_or_education_support",
    "specialist_health_advice",
    "free_choice_of_provider",
    "support_in_own_home",
]
REQUEST_CODES: tuple[str, ...] = RequestCode.__args__  # type: ignore[attr-defined]

# Facts are strict: each field takes its JSON type only. No `true` as a level, no `1` or "yes" as
# a boolean, no number or timestamp as a date. The validators below run before pydantic's own and
# word their errors without the value (a wrong-typed field may hold a CPR number).

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (dict, Mapping)):
        return "an object"
    return type(value).__name__


def _strict_level(value: Any) -> Any:
    if type(value) is not int:
        raise PydanticCustomError("level_type", "expected a whole number 0..4, got {kind}", {"kind": _json_kind(value)})
    return value


def _strict_bool(value: Any) -> Any:
    if type(value) is not bool:
        raise PydanticCustomError("bool_type", "expected a boolean (true or false), got {kind}", {"kind": _json_kind(value)})
    return value


def _strict_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("date_type", "expected a date as text YYYY-MM-DD, got {kind}",
                                  {"kind": _json_kind(value)})
    if not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "expected a date written YYYY-MM-DD (e.g. 2026-03-02)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_value", "not a calendar date (check the month and the day)") from None


def _strict_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "expected text, got {kind}", {"kind": _json_kind(value)})
    return value


def _strict_codes(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        raise PydanticCustomError("list_type", "expected a list of codes, got {kind}", {"kind": _json_kind(value)})
    return tuple(value)


Level = Annotated[Literal[0, 1, 2, 3, 4], BeforeValidator(_strict_level)]
Flag = Annotated[bool, BeforeValidator(_strict_bool)]

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)
#: A date in the plausible range, from ISO text or a ``date`` (FactsError words the message).
Day = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE), BeforeValidator(_strict_day)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$"), BeforeValidator(_strict_text)]


class FunctionLevels(BaseModel):
    """FFB/VUM funktionsevneniveau per theme: 0 ingen, 1 let, 2 moderat, 3 svær, 4 fuldstændig.

    An absent or null theme is *not assessed* ("Ikke vurderet"), which is unknown, not 0.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    physical_functions: Level | None = None
    mental_functions: Level | None = None
    self_care: Level | None = None
    practical_tasks: Level | None = None
    mobility: Level | None = None
    communication: Level | None = None
    relations: Level | None = None
    community_life: Level | None = None
    health_conditions: Level | None = None
    social_conditions: Level | None = None


class CitizenFacts(BaseModel):
    """What is known about one citizen on the day of assessment."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    assessment_date: Day = Field(description="Day of assessment; picks the rule set version; age is computed on it.")
    birth_date: Day | None = None
    resident_municipality: Slug | None = Field(
        default=None,
        description="Municipality slug, e.g. roskilde, gentofte, faaborg_midtfyn, koege.",
    )
    function_levels: FunctionLevels | None = Field(
        default=None, description="FFB funktionsevneniveau per theme (0..4); an absent theme is not assessed."
    )
    support_need_level: Level | None = Field(
        default=None, description="FFB støttebehovsniveau: 0 intet, 1 let, 2 moderat, 3 højt, 4 fuldstændigt."
    )
    special_social_problems: Flag | None = Field(
        default=None, description="Særlige sociale problemer, e.g. hjemløshed or misbrug."
    )
    can_participate_actively: Flag | None = None
    wants_to_participate: Flag | None = None
    can_participate_in_group: Flag | None = None
    need_met_by_less_intrusive_offer: Flag | None = Field(
        default=None,
        description="The need can be met in a less intrusive way, e.g. by the municipality's open offers.",
    )
    needs: Annotated[tuple[NeedCode, ...], BeforeValidator(_strict_codes)] | None = None
    requests: Annotated[tuple[RequestCode, ...], BeforeValidator(_strict_codes)] | None = None
    support_start_date: Day | None = None
    last_support_used_date: Day | None = None
    decision_notified_date: Day | None = Field(default=None, description="The day the citizen received the decision.")
    complaint_received_date: Day | None = Field(
        default=None, description="The day the municipality received a complaint."
    )
    home_is_safe_workplace: Flag | None = Field(default=None, description="For support given in the home.")

    @field_validator("needs", "requests")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _birth_before_assessment(self) -> CitizenFacts:
        if self.birth_date is not None and self.birth_date > self.assessment_date:
            raise ValueError("birth_date is after assessment_date; check both dates")
        return self

    def age(self) -> int | None:
        """Completed years on the assessment date (born 29 February: a year older on 1 March in common years)."""
        born, on = self.birth_date, self.assessment_date
        if born is None:
            return None
        # completed years; someone born on 29 February completes a year on 1 March in a common year
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class FactKind(StrEnum):
    BOOL = "bool"
    LEVEL = "level"
    INT = "int"
    DATE = "date"
    SLUG = "slug"
    CODES = "codes"


@dataclass(frozen=True)
class FactSpec:
    """One readable fact: its dotted path, its kind and, for code lists, the allowed codes."""

    path: str
    kind: FactKind
    description: str
    codes: tuple[str, ...] = ()
    derived: bool = False


def _vocabulary() -> dict[str, FactSpec]:
    specs: list[FactSpec] = [
        FactSpec("assessment_date", FactKind.DATE, "day of assessment"),
        FactSpec("birth_date", FactKind.DATE, "birth date"),
        FactSpec("age", FactKind.INT, "completed years on the assessment date (from birth_date)", derived=True),
        FactSpec("resident_municipality", FactKind.SLUG, "municipality slug of residence"),
        FactSpec("support_need_level", FactKind.LEVEL, "FFB støttebehovsniveau 0..4"),
        FactSpec("special_social_problems", FactKind.BOOL, "særlige sociale problemer"),
        FactSpec("can_participate_actively", FactKind.BOOL, "can take an active part"),
        FactSpec("wants_to_participate", FactKind.BOOL, "wants to take part"),
        FactSpec("can_participate_in_group", FactKind.BOOL, "can take part in a group"),
        FactSpec("need_met_by_less_intrusive_offer", FactKind.BOOL, "need can be met in a less intrusive way"),
        FactSpec("needs", FactKind.CODES, "the citizen's needs", codes=NEED_CODES),
        FactSpec("requests", FactKind.CODES, "what the citizen asks for", codes=REQUEST_CODES),
        FactSpec("support_start_date", FactKind.DATE, "the day support started"),
        FactSpec("last_support_used_date", FactKind.DATE, "the last day granted support was used"),
        FactSpec("decision_notified_date", FactKind.DATE, "the day the citizen received the decision"),
        FactSpec("complaint_received_date", FactKind.DATE, "the day the municipality received a complaint"),
        FactSpec("home_is_safe_workplace", FactKind.BOOL, "the home is a safe workplace for staff"),
    ]
    specs += [
        FactSpec(f"function_levels.{theme}", FactKind.LEVEL, f"FFB funktionsevneniveau 0..4 for {theme}")
        for theme in THEMES
    ]
    return {spec.path: spec for spec in specs}


#: Every fact path a rule file may read, with its kind.
VOCABULARY: Mapping[str, FactSpec] = _vocabulary()

FactValue = bool | int | str | tuple[str, ...] | None


def fact_values(facts: CitizenFacts) -> dict[str, FactValue]:
    """Every vocabulary path with its value (None for unknown); dates as ISO strings."""
    levels = facts.function_levels
    values: dict[str, Any] = {
        "assessment_date": facts.assessment_date.isoformat(),
        "birth_date": _iso(facts.birth_date),
        "age": facts.age(),
        "resident_municipality": facts.resident_municipality,
        "support_need_level": facts.support_need_level,
        "special_social_problems": facts.special_social_problems,
        "can_participate_actively": facts.can_participate_actively,
        "wants_to_participate": facts.wants_to_participate,
        "can_participate_in_group": facts.can_participate_in_group,
        "need_met_by_less_intrusive_offer": facts.need_met_by_less_intrusive_offer,
        "needs": facts.needs,
        "requests": facts.requests,
        "support_start_date": _iso(facts.support_start_date),
        "last_support_used_date": _iso(facts.last_support_used_date),
        "decision_notified_date": _iso(facts.decision_notified_date),
        "complaint_received_date": _iso(facts.complaint_received_date),
        "home_is_safe_workplace": facts.home_is_safe_workplace,
    }
    if levels is None:
        values.update(_NO_LEVELS)
    else:
        for theme, level in levels.__dict__.items():
            values[_THEME_PATHS[theme]] = level
    return values


_THEME_PATHS = {theme: f"function_levels.{theme}" for theme in THEMES}
_NO_LEVELS = dict.fromkeys(_THEME_PATHS.values())


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


#: The field names allowed at each level of a facts object ("" is the top), for did-you-mean hints.
FIELDS_BY_PARENT: dict[str, tuple[str, ...]] = {
    "": tuple(CitizenFacts.model_fields),
    "function_levels": tuple(FunctionLevels.model_fields),
}
