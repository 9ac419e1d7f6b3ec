"""Sentences of a source text, for the quote hint and sentence accounting; the paragraphs of a statute.

Danish abbreviations (f.eks., stk., jf., nr., bl.a., ...) end in a full stop but do not end a
sentence, and "§ 85." or "Stk. 2." at the start of a line is a statute's label, not a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .loaded import fold

#: Abbreviations that never end a Danish sentence (lower case, with their full stops).
ABBREVIATIONS = frozenset({
    "f.eks.", "feks.", "fx.", "stk.", "jf.", "jfr.", "nr.", "bl.a.", "evt.", "ca.", "pkt.", "inkl.", "ekskl.",
    "dvs.", "pga.", "p.g.a.", "mht.", "m.h.t.", "iht.", "i.h.t.", "vedr.", "kl.", "tlf.", "ift.", "i.f.t.",
    "el.", "o.a.", "bl.", "max.", "min.", "sml.", "jvf.", "lovbek.", "bek.", "afs.", "kap.", "s.", "ff.",
    "hhv.", "henh.", "mia.", "mio.", "ang.", "att.", "ex.", "mr.", "dr.", "sept.", "okt.", "nov.", "dec.",
    "jan.", "feb.", "aug.", "gl.", "st.", "alm.",
})
#: Abbreviations that may also close a sentence ("... pleje mv. Den kombineres ..."): a capital after them ends it.
CLOSING_ABBREVIATIONS = frozenset({"mv.", "m.v.", "m.m.", "mm.", "osv.", "etc.", "o.l.", "ol.", "m.fl.", "mfl."})

_BREAK = re.compile(
    r"[•\uf0b7\uf0a7▪◦\u2022]|(?i:<(?:/?(?:p|li|ul|ol|br|div|tr|td|h[1-6]))\b[^>]{0,400}>)"
    r"|(?m:^\s*[-*]\s+)|\n(?=\s*(?:§§? |Stk\. )[0-9])|\n[ \t]*\n(?=\s*[^a-zæøå\s])",
)
_LABEL = re.compile(r"^(?:§§? [0-9]+(?: [a-z])?(?:-[0-9]+(?: [a-z])?)?\.|Stk\. [0-9]+\.)\s*")
_CANDIDATE = re.compile(r"[.!?]+[\"»”')]*\s+(?=[\"»«“(]?[A-ZÆØÅ0-9§])")
_WORD_BEFORE = re.compile(r"(\S+)$")
_HEADING = re.compile(r"^(§§? [0-9]+(?: [a-z])?(?:-[0-9]+(?: [a-z])?)?)[ \t]*$", re.MULTILINE)
_STK = re.compile(r"^Stk\. ([0-9]+)\. ", re.MULTILINE)


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, folded (tags, bullets and whitespace as in quote checks), in order.

    A sentence ends at ., ! or ? before a capital or a digit, unless the word before is a Danish
    abbreviation; list items, HTML paragraphs, statute labels and blank lines also separate (a
    blank line before a lower-case word is a wrapped line of a PDF copy, not a break).
    """
    out: list[str] = []
    for chunk in _BREAK.split(text):
        folded = _LABEL.sub("", fold(chunk))
        start = 0
        for match in _CANDIDATE.finditer(folded):
            word = _WORD_BEFORE.search(folded[start:match.start() + 1])
            token = (word.group(1) if word else "").lower().lstrip("(\"»«“")
            if token in ABBREVIATIONS or (token in CLOSING_ABBREVIATIONS and _continues(folded, match.end())):
                continue
            if re.fullmatch(r"[0-9]{1,2}\.", token) and _ordinal(folded, match.start()):
                continue
            out.append(folded[start:match.end()].strip())
            start = match.end()
        out.append(folded[start:].strip())
    return [s for s in out if re.search(r"\w", s)]


def _continues(text: str, at: int) -> bool:
    """After a closing abbreviation: a digit or § goes on with the sentence; a capitalised word starts one."""
    return bool(re.match(r"[0-9§]", text[at:at + 1]))


def _ordinal(text: str, at: int) -> bool:
    """'den 1. Januar', 'stk. 2. Det' ... : a number after §, stk., nr. or pkt. is a reference, not an end."""
    before = text[max(0, at - 12):at]
    return bool(re.search(r"(?:§|stk\.|nr\.|pkt\.|den)\s+[0-9]{1,2}$", before, re.IGNORECASE)) and not text[at + 1:].lstrip()[:1].isupper()


@dataclass(frozen=True)
class StatuteParagraph:
    """One § of a shipped statute text: its heading ('§ 85') and its stk. texts (stk. 1 is the opening)."""

    paragraph: str
    stk: dict[int, str]

    @property
    def text(self) -> str:
        return " ".join(self.stk[k] for k in sorted(self.stk))


def statute_paragraphs(text: str) -> dict[str, StatuteParagraph]:
    """The paragraphs of a statute text: each starts at a line holding only its heading ('§ 85').

    A paragraph runs to the next heading or to a rule line (----, ====: four or more). Lines starting
    'Stk. N. ' begin stk. N; the lines before the first of them are stk. 1.
    """
    found: dict[str, StatuteParagraph] = {}
    headings = list(_HEADING.finditer(text))
    for i, heading in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        body = text[heading.end():end]
        rule = re.search(r"^[-=]{4,}[ \t]*$", body, re.MULTILINE)
        if rule is not None:
            body = body[:rule.start()]
        parts: dict[int, str] = {}
        marks = list(_STK.finditer(body))
        first = body[:marks[0].start()] if marks else body
        parts[1] = first.strip()
        for j, mark in enumerate(marks):
            stop = marks[j + 1].start() if j + 1 < len(marks) else len(body)
            parts[int(mark.group(1))] = body[mark.start():stop].strip()
        found.setdefault(heading.group(1), StatuteParagraph(heading.group(1), parts))
    return found
