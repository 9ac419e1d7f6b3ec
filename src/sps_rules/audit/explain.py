"""Render a decision as Danish reasons fit for a decision letter (forvaltningsloven §§ 22-24).

One structure, three formats: plain text (default), Markdown and HTML (one self-contained
file). Every statement carries its citation: document, section, § and the verbatim quote.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Literal

from ..engine.evaluator import FactsInput
from ..engine.registry import load_ruleset_version
from ..model.decision import Decision, Referral, SourceRef
from ..model.errors import FactsError, UnknownFormat
from .records import DecisionRecord
from .whynot import WhyNot
from .whynot import analyse as _why_not

Format = Literal["text", "markdown", "html"]

ELIGIBILITY_DA = {
    "eligible": "Borgeren opfylder standardens kriterier for socialpædagogisk støtte (i målgruppen)",
    "not_eligible": "Borgeren opfylder ikke standardens kriterier for socialpædagogisk støtte (ikke i målgruppen)",
    "undetermined": "Det kan endnu ikke afgøres, om borgeren er i målgruppen: der mangler oplysninger",
}
STATUS_DA = {
    "met": "opfyldt", "not_met": "ikke opfyldt", "unknown": "uafklaret",
    "listed": "nævnt i standarden", "not_listed": "ikke nævnt i standarden", "excluded": "udelukket",
    "included": "omfattet", "not_addressed": "ikke omtalt i standarden",
    "default": "udgangspunkt", "permitted": "mulig", "exception": "undtagelse",
}
FORM_DA = {
    "group": "gruppeforløb", "individual": "individuelt forløb", "group_and_individual": "gruppe- og individuelt forløb",
    "course": "undervisnings-/træningsforløb", "digital": "digital støtte",
}
DEADLINE_DA = {
    "follow_up": "Opfølgning", "complaint": "Klagefrist", "complaint_reassessment": "Genvurdering af klage",
    "duration_review": "Revurdering af varighed", "non_use_contact": "Kontakt ved manglende brug af støtten",
}


@dataclass
class Item:
    text: str
    source: SourceRef | None = None


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)
    lead: str = ""


def cite(source: SourceRef) -> str:
    """'Titel, afsnit »Målgruppe«, Serviceloven § 85: »...«', or for a statute 'serviceloven § 85, jf. LBK ...: »...«';
    further citations of the same rule follow after 'og'."""
    if source.citation:
        text = f"{source.citation}: »{source.quote}«"
    else:
        ref = f", {source.legal_reference}" if source.legal_reference else ""
        text = f"{source.document}, afsnit »{source.section}«{ref}: »{source.quote}«"
    return "; og ".join([text, *(cite(more) for more in source.also)])


def _referral(referral: Referral) -> str:
    return referral.to + (f" ({referral.legal_basis})" if referral.legal_basis else "")


def _read(d: Decision, rule_id: str) -> str:
    """' Oplysninger: birth_date 1991-09-14, age 34.': the facts the rule read, for the caseworker to check."""
    values = d.values_read(rule_id)
    if not values:
        return ""
    shown = [f"{path} {_shown(value)}" for path, value in values.items()]
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
        crit.items.append(Item(f"{c.id}: {STATUS_DA[c.status]}. {c.reason}{_read(d, c.id)}", c.source))
    if d.missing_facts:
        crit.items.append(Item("Manglende oplysninger, der skal indhentes: " + ", ".join(d.missing_facts) + "."))
    sections.append(crit)
    if d.support_forms:
        sections.append(Section("Støtteformer", items=[
            Item(f"{FORM_DA[f.form]} ({STATUS_DA[f.status]}): {f.reason}", f.source) for f in d.support_forms]))
    if d.needs:
        sections.append(Section("Borgerens behov", items=[
            Item(f"{n.need}: {STATUS_DA[n.status]}. {n.reason}", n.source) for n in d.needs]))
    if d.requests:
        sections.append(Section("Borgerens ønsker", items=[
            Item(f"{q.request}: {STATUS_DA[q.status]}. {q.reason}", q.source) for q in d.requests]))
    if d.exclusions:
        sections.append(Section("Ikke omfattet af socialpædagogisk støtte", items=[
            Item(f"{e.request}: {e.reason}" + (f" Henvisning: {_referral(e.referral)}." if e.referral else ""), e.source)
            for e in d.exclusions]))
    if d.referrals:
        sections.append(Section("Henvisninger", items=[Item(f"{_referral(x)}: {x.reason}", x.source) for x in d.referrals]))
    if d.deadlines:
        items = []
        for x in d.deadlines:
            when = f"senest {x.due}" if x.due else "ingen dato"
            if x.earliest:
                when = f"tidligst {x.earliest}, {when}"
            items.append(Item(f"{DEADLINE_DA[x.kind]}: {when}. Beregning: {x.counting}. {x.reason}", x.source))
        sections.append(Section("Frister", items=items))
    if d.conditions:
        sections.append(Section("Vilkår", items=[Item(c.text, c.source) for c in d.conditions]))
    assess = [Item(a.text, a.source) for a in d.assessments]
    assess += [Item(f"Behovet {n.need} er ikke nævnt i standarden og skal vurderes konkret.", n.source)
               for n in d.needs if n.status == "not_listed"]
    assess += [Item(f"Ønsket {q.request} er ikke omtalt i standarden og skal vurderes konkret.", q.source)
               for q in d.requests if q.status == "not_addressed"]
    if d.missing_facts:
        assess.append(Item("Kriterier, der ikke kan afgøres, før oplysningerne foreligger: "
                           + ", ".join(c.id for c in d.criteria if c.status == "unknown") + "."))
    sections.append(Section("Til sagsbehandlerens konkrete, individuelle vurdering",
                            lead="Standarden indebærer ikke en automatisk afgørelse. Disse forhold skal vurderes konkret:",
                            items=assess or [Item("Ingen særlige forhold ud over den samlede konkrete vurdering.")]))
    if why is not None and why.eligibility != "eligible":
        items = [Item("Afgørende oplysninger: " + (", ".join(why.deciding_facts) or "ingen") + ".")]
        grouped: dict[str, list[str]] = {}
        for ch in why.changes:
            grouped.setdefault(ch.fact, []).append(f"{_value(ch.value)} → {ch.eligibility}")
        for fact, outcomes in grouped.items():
            current = next(ch.current for ch in why.changes if ch.fact == fact)
            items.append(Item(f"{fact} (nu: {_value(current)}): " + "; ".join(outcomes) + "."))
        if not grouped:
            items.append(Item("Ingen enkelt ændret oplysning ændrer resultatet; flere oplysninger skal ændres eller "
                              "indhentes samtidig."))
        per_criterion: dict[str, dict[str, list[str]]] = {}
        for fix in why.fixes:
            per_criterion.setdefault(fix.criterion, {}).setdefault(fix.fact, []).append(_value(fix.value))
        for criterion, facts in per_criterion.items():
            status = next(f.status for f in why.fixes if f.criterion == criterion)
            options = "; eller ".join(f"{fact} = {' / '.join(values)}" for fact, values in facts.items())
            items.append(Item(f"Kriteriet {criterion} ({STATUS_DA[status]}) bliver opfyldt, hvis {options}."))
        sections.append(Section("Hvad ville ændre resultatet",
                                lead="Fundet ved at genberegne med én ændret oplysning ad gangen, med samme version "
                                     "af regelsættet:", items=items))
    if r.notes:
        sections.append(Section("Regelsættets antagelser", items=[Item(n) for n in r.notes]))
    return "Begrundelse: socialpædagogisk støtte", sections


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

    Raises ``ValueError`` (an ``SpsRulesError``) for any other format.
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
    return render(d)


def explain(source: Decision | DecisionRecord, *, format: Format = "text", why_not: bool = False,
            facts: FactsInput | None = None) -> str:
    """Danish reasons for a decision (or a record's decision) as text, Markdown or HTML.

    With ``why_not``, the facts that decide a negative or open outcome and the changes that
    would alter it are added; they come from re-evaluating under the same rule-set version,
    so they need the facts (a record carries them). Raises ``UnknownFormat`` for a format other
    than ``text``, ``markdown`` or ``html`` and ``FactsError`` when ``why_not`` has no facts.

    >>> import sps_rules
    >>> d = sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02"})
    >>> sps_rules.explain(d).splitlines()[0]
    'Afgørelsesstøtte: socialpædagogisk støtte efter serviceloven § 85'
    """
    if format not in FORMATS:
        raise UnknownFormat(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    if isinstance(source, DecisionRecord):
        decision = Decision.model_validate(source.decision)
        facts = source.facts if facts is None else facts
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
    out = [f"# {title}"]
    for s in sections:
        out += ["", f"## {s.title}", ""]
        if s.lead:
            out += [s.lead, ""]
        for item in s.items:
            out.append(f"- {item.text}")
            if item.source:
                src = item.source
                ref = f", {src.legal_reference}" if src.legal_reference else ""
                out.append(f"  > *{src.document}, afsnit »{src.section}«{ref}:* »{src.quote}«")
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
                src = item.source
                ref = f", {src.legal_reference}" if src.legal_reference else ""
                out.append(f"<blockquote><cite>{e(src.document)}, afsnit »{e(src.section)}«{e(ref)}</cite>: "
                           f"»{e(src.quote)}«</blockquote>")
            out.append("</li>")
        out.append("</ul></section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
