"""What loading produces: a resolved rule set, its rules and source documents, and text folding for quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..model.schema import Definition, DocumentRef, NotDecisionRelevant, Rule, RuleSetHeader

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
    ref: DocumentRef | None = None  # what the document is (standard, guidance, statute) and its provenance


@dataclass(frozen=True)
class LoadedRule:
    rule: Rule
    origin: str  # id of the rule set whose file defines it
    file: str
    line: int
    document: Document
    also: tuple[Document, ...] = ()  # the documents of rule.also, in order


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
    #: per own document id: the sentences listed as not decision-relevant, with their reasons
    not_decision_relevant: dict[str, tuple[NotDecisionRelevant, ...]] = field(default_factory=dict, repr=False)

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
_BEFORE_STOP = re.compile(r" (?=[.,;:!?])")


def fold(text: str) -> str:
    """Text with HTML tags, bullets, bold markers and runs of whitespace folded to single spaces."""
    text = _TAG.sub(" ", text)
    text = _BULLETS.sub(" ", text)
    return _BEFORE_STOP.sub("", _SPACE.sub(" ", text)).strip()


def fold_quote(quote: str) -> str:
    """A quote folded for comparison with a folded source: bullets and whitespace, never tags.

    Tags are stripped from the source only, so a quote that carries markup (``<img ...>``) is
    never found in a source and cannot smuggle it into a rendered decision.
    """
    return _BEFORE_STOP.sub("", _SPACE.sub(" ", _BULLETS.sub(" ", quote))).strip()
