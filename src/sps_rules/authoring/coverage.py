"""Sentence accounting: every sentence of a rule set's own source texts is cited by a rule or listed
as not decision-relevant with a reason.

A sentence counts as cited when a rule's quote (``source`` or ``also``) lies within it or it lies
within the quote; as listed when an entry under ``not_decision_relevant`` is the sentence, lies
within it (20 characters or more), or contains it. Of a statute only the paragraphs' own text is
counted, not the provenance header above them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

from ..engine.loaded import Document, LoadedRuleSet, fold_quote
from ..engine.sentences import split_sentences, statute_paragraphs
from ..model.markdown import inline, slug

Status = Literal["cited", "not_decision_relevant", "unaccounted"]
MIN_PART = 20


@dataclass(frozen=True)
class SentenceAccount:
    sentence: str
    status: Status
    rules: tuple[str, ...] = ()  # the rules that cite it
    reason: str | None = None  # why it is not decision-relevant


@dataclass(frozen=True)
class DocumentAccount:
    document_id: str  # the id in the rule file's sources
    title: str
    file: str
    sentences: tuple[SentenceAccount, ...]

    @property
    def unaccounted(self) -> list[str]:
        return [s.sentence for s in self.sentences if s.status == "unaccounted"]

    def count(self, status: Status) -> int:
        return sum(1 for s in self.sentences if s.status == status)


def document_sentences(document: Document) -> list[str]:
    """The sentences of a source text that must be accounted for."""
    if document.ref is not None and document.ref.kind == "statute":
        return [s for p in statute_paragraphs(document.text).values()
                for k in sorted(p.stk) for s in split_sentences(p.stk[k])]
    return split_sentences(document.text)


def _covers(part: str, sentence: str, *, short_ok: bool) -> bool:
    if not part:
        return False
    if part == sentence or sentence in part:
        return True
    return (short_ok or len(part) >= MIN_PART) and part in sentence


def account(loaded: LoadedRuleSet) -> list[DocumentAccount]:
    """Per own source document of a rule set: each sentence and how it is accounted for."""
    out = []
    prefix = f"{loaded.id}:"
    for key, document in loaded.documents.items():
        if not key.startswith(prefix):
            continue  # a baseline's document is accounted for by the baseline
        citing = [(item.rule.id, fold_quote(src.quote))
                  for item in loaded.rules
                  for src, doc in zip(item.rule.citations, (item.document, *item.also), strict=True)
                  if doc.file == document.file]
        listed = [(fold_quote(s), group.reason)
                  for group in loaded.not_decision_relevant.get(document.id, ()) for s in group.sentences]
        rows = []
        for sentence in document_sentences(document):
            rules = tuple(dict.fromkeys(rid for rid, quote in citing if _covers(quote, sentence, short_ok=True)))
            if rules:
                rows.append(SentenceAccount(sentence, "cited", rules=rules))
                continue
            reason = next((why for part, why in listed if _covers(part, sentence, short_ok=False)), None)
            rows.append(SentenceAccount(sentence, "not_decision_relevant" if reason else "unaccounted", reason=reason))
        out.append(DocumentAccount(document.id, document.title, document.file.name, tuple(rows)))
    return out


# --- the coverage section of the rule set document (docs) ------------------------------------------

TITLE = "Sætningsdækning"
STATUS_DA = {"cited": "citeret", "not_decision_relevant": "ikke afgørende", "unaccounted": "IKKE REDEGJORT FOR"}


def coverage_markdown(loaded: LoadedRuleSet) -> str:
    """'## Sætningsdækning': per document and sentence, the citing rules or the reason it is left out."""
    out = [f"## {TITLE}", "",
           "Hver sætning i regelsættets egne kilder er enten citeret af en regel eller anført som ikke "
           "afgørende for en afgørelse, med begrundelse.", ""]
    for doc in account(loaded):
        out += [f"**{inline(doc.title)}**", "",
                f"{doc.count('cited')} citeret, {doc.count('not_decision_relevant')} ikke afgørende, "
                f"{doc.count('unaccounted')} ikke redegjort for.", "",
                "| Sætning | Status | Regel eller begrundelse |", "| --- | --- | --- |"]
        for row in doc.sentences:
            why = ", ".join(row.rules) if row.rules else (row.reason or "")
            out.append(f"| {inline(row.sentence)} | {STATUS_DA[row.status]} | {inline(why)} |")
        out.append("")
    return "\n".join(out)


def coverage_html(loaded: LoadedRuleSet) -> str:
    e = html.escape
    out = [f'<h2 id="{e(slug(TITLE))}">{e(TITLE)}</h2>',
           "<p>Hver sætning i regelsættets egne kilder er enten citeret af en regel eller anført som ikke "
           "afgørende for en afgørelse, med begrundelse.</p>"]
    for doc in account(loaded):
        out.append(f"<h3>{e(doc.title)}</h3><p>{doc.count('cited')} citeret, {doc.count('not_decision_relevant')} "
                   f"ikke afgørende, {doc.count('unaccounted')} ikke redegjort for.</p>")
        out.append("<table><tr><th>Sætning</th><th>Status</th><th>Regel eller begrundelse</th></tr>")
        for row in doc.sentences:
            why = ", ".join(row.rules) if row.rules else (row.reason or "")
            out.append(f"<tr><td>{e(row.sentence)}</td><td>{e(STATUS_DA[row.status])}</td><td>{e(why)}</td></tr>")
        out.append("</table>")
    return "\n".join(out)
