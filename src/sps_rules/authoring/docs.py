"""``sps-rules docs``: a rule set as a readable document, each rule beside the sentence it quotes.

Markdown, or HTML as one self-contained file. Conditions are written out in Danish words.
"""

from __future__ import annotations

import html
from typing import Any

from ..engine.evaluator import RuleSet
from ..engine.loaded import Document, LoadedRule
from .coverage import coverage_html, coverage_markdown
from ..model.schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Source

FACT_DA = {
    "assessment_date": "vurderingsdatoen", "birth_date": "fødselsdatoen", "age": "alderen",
    "resident_municipality": "bopælskommunen", "support_need_level": "støttebehovsniveauet",
    "special_social_problems": "særlige sociale problemer", "can_participate_actively": "kan deltage aktivt",
    "wants_to_participate": "vil deltage", "can_participate_in_group": "kan deltage i en gruppe",
    "need_met_by_less_intrusive_offer": "behovet kan dækkes mindre indgribende", "needs": "behovene",
    "requests": "ønskerne", "support_start_date": "støttens startdato", "last_support_used_date": "sidste brug af støtten",
    "decision_notified_date": "dagen afgørelsen blev modtaget", "complaint_received_date": "dagen klagen blev modtaget",
    "home_is_safe_workplace": "hjemmet er en sikker arbejdsplads",
}
THEME_DA = {
    "physical_functions": "fysiske funktioner", "mental_functions": "mentale funktioner", "self_care": "egenomsorg",
    "practical_tasks": "praktiske opgaver", "mobility": "mobilitet", "communication": "kommunikation",
    "relations": "relationer", "community_life": "samfundsliv", "health_conditions": "sundhedsforhold",
    "social_conditions": "sociale forhold",
}
OP_DA = {"equals": "er", "not_equals": "er ikke", "at_least": "er mindst", "at_most": "er højst",
         "greater_than": "er over", "less_than": "er under", "one_of": "er en af", "contains": "omfatter",
         "contains_any": "omfatter mindst én af"}
KIND_DA = {
    "principle": "Princip", "criterion": "Kriterier", "support_form": "Støtteformer", "need": "Behov",
    "request": "Ønsker: omfattet og udelukket", "referral": "Henvisninger", "condition": "Vilkår",
    "assessment": "Til den individuelle vurdering", "deadline": "Frister",
}
ELIG_DA = {"eligible": "i målgruppen", "not_eligible": "ikke i målgruppen", "undetermined": "uafklaret"}


def fact_words(path: str) -> str:
    if path.startswith("function_levels."):
        return f"funktionsevneniveauet for {THEME_DA[path.split('.', 1)[1]]}"
    return FACT_DA.get(path, path)


def _bare(text: str, prefix: str) -> str:
    """Text without a leading label it already carries, e.g. 'Fortolkning: ...' under a Fortolkning heading."""
    return text[len(prefix):].lstrip(" :") if text.lower().startswith(prefix.lower()) else text


def _val(value: Any) -> str:
    if value is True:
        return "ja"
    if value is False:
        return "nej"
    if isinstance(value, list):
        return ", ".join(_val(v) for v in value)
    return str(value)


def condition_words(cond: Condition, definitions: dict[str, Definition]) -> str:
    """A condition in plain Danish."""
    if isinstance(cond, AllOf):
        return "alle disse: (" + "; ".join(condition_words(c, definitions) for c in cond.all) + ")"
    if isinstance(cond, AnyOf):
        return "mindst én af: (" + "; ".join(condition_words(c, definitions) for c in cond.any) + ")"
    if isinstance(cond, Not):
        return "ikke (" + condition_words(cond.not_, definitions) + ")"
    if isinstance(cond, Ref):
        definition = definitions[cond.ref]
        return f"«{definition.text.rstrip('.')}» [{cond.ref}]"
    assert isinstance(cond, FactTest)
    if cond.comparison == "known":
        return f"{fact_words(cond.fact)} er {'oplyst' if cond.value else 'ikke oplyst'}"
    if cond.fact in FACT_DA and isinstance(cond.value, bool) and cond.comparison == "equals":
        return f"{fact_words(cond.fact)}: {_val(cond.value)}"
    return f"{fact_words(cond.fact)} {OP_DA[cond.comparison]} {_val(cond.value)}"


def conclusion_words(rule: Any) -> str:
    kind = rule.kind
    c = getattr(rule, kind)
    if kind == "criterion":
        return f"Kriterium. Opfyldt: {c.met} Ikke opfyldt: {c.not_met}"
    if kind == "support_form":
        return f"Støtteform {c.form}: {c.status}"
    if kind == "need":
        return f"Behov {c.code or '(alle ikke nævnte)'}: {c.status}"
    if kind == "request":
        ref = f"; henvisning: {c.referral.to}" + (f" ({c.referral.legal_basis})" if c.referral.legal_basis else "") \
            if c.referral else ""
        return f"Ønske {c.code or '(alle ikke omtalte)'}: {c.status}{ref}"
    if kind == "referral":
        return f"Henvisning til {c.to}" + (f" ({c.legal_basis})" if c.legal_basis else "")
    if kind == "deadline":
        parts = [f"{k} {v}" for k, v in c.add.model_dump().items() if v]
        window = f", tidligst + {', '.join(f'{k} {v}' for k, v in c.earliest.model_dump().items() if v)}" \
            if c.earliest else ""
        roll = "; flyttes til næste hverdag ved weekend/helligdag" if c.next_weekday else ""
        return f"Frist ({c.kind}): {fact_words(c.anchor)} + {', '.join(parts)}{window}{roll}"
    if kind == "condition":
        return f"Vilkår ({c.category})"
    if kind == "assessment":
        return "Punkt til den individuelle vurdering" + (f" (om {', '.join(c.about)})" if c.about else "")
    return "Princip"


def _entries(ruleset: RuleSet) -> list[tuple[str, list[LoadedRule]]]:
    groups: dict[str, list[LoadedRule]] = {k: [] for k in KIND_DA}
    for item in ruleset.loaded.rules:
        groups[item.rule.kind].append(item)
    return [(KIND_DA[k], v) for k, v in groups.items() if v]


def _when(item: LoadedRule, definitions: dict[str, Definition]) -> str:
    parts = []
    if item.rule.when is not None:
        parts.append(condition_words(item.rule.when, definitions))
    if item.rule.when_eligibility:
        parts.append("afgørelsen er " + " eller ".join(ELIG_DA[e] for e in item.rule.when_eligibility))
    return " og ".join(parts) if parts else "altid"


def _where(src: Source, document: Document) -> str:
    """'serviceloven § 85, jf. LBK nr 1129 af 22/09/2025' for a statute; 'Titel, afsnit »Målgruppe«' otherwise."""
    citation = document.ref.citation(src) if document.ref is not None else None
    return citation or f"{document.title}, afsnit »{src.place}«"


def _meta(ruleset: RuleSet) -> list[tuple[str, str]]:
    h = ruleset.loaded.header
    rows = [("Kommune", h.municipality or "—"), ("Lovgrundlag", h.legal_basis), ("Version", h.version),
            ("Gyldig", f"{h.valid_from} til {h.valid_to or 'indtil videre'}"), ("sha256", ruleset.sha256)]
    if ruleset.loaded.base is not None:
        rows.append(("Bygger på", f"{ruleset.loaded.base.id} version {ruleset.loaded.base.version}"))
    rows += [("Kilde", f"{d.title}" + (f" ({d.dated})" if d.dated else "")) for d in ruleset.loaded.documents.values()]
    rows += [("Antagelse", _bare(n, "Antagelse")) for n in ruleset.ref.notes]
    return rows


def to_markdown(ruleset: RuleSet) -> str:
    defs = ruleset.loaded.definitions
    out = [f"# {ruleset.title}", ""]
    out += [f"- **{k}:** {v}" for k, v in _meta(ruleset)]
    if defs:
        out += ["", "## Definitioner", ""]
        for name, d in defs.items():
            out.append(f"- **{name}**: {d.text} Betingelse: {condition_words(d.when, defs)}.")
            if d.interpretation:
                out.append(f"  - *Fortolkning:* {_bare(d.interpretation, 'Fortolkning')}")
    for title, items in _entries(ruleset):
        out += ["", f"## {title}", ""]
        for item in items:
            r = item.rule
            src = r.source
            ref = f", {src.legal_reference}" if src.legal_reference else ""
            out += [f"### {r.id}" + ("" if item.origin == ruleset.id else f" (fra {item.origin})"), "",
                    r.text, "",
                    f"- **Gælder når:** {_when(item, defs)}",
                    f"- **Konklusion:** {conclusion_words(r)}"]
            if r.interpretation:
                out.append(f"- **Fortolkning:** {_bare(r.interpretation, 'Fortolkning')}")
            out += ["", f"> »{src.quote}«  ", f"> — *{_where(src, item.document)}{ref}*", ""]
            for more, doc in zip(r.also, item.also, strict=True):
                out += [f"> »{more.quote}«  ", f"> — *{_where(more, doc)}*", ""]
    out += ["", coverage_markdown(ruleset.loaded)]
    return "\n".join(out).rstrip() + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}"
    "table{border-collapse:collapse;width:100%}td,th{vertical-align:top;padding:.5rem;border-bottom:1px solid #ddd;"
    "text-align:left}td.quote{width:45%;background:#f6f8f8;font-style:italic}.id{font-family:monospace;color:#355}"
    ".meta td{border:none;padding:.15rem .5rem}.interp{color:#6a4b00}h2{margin-top:2rem}"
)


def to_html(ruleset: RuleSet) -> str:
    e = html.escape
    defs = ruleset.loaded.definitions
    out = ["<!DOCTYPE html>", '<html lang="da"><head><meta charset="utf-8">',
           f"<title>{e(ruleset.title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(ruleset.title)}</h1>", '<table class="meta">']
    out += [f"<tr><td><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in _meta(ruleset)]
    out.append("</table>")
    if defs:
        out.append("<h2>Definitioner</h2><ul>")
        for name, d in defs.items():
            interp = (f'<br><span class="interp">Fortolkning: {e(_bare(d.interpretation, "Fortolkning"))}</span>'
                      if d.interpretation else "")
            out.append(f'<li><span class="id">{e(name)}</span>: {e(d.text)} '
                       f"Betingelse: {e(condition_words(d.when, defs))}.{interp}</li>")
        out.append("</ul>")
    for title, items in _entries(ruleset):
        out.append(f"<h2>{e(title)}</h2><table><tr><th>Regel</th><th>Standardens tekst</th></tr>")
        for item in items:
            r, src = item.rule, item.rule.source
            ref = f", {src.legal_reference}" if src.legal_reference else ""
            origin = "" if item.origin == ruleset.id else f" (fra {e(item.origin)})"
            interp = (f'<br><span class="interp">Fortolkning: {e(_bare(r.interpretation, "Fortolkning"))}</span>'
                      if r.interpretation else "")
            out.append(
                f'<tr id="{e(r.id)}"><td><span class="id">{e(r.id)}</span>{origin}<br>{e(r.text)}<br>'
                f"<b>Gælder når:</b> {e(_when(item, defs))}<br><b>Konklusion:</b> {e(conclusion_words(r))}{interp}</td>"
                f'<td class="quote">»{e(src.quote)}«<br><small>{e(_where(src, item.document))}'
                f"{e(ref)}</small>"
                + "".join(f"<br>»{e(more.quote)}«<br><small>{e(_where(more, doc))}</small>"
                          for more, doc in zip(r.also, item.also, strict=True))
                + "</td></tr>")
        out.append("</table>")
    out.append(coverage_html(ruleset.loaded))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
