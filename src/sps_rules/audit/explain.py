"""Render a decision as Danish reasons fit for a decision letter (forvaltningsloven §§ 22-24).

One structure, three formats: plain text (default), Markdown and HTML (one self-contained
file). Every statement carries its citation: document, section, § and the verbatim quote.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from ..engine.evaluator import FactsInput
from ..engine.registry import load_ruleset_version
from ..model import labels
from ..model.decision import Deadline, Decision, Referral, SourceRef
from ..model.errors import FactsError, RecordError, UnknownFormat, guarded
from ..model.markdown import inline
from .records import DecisionRecord, verify
from .signing import KeySource
from .whynot import WhyNot
from .whynot import analyse as _why_not

Format = Literal["text", "markdown", "html"]

ELIGIBILITY_DA = labels.ELIGIBILITY_SENTENCE
STATUS_DA = labels.STATUS
FORM_DA = labels.FORM


@dataclass
class Item:
    text: str
    source: SourceRef | None = None


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)
    lead: str = ""


def citations(source: SourceRef) -> list[tuple[str, str]]:
    """Each citation a source holds, as (where, quote): 'Titel, afsnit »Målgruppe«, Serviceloven § 85'.

    The one place that reads a source's fields; the three formats write (and escape) its result.
    """
    ref = f", {source.legal_reference}" if source.legal_reference else ""
    return [(f"{source.document}, afsnit »{source.section}«{ref}", source.quote)]


def cite(source: SourceRef) -> str:
    return "; og ".join(f"{where}: »{quote}«" for where, quote in citations(source))


def _referral(referral: Referral) -> str:
    return referral.to + (f" ({referral.legal_basis})" if referral.legal_basis else "")


def _read(d: Decision, rule_id: str) -> str:
    """' Oplysninger: birth_date 1991-09-14, age 34.': the facts the rule read, for the caseworker to check."""
    values = d.values_read(rule_id)
    if not values:
        return ""
    shown = [f"{labels.fact(path)} {_shown(value)}" for path, value in values.items()]
    return " Oplysninger: " + ", ".join(shown) + "."


def _shown(value: object) -> str:
    if value is None:
        return "ikke oplyst"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]" if value else "[ingen]"
    return str(value)


def build(d: Decision, why: WhyNot | None = None) -> tuple[str, list[Section]]:
    """The title and sections of the reasons for one decision."""
    r = d.ruleset
    period = f"gyldig fra {r.valid_from}" + (f" til {r.valid_to}" if r.valid_to else "")
    head = Section("Resultat", lead=f"{ELIGIBILITY_DA[d.eligibility]}.", items=[
        Item(f"Lovgrundlag: {d.legal_basis}. Vurderingsdato: {d.assessment_date}."),
        Item(f"Regelsæt: {r.title} ({r.municipality or r.id}), version {r.version}, {period}; "
             f"sha256 {r.sha256}. Beregnet med sps-rules {d.engine_version}."),
        Item(d.individual_assessment.text, d.individual_assessment.source),
    ])
    sections = [head]
    crit = Section("Kriterier", lead="Hvert kriterium, den regel der er anvendt, og den sætning i standarden den bygger på:")
    for c in d.criteria:
        crit.items.append(Item(f"{c.id}: {labels.labelled(STATUS_DA, c.status)}. {c.reason}{_read(d, c.id)}",
                               c.source))
    if d.missing_facts:
        crit.items.append(Item("Manglende oplysninger, der skal indhentes: " + _missing(d) + "."))
    sections.append(crit)
    if d.support_forms:
        sections.append(Section("Støtteformer", items=[
            Item(f"{FORM_DA[f.form]} ({STATUS_DA[f.status]}): {f.reason}", f.source) for f in d.support_forms]))
    if d.needs:
        sections.append(Section("Borgerens behov", items=[
            Item(f"{labels.labelled(labels.NEED, n.need)}: {labels.labelled(STATUS_DA, n.status)}. {n.reason}",
                 n.source) for n in d.needs]))
    if d.requests:
        sections.append(Section("Borgerens ønsker", items=[
            Item(f"{labels.labelled(labels.REQUEST, q.request)}: {labels.labelled(STATUS_DA, q.status)}. {q.reason}",
                 q.source) for q in d.requests]))
    if d.exclusions:
        sections.append(Section("Ikke omfattet af socialpædagogisk støtte", items=[
            Item(f"{labels.labelled(labels.REQUEST, e.request)}: {e.reason}"
                 + (f" Henvisning: {_referral(e.referral)}." if e.referral else ""), e.source)
            for e in d.exclusions]))
    if d.referrals:
        sections.append(Section("Henvisninger", items=[Item(f"{_referral(x)}: {x.reason}", x.source) for x in d.referrals]))
    if d.deadlines:
        items = []
        for x in d.deadlines:
            when = f"senest {x.due}" if x.due else "ingen dato"
            if x.earliest:
                when = f"tidligst {x.earliest}, {when}"
            kind = labels.label(labels.DEADLINE, x.kind).capitalize()
            items.append(Item(f"{kind}: {when}. Beregning: {_sentence(_counting(x))} {x.reason}", x.source))
        sections.append(Section("Frister", items=items))
    if d.conditions:
        sections.append(Section("Vilkår", items=[Item(c.text, c.source) for c in d.conditions]))
    assess = [Item(a.text, a.source) for a in d.assessments]
    assess += [Item(f"Behovet {labels.labelled(labels.NEED, n.need)} er ikke nævnt i standarden og skal vurderes "
                    "konkret.", n.source)
               for n in d.needs if n.status == "not_listed"]
    assess += [Item(f"Ønsket {labels.labelled(labels.REQUEST, q.request)} er ikke omtalt i standarden og skal "
                    "vurderes konkret.", q.source)
               for q in d.requests if q.status == "not_addressed"]
    if d.missing_facts:
        assess.append(Item("Kriterier, der ikke kan afgøres, før oplysningerne foreligger: "
                           + ", ".join(c.id for c in d.criteria if c.status == "unknown") + "."))
    sections.append(Section("Til sagsbehandlerens konkrete, individuelle vurdering",
                            lead="Standarden indebærer ikke en automatisk afgørelse. Disse forhold skal vurderes konkret:",
                            items=assess or [Item("Ingen særlige forhold ud over den samlede konkrete vurdering.")]))
    if why is not None and why.eligibility != "eligible":
        deciding = ", ".join(_fact_labelled(f) for f in why.deciding_facts)
        items = [Item("Afgørende oplysninger: " + (deciding or "ingen") + ".")]
        grouped: dict[str, list[str]] = {}
        for ch in why.changes:
            grouped.setdefault(ch.fact, []).append(
                f"{_value(ch.value)} → {labels.label(labels.ELIGIBILITY, ch.eligibility)}")
        for fact, outcomes in grouped.items():
            current = next(ch.current for ch in why.changes if ch.fact == fact)
            items.append(Item(f"{_fact_labelled(fact)}, nu {_value(current)}: " + "; ".join(outcomes) + "."))
        if not grouped:
            items.append(Item("Ingen enkelt ændret oplysning ændrer resultatet; flere oplysninger skal ændres eller "
                              "indhentes samtidig."))
        per_criterion: dict[str, dict[str, list[str]]] = {}
        for fix in why.fixes:
            per_criterion.setdefault(fix.criterion, {}).setdefault(fix.fact, []).append(_value(fix.value))
        for criterion, facts in per_criterion.items():
            status = next(f.status for f in why.fixes if f.criterion == criterion)
            options = "; eller ".join(f"{_fact_labelled(fact)} = {' / '.join(values)}" for fact, values in facts.items())
            items.append(Item(f"Kriteriet {criterion} ({labels.labelled(STATUS_DA, status)}) bliver opfyldt, "
                              f"hvis {options}."))
        sections.append(Section("Hvad ville ændre resultatet",
                                lead="Fundet ved at genberegne med én ændret oplysning ad gangen, med samme version "
                                     "af regelsættet:", items=items))
    if r.notes:
        sections.append(Section("Regelsættets antagelser", items=[Item(n) for n in r.notes]))
    return "Begrundelse: socialpædagogisk støtte", sections


def _fact_labelled(path: str) -> str:
    """'fødselsdatoen (birth_date)': the Danish words, and the field a caseworker fills in."""
    return f"{labels.fact(path)} ({path})" if labels.fact(path) != path else path


def _missing(d: Decision) -> str:
    return ", ".join(_fact_labelled(path) for path in d.missing_facts)


def _counting(x: Deadline) -> str:
    """The deadline's arithmetic with its anchor fact in Danish words, the field in parentheses."""
    first, found, rest = x.counting.partition(x.anchor)
    if not found:
        return x.counting
    return first + _fact_labelled(x.anchor) + rest.replace(x.anchor, labels.fact(x.anchor))


def _sentence(text: str) -> str:
    """``text`` ending in exactly one full stop, so 'gættes ikke.' is never followed by another."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def summary(d: Decision) -> list[str]:
    """The decision in 3-6 short Danish lines: eligibility, the criteria not met or the permitted
    forms, missing facts, what is not covered, the next deadlines.

    >>> summary(sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02"}))[0]
    'Resultat: uafklaret (undetermined) efter Roskilde Kommunes kvalitetsstandard (version 2020-01), vurderet 2026-03-02'
    """
    r = d.ruleset
    lines = [f"Resultat: {labels.labelled(labels.ELIGIBILITY, d.eligibility)} efter {r.municipality or r.id}s "
             f"kvalitetsstandard (version {r.version}), vurderet {d.assessment_date}"]
    if d.eligibility == "not_eligible":
        lines.append("Ikke opfyldt: " + " ".join(f"{c.id}: {_sentence(c.reason)}" for c in d.criteria
                                                  if c.status == "not_met"))
    if d.support_forms:
        lines.append("Støtteformer: " + ", ".join(
            f"{labels.label(FORM_DA, f.form)} ({labels.label(STATUS_DA, f.status)})" for f in d.support_forms))
    if d.missing_facts:
        lines.append("Mangler: " + _missing(d))
    if d.exclusions:
        lines.append("Ikke omfattet: " + ", ".join(
            labels.label(labels.REQUEST, e.request) + (f" (henvis til {e.referral.to})" if e.referral else "")
            for e in d.exclusions))
    dated = sorted((x for x in d.deadlines if x.due is not None), key=lambda x: (x.due, x.kind))
    if dated:
        lines.append("Næste frister: " + "; ".join(
            f"{labels.label(labels.DEADLINE, x.kind)} {x.due}" for x in dated[:3]))
    lines.append("Afgørelsen kræver en konkret, individuel vurdering; begrundelsen følger nedenfor.")
    return lines


def _value(value: object) -> str:
    if value is None:
        return "ukendt"
    if value is True:
        return "ja"
    if value is False:
        return "nej"
    return str(value)


FORMATS: tuple[str, ...] = ("text", "markdown", "html")


def render(d: Decision, *, format: Format = "text", why: WhyNot | None = None) -> str:
    """The decision's reasons as plain text, Markdown or a self-contained HTML page.

    Raises ``UnknownFormat`` (a ``ValueError`` and an ``SpsRulesError``) for any other format.
    """
    if format not in FORMATS:
        raise UnknownFormat(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    title, sections = build(d, why)
    if format == "markdown":
        return _markdown(title, sections)
    if format == "html":
        return _html(title, sections)
    return _text(title, sections)


def to_text(d: Decision) -> str:
    """The reasons as plain text, after a short summary (``summary``): what ``sps-rules evaluate`` prints."""
    return "\n".join(summary(d)) + "\n\n" + render(d)


@guarded("explain")
def explain(source: Decision | DecisionRecord, *, format: Format = "text", why_not: bool = False,
            facts: FactsInput | None = None, verify_key: KeySource | None = None) -> str:
    """Danish reasons for a decision (or a record's decision) as text, Markdown or HTML.

    Takes a ``Decision`` or a ``DecisionRecord``, ``format`` (``"text"``, ``"markdown"`` or
    ``"html"``), ``why_not`` and, for a decision with ``why_not``, its ``facts`` (a
    ``CitizenFacts``, a mapping, JSON text or a ``Path``; a record carries them). With
    ``why_not``, the facts that decide a negative or open outcome and the changes that would
    alter it are added; they come from re-evaluating under the same rule-set version. A record
    is verified first; ``verify_key`` (an Ed25519 public key) also requires its signature.
    Returns the text; Markdown and HTML escape everything that comes from data. Raises
    ``UnknownFormat`` (a ``ValueError``) for any other format, e.g. ``"pdf"``, ``FactsError``
    when ``why_not`` has no facts, and ``RecordError`` if a record was altered after it was
    written or, with ``verify_key``, that key did not sign it.

    >>> d = sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02"})
    >>> sps_rules.explain(d).splitlines()[0]
    'Begrundelse: socialpædagogisk støtte'
    >>> sps_rules.explain(d, format="html").startswith("<!DOCTYPE html>")
    True
    """
    if format not in FORMATS:
        raise UnknownFormat(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    if isinstance(source, DecisionRecord):
        verify(source, verify_key)
        try:
            decision = Decision.model_validate(source.decision)
        except ValidationError:
            raise RecordError("the record's decision is not a valid decision") from None
        facts = source.facts if facts is None else facts
    elif verify_key is not None:
        raise RecordError("verify_key checks a decision record; a bare decision carries no hash or signature")
    else:
        decision = source
    analysis = None
    if why_not and decision.eligibility != "eligible":
        if facts is None:
            raise FactsError("why_not needs the facts: pass facts=..., or explain a DecisionRecord")
        ruleset = load_ruleset_version(decision.ruleset.id, decision.ruleset.version)
        analysis = _why_not(ruleset, facts)
    return render(decision, format=format, why=analysis)


def _text(title: str, sections: list[Section]) -> str:
    out = [title, "=" * len(title)]
    for s in sections:
        out += ["", s.title, "-" * len(s.title)]
        if s.lead:
            out.append(s.lead)
        for item in s.items:
            out.append(f"- {item.text}")
            if item.source:
                out.append(f"    [{cite(item.source)}]")
    return "\n".join(out) + "\n"


def _markdown(title: str, sections: list[Section]) -> str:
    """Markdown in which every piece of text from data is escaped (``inline``): nothing becomes live."""
    out = [f"# {inline(title)}"]
    for s in sections:
        out += ["", f"## {inline(s.title)}", ""]
        if s.lead:
            out += [inline(s.lead), ""]
        for item in s.items:
            out.append(f"- {inline(item.text)}")
            if item.source:
                out += [f"  > *{inline(where)}:* »{inline(quote)}«" for where, quote in citations(item.source)]
    return "\n".join(out) + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1b1b1b}"
    "h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ccc}"
    "li{margin:.4rem 0}blockquote{margin:.2rem 0 .2rem 1rem;padding-left:.6rem;border-left:3px solid #8aa;color:#333;"
    "font-size:.92rem}.lead{font-weight:600}"
)


def _html(title: str, sections: list[Section]) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="da"><head><meta charset="utf-8">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>"]
    for s in sections:
        out.append(f"<section><h2>{e(s.title)}</h2>")
        if s.lead:
            out.append(f'<p class="lead">{e(s.lead)}</p>')
        out.append("<ul>")
        for item in s.items:
            out.append(f"<li>{e(item.text)}")
            if item.source:
                out += [f"<blockquote><cite>{e(where)}</cite>: »{e(quote)}«</blockquote>"
                        for where, quote in citations(item.source)]
            out.append("</li>")
        out.append("</ul></section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
