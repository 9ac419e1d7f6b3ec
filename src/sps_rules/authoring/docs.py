"""``sps-rules docs``: a rule set as a readable document, each rule beside the sentence it quotes.

Markdown, or HTML as one self-contained file. Conditions are written out in Danish words.
"""

from __future__ import annotations

import html
from typing import Any

from ..engine.evaluator import RuleSet
from ..engine.loaded import Document, LoadedRule
from ..model import labels
from ..model.markdown import inline, slug
from ..model.schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Source
from .coverage import TITLE as COVERAGE_TITLE
from .coverage import coverage_html, coverage_markdown

FACT_DA = labels.FACT
THEME_DA = labels.THEME
OP_DA = {"equals": "er", "not_equals": "er ikke", "at_least": "er mindst", "at_most": "er højst",
         "greater_than": "er over", "less_than": "er under", "one_of": "er en af", "contains": "omfatter",
         "contains_any": "omfatter mindst én af"}
KIND_DA = {
    "principle": "Princip", "criterion": "Kriterier", "support_form": "Støtteformer", "need": "Behov",
    "request": "Ønsker: omfattet og udelukket", "referral": "Henvisninger", "condition": "Vilkår",
    "assessment": "Til den individuelle vurdering", "deadline": "Frister",
}
ELIG_DA = labels.ELIGIBILITY
#: The Danish label table for the values of a fact, where its values are codes.
VALUE_DA = {"needs": labels.NEED, "requests": labels.REQUEST}


def fact_words(path: str) -> str:
    return labels.fact(path)


def _bare(text: str, prefix: str) -> str:
    """Text without a leading label it already carries, e.g. 'Fortolkning: ...' under a Fortolkning heading."""
    return text[len(prefix):].lstrip(" :") if text.lower().startswith(prefix.lower()) else text


def _val(value: Any, fact: str = "") -> str:
    if value is True:
        return "ja"
    if value is False:
        return "nej"
    if isinstance(value, list):
        return ", ".join(_val(v, fact) for v in value)
    if fact in VALUE_DA and isinstance(value, str):
        return labels.labelled(VALUE_DA[fact], value)
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
        return f"«{definition.text.rstrip('.')}» ({cond.ref})"
    assert isinstance(cond, FactTest)
    if cond.comparison == "known":
        return f"{fact_words(cond.fact)} er {'oplyst' if cond.value else 'ikke oplyst'}"
    if cond.fact in FACT_DA and isinstance(cond.value, bool) and cond.comparison == "equals":
        return f"{fact_words(cond.fact)}: {_val(cond.value)}"
    return f"{fact_words(cond.fact)} {OP_DA[cond.comparison]} {_val(cond.value, cond.fact)}"


def _period(period: Any) -> str:
    """'3 måneder, 2 uger'."""
    return ", ".join(f"{v} {labels.PERIOD_UNIT[k]}" for k, v in period.model_dump().items() if v)


def conclusion_words(rule: Any) -> str:
    kind = rule.kind
    c = getattr(rule, kind)
    if kind == "criterion":
        return f"Kriterium. Opfyldt: {c.met} Ikke opfyldt: {c.not_met}"
    if kind == "support_form":
        return f"Støtteform {labels.labelled(labels.FORM, c.form)}: {labels.labelled(labels.STATUS, c.status)}"
    if kind == "need":
        code = labels.labelled(labels.NEED, c.code) if c.code else "(alle ikke nævnte)"
        return f"Behov {code}: {labels.labelled(labels.STATUS, c.status)}"
    if kind == "request":
        ref = f"; henvisning: {c.referral.to}" + (f" ({c.referral.legal_basis})" if c.referral.legal_basis else "") \
            if c.referral else ""
        code = labels.labelled(labels.REQUEST, c.code) if c.code else "(alle ikke omtalte)"
        return f"Ønske {code}: {labels.labelled(labels.STATUS, c.status)}{ref}"
    if kind == "referral":
        return f"Henvisning til {c.to}" + (f" ({c.legal_basis})" if c.legal_basis else "")
    if kind == "deadline":
        parts = _period(c.add)
        window = f", tidligst + {_period(c.earliest)}" if c.earliest else ""
        roll = "; flyttes til næste hverdag ved weekend/helligdag" if c.next_weekday else ""
        return f"Frist: {labels.labelled(labels.DEADLINE, c.kind)}: {fact_words(c.anchor)} + {parts}{window}{roll}"
    if kind == "condition":
        return f"Vilkår: {labels.labelled(labels.CONDITION_CATEGORY, c.category)}"
    if kind == "assessment":
        return "Punkt til den individuelle vurdering" + (f" (om {', '.join(map(fact_words, c.about))})" if c.about else "")
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


def _meta(ruleset: RuleSet) -> list[tuple[str, str]]:
    h = ruleset.loaded.header
    rows = [("Kommune", h.municipality or "—"), ("Lovgrundlag", h.legal_basis), ("Version", h.version),
            ("Gyldig", f"{h.valid_from} til {h.valid_to or 'indtil videre'}"), ("sha256", ruleset.sha256)]
    if ruleset.loaded.base is not None:
        rows.append(("Bygger på", f"{ruleset.loaded.base.id} version {ruleset.loaded.base.version}"))
    rows += [("Kilde", f"{d.title}" + (f" ({d.dated})" if d.dated else "")) for d in ruleset.loaded.documents.values()]
    rows += [("Antagelse", _bare(n, "Antagelse")) for n in ruleset.ref.notes]
    return rows


def _heading(item: LoadedRule, ruleset: RuleSet) -> str:
    """A rule's heading: its id, and where it comes from when the baseline defines it."""
    return item.rule.id + ("" if item.origin == ruleset.id else f" (fra {item.origin})")


def _toc_markdown(ruleset: RuleSet, entries: list[tuple[str, list[LoadedRule]]]) -> list[str]:
    """The table of contents: each section, and under it each rule, linked to its heading."""
    out = ["## Indhold", ""]
    if ruleset.loaded.definitions:
        out.append(f"- [Definitioner](#{slug('Definitioner')})")
    for title, items in entries:
        out.append(f"- [{inline(title)}](#{slug(title)}) ({len(items)})")
        out += [f"  - [{inline(item.rule.id)}](#{slug(_heading(item, ruleset))})" for item in items]
    out.append(f"- [{COVERAGE_TITLE}](#{slug(COVERAGE_TITLE)})")
    return out


def _where(src: Source, document: Document) -> str:
    """'serviceloven § 85, jf. LBK nr 1129 af 22/09/2025' for a statute; 'Titel, afsnit »Målgruppe«' otherwise."""
    citation = document.ref.citation(src) if document.ref is not None else None
    return citation or f"{document.title}, afsnit »{src.place}«"


def to_markdown(ruleset: RuleSet) -> str:
    """The rule set as Markdown. Every text from the rule file is escaped (``inline``), so a rule
    text or quote holding HTML or Markdown syntax is shown as written, never rendered live."""
    defs = ruleset.loaded.definitions
    entries = _entries(ruleset)
    out = [f"# {inline(ruleset.title)}", ""]
    out += [f"- **{inline(k)}:** {inline(v)}" for k, v in _meta(ruleset)]
    out += [""] + _toc_markdown(ruleset, entries)
    if defs:
        out += ["", "## Definitioner", ""]
        for name, d in defs.items():
            out.append(f"- **{inline(d.text.rstrip('.'))}** ({inline(name)}). "
                       f"Betingelse: {inline(condition_words(d.when, defs))}.")
            if d.interpretation:
                out.append(f"  - *Fortolkning:* {inline(_bare(d.interpretation, 'Fortolkning'))}")
    for title, items in entries:
        out += ["", f"## {inline(title)}", ""]
        for item in items:
            r = item.rule
            src = r.source
            ref = f", {src.legal_reference}" if src.legal_reference else ""
            out += [f"### {inline(_heading(item, ruleset))}", "",
                    inline(r.text), "",
                    f"- **Gælder når:** {inline(_when(item, defs))}",
                    f"- **Konklusion:** {inline(conclusion_words(r))}"]
            if r.interpretation:
                out.append(f"- **Fortolkning:** {inline(_bare(r.interpretation, 'Fortolkning'))}")
            out += ["", f"> »{inline(src.quote)}«  ", f"> — *{inline(_where(src, item.document))}{inline(ref)}*", ""]
            for more, doc in zip(r.also, item.also, strict=True):
                out += [f"> »{inline(more.quote)}«  ", f"> — *{inline(_where(more, doc))}*", ""]
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
    entries = _entries(ruleset)
    out.append('<nav><h2>Indhold</h2><ul>')
    if defs:
        out.append('<li><a href="#definitioner">Definitioner</a></li>')
    for title, items in entries:
        rules = "".join(f'<li><a href="#{e(item.rule.id)}">{e(item.rule.id)}</a></li>' for item in items)
        out.append(f'<li><a href="#sec-{e(slug(title))}">{e(title)}</a> ({len(items)})<ul>{rules}</ul></li>')
    out.append(f'<li><a href="#{e(slug(COVERAGE_TITLE))}">{e(COVERAGE_TITLE)}</a></li>')
    out.append("</ul></nav>")
    if defs:
        out.append('<h2 id="definitioner">Definitioner</h2><ul>')
        for name, d in defs.items():
            interp = (f'<br><span class="interp">Fortolkning: {e(_bare(d.interpretation, "Fortolkning"))}</span>'
                      if d.interpretation else "")
            out.append(f'<li>{e(d.text.rstrip("."))} (<span class="id">{e(name)}</span>). '
                       f"Betingelse: {e(condition_words(d.when, defs))}.{interp}</li>")
        out.append("</ul>")
    for title, items in entries:
        out.append(f'<h2 id="sec-{e(slug(title))}">{e(title)}</h2><table><tr><th>Regel</th><th>Standardens tekst</th></tr>')
        for item in items:
            r, src = item.rule, item.rule.source
            ref = f", {src.legal_reference}" if src.legal_reference else ""
            origin = "" if item.origin == ruleset.id else f" (fra {e(item.origin)})"
            interp = (f'<br><span class="interp">Fortolkning: {e(_bare(r.interpretation, "Fortolkning"))}</span>'
                      if r.interpretation else "")
            out.append(
                f'<tr id="{e(r.id)}"><td><span class="id">{e(r.id)}</span>{origin}<br>{e(r.text)}<br>'
                f"<b>Gælder når:</b> {e(_when(item, defs))}<br><b>Konklusion:</b> {e(conclusion_words(r))}{interp}</td>"
                f'<td class="quote">»{e(src.quote)}«<br><small>{e(_where(src, item.document))}{e(ref)}</small>'
                + "".join(f"<br>»{e(more.quote)}«<br><small>{e(_where(more, doc))}</small>"
                          for more, doc in zip(r.also, item.also, strict=True))
                + "</td></tr>")
        out.append("</table>")
    out.append(coverage_html(ruleset.loaded))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
