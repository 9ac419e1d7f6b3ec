"""Checks of meaning on one rule file against its baseline: facts, codes, verbatim quotes, ids, cycles.

Every problem is collected with its ``file:line:col``; the loader refuses the file if there is any.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from typing import Any

from ..model.errors import Problem
from ..model.facts import VOCABULARY, FactKind
from ..model.schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Rule, RuleFile, Source, walk
from .loaded import Document, LoadedRule, LoadedRuleSet, fold, fold_quote
from .sentences import split_sentences, statute_paragraphs
from .yamlsafe import LineMap, location


class Checker:
    """Semantic checks of one rule file against its baseline; collects every problem."""

    def __init__(
        self,
        rule_file: RuleFile,
        lines: LineMap,
        display: str,
        documents: dict[str, Document],
        base: LoadedRuleSet | None,
        problems: list[Problem],
    ):
        self.f = rule_file
        self.lines = lines
        self.display = display
        self.documents = documents
        self.base = base
        self.problems = problems

    def add(self, loc: tuple[Any, ...], message: str, hint: str = "") -> None:
        line, col = location(self.lines, loc)
        self.problems.append(Problem(self.display, line, col, message, hint))

    def run(self) -> tuple[list[LoadedRule], dict[str, Definition]]:
        definitions = self._merge_definitions()
        for name, definition in self.f.definitions.items():
            self._check_condition(definition.when, ("definitions", name, "when"), definitions)
        rules = self._merge_rules(definitions)
        self._check_whole(rules)
        self._check_ref_cycles(definitions)
        self._check_not_decision_relevant()
        return rules, definitions

    def _check_not_decision_relevant(self) -> None:
        """Each listed sentence stands verbatim in one of this file's own documents."""
        for doc_id, groups in self.f.not_decision_relevant.items():
            loc = ("not_decision_relevant", doc_id)
            document = self.documents.get(doc_id)
            if document is None:
                if doc_id not in {s.id for s in self.f.ruleset.sources}:
                    self.add(loc, f"unknown source document {doc_id!r}", f"use one of: {', '.join(self.documents)}")
                continue
            for i, group in enumerate(groups):
                for j, sentence in enumerate(group.sentences):
                    folded = fold_quote(sentence)
                    if not re.search(r"\w", folded) or folded not in document.folded:
                        self.add(loc + (i, "sentences", j), f"the sentence is not found verbatim in {document.file.name}",
                                 "copy it exactly from the source text")

    def _merge_definitions(self) -> dict[str, Definition]:
        merged: dict[str, Definition] = dict(self.base.definitions) if self.base else {}
        for name, definition in self.f.definitions.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
                self.add(("definitions", name), f"definition name {name!r} must be lower-case letters, digits and _")
            if name in merged:
                self.add(("definitions", name),
                         f"definition {name!r} is already defined by the baseline {self.base.id if self.base else ''}",
                         "choose another name")
            merged[name] = definition
        return merged

    def _merge_rules(self, definitions: dict[str, Definition]) -> list[LoadedRule]:
        merged: list[LoadedRule] = list(self.base.rules) if self.base else []
        index = {r.rule.id: i for i, r in enumerate(merged)}
        own: set[str] = set()
        for i, rule in enumerate(self.f.rules):
            loc = ("rules", i)
            if rule.id in own:
                self.add(loc + ("id",), f"duplicate rule id {rule.id!r}", "every rule needs its own id")
                continue
            own.add(rule.id)
            cited = self._check_source(rule, loc)
            self._check_rule(rule, loc, definitions)
            if cited is None:
                continue
            line, _ = location(self.lines, loc)
            loaded = LoadedRule(rule=rule, origin=self.f.ruleset.id, file=self.display, line=line,
                                document=cited[0], also=cited[1])
            if rule.id in index:
                if not rule.override:
                    self.add(loc + ("id",),
                             f"rule id {rule.id!r} is already used by the baseline {self.base.id if self.base else ''}",
                             "add 'override: true' to replace the baseline rule, or choose another id")
                    continue
                merged[index[rule.id]] = loaded
            else:
                if rule.override:
                    self.add(loc + ("override",), f"rule {rule.id!r} says override, but no baseline rule has that id",
                             "remove 'override: true' or use the baseline rule's id")
                    continue
                index[rule.id] = len(merged)
                merged.append(loaded)
        return merged

    def _check_source(self, rule: Rule, loc: tuple[Any, ...]) -> tuple[Document, tuple[Document, ...]] | None:
        """Every citation of a rule: its document exists and its quote stands verbatim in it."""
        found = [self._check_citation(src, loc + (("source",) if j == 0 else ("also", j - 1)))
                 for j, src in enumerate(rule.citations)]
        if any(d is None for d in found):
            return None
        documents = [d for d in found if d is not None]
        return documents[0], tuple(documents[1:])

    def _document(self, doc_id: str) -> Document | None:
        if ":" in doc_id and self.base is not None:
            return self.base.documents.get(doc_id)
        return self.documents.get(doc_id)

    def _check_citation(self, src: Source, loc: tuple[Any, ...]) -> Document | None:
        doc_id = src.document or self.f.ruleset.sources[0].id
        document = self._document(doc_id)
        if document is None:
            if doc_id in {s.id for s in self.f.ruleset.sources}:
                return None  # the unreadable source was reported already
            known = [*self.documents, *(self.base.documents if self.base else {})]
            self.add(loc + ("document",), f"unknown source document {doc_id!r}", f"use one of: {', '.join(known)}")
            return None
        quote = fold_quote(src.quote)
        if not re.search(r"\w", quote) or len(quote) < 3:
            self.add(loc + ("quote",), "the quote has no words once spacing and markup are folded",
                     "copy a whole sentence from the source text")
            return document
        statute = document.ref is not None and document.ref.kind == "statute"
        if statute:
            self._check_statute(src, loc, document, quote)
        else:
            if src.paragraph is not None:
                self.add(loc + ("paragraph",), f"'paragraph' belongs to a statute; {document.file.name} is not one",
                         "cite a standard by its 'section' heading")
            if src.section is None:
                self.add(loc, f"a citation of {document.file.name} needs 'section': the heading the quote stands under")
            elif not re.search(r"\w", fold_quote(src.section)) or fold_quote(src.section) not in document.folded:
                self.add(loc + ("section",),
                         f"the section {src.section!r} is not a heading found in {document.file.name}",
                         "copy the heading exactly from the source text")
            if quote not in document.folded:
                near = _nearest_sentence(quote, document.text)
                self.add(loc + ("quote",),
                         f"the quote is not found verbatim in {document.file.name}",
                         "copy the sentence exactly from the source text" + (f"; nearest: {near!r}" if near else ""))
        return document

    def _check_statute(self, src: Source, loc: tuple[Any, ...], document: Document, quote: str) -> None:
        paragraphs = statute_paragraphs(document.text)
        if src.paragraph is None:
            self.add(loc, f"a citation of the statute {document.file.name} needs 'paragraph', e.g. '§ 85'",
                     f"paragraphs in the text: {', '.join(paragraphs) or 'none'}")
            return
        found = paragraphs.get(src.paragraph)
        if found is None:
            self.add(loc + ("paragraph",), f"{src.paragraph} is not in {document.file.name}",
                     f"paragraphs in the text: {', '.join(paragraphs) or 'none'}")
            return
        if src.stk is not None and src.stk not in found.stk:
            self.add(loc + ("stk",), f"{src.paragraph} has no stk. {src.stk} in {document.file.name}",
                     f"its stk.: {', '.join(map(str, sorted(found.stk)))}")
            return
        where = found.stk[src.stk] if src.stk is not None else found.text
        if quote not in fold(where):
            near = _nearest_sentence(quote, where)
            self.add(loc + ("quote",), f"the quote is not found verbatim in {src.place} of {document.file.name}",
                     "copy the sentence exactly from the statute text" + (f"; nearest: {near!r}" if near else ""))

    def _check_rule(self, rule: Rule, loc: tuple[Any, ...], definitions: dict[str, Definition]) -> None:
        if rule.when is not None:
            self._check_condition(rule.when, loc + ("when",), definitions)
        if rule.need is not None and rule.need.code is not None and rule.need.code not in VOCABULARY["needs"].codes:
            self._unknown_code(loc + ("need", "code"), rule.need.code, VOCABULARY["needs"].codes)
        if rule.request is not None and rule.request.code is not None and rule.request.code not in VOCABULARY["requests"].codes:
            self._unknown_code(loc + ("request", "code"), rule.request.code, VOCABULARY["requests"].codes)
        if rule.deadline is not None:
            spec = VOCABULARY.get(rule.deadline.anchor)
            if spec is None or spec.kind is not FactKind.DATE:
                dates = [p for p, s in VOCABULARY.items() if s.kind is FactKind.DATE]
                self.add(loc + ("deadline", "anchor"), f"deadline anchor {rule.deadline.anchor!r} is not a date fact",
                         f"use one of: {', '.join(dates)}")
        if rule.assessment is not None:
            for j, path in enumerate(rule.assessment.about):
                if path not in VOCABULARY:
                    self._unknown_fact(loc + ("assessment", "about", j), path)

    def _check_condition(self, cond: Condition, loc: tuple[Any, ...], definitions: dict[str, Definition]) -> None:
        if isinstance(cond, AllOf):
            for i, part in enumerate(cond.all):
                self._check_condition(part, loc + ("all", i), definitions)
        elif isinstance(cond, AnyOf):
            for i, part in enumerate(cond.any):
                self._check_condition(part, loc + ("any", i), definitions)
        elif isinstance(cond, Not):
            self._check_condition(cond.not_, loc + ("not",), definitions)
        elif isinstance(cond, Ref):
            if cond.ref not in definitions:
                near = difflib.get_close_matches(cond.ref, list(definitions), n=1)
                self.add(loc + ("ref",), f"unknown definition {cond.ref!r}",
                         f"did you mean {near[0]!r}?" if near else f"defined: {', '.join(sorted(definitions)) or 'none'}")
        else:
            self._check_fact_test(cond, loc)

    def _check_fact_test(self, test: FactTest, loc: tuple[Any, ...]) -> None:
        spec = VOCABULARY.get(test.fact)
        if spec is None:
            self._unknown_fact(loc + ("fact",), test.fact)
            return
        op, value = test.comparison, test.value
        at = loc + (op,)
        allowed = {
            FactKind.BOOL: {"equals", "not_equals", "known"},
            FactKind.LEVEL: {"equals", "not_equals", "at_least", "at_most", "greater_than", "less_than", "one_of", "known"},
            FactKind.INT: {"equals", "not_equals", "at_least", "at_most", "greater_than", "less_than", "one_of", "known"},
            FactKind.DATE: {"equals", "not_equals", "at_least", "at_most", "greater_than", "less_than", "known"},
            FactKind.SLUG: {"equals", "not_equals", "one_of", "known"},
            FactKind.CODES: {"contains", "contains_any", "known"},
        }[spec.kind]
        if op not in allowed:
            self.add(at, f"{op!r} cannot be used on {test.fact!r} (a {spec.kind.value} fact)",
                     f"use one of: {', '.join(sorted(allowed))}")
            return
        if op == "known":
            return
        values = value if isinstance(value, list) else [value]
        for v in values:
            if spec.kind is FactKind.BOOL and not isinstance(v, bool):
                self.add(at, f"{test.fact!r} is true or false; got {v!r}")
            elif spec.kind in (FactKind.LEVEL, FactKind.INT) and (isinstance(v, bool) or not isinstance(v, int)):
                self.add(at, f"{test.fact!r} is a whole number; got {v!r}")
            elif spec.kind is FactKind.LEVEL and isinstance(v, int) and not 0 <= v <= 4:
                self.add(at, f"{test.fact!r} is a level from 0 to 4; got {v!r}")
            elif spec.kind is FactKind.DATE and not isinstance(v, date):
                self.add(at, f"{test.fact!r} is a date; write it as YYYY-MM-DD, got {v!r}")
            elif spec.kind is FactKind.SLUG and not (isinstance(v, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", v)):
                self.add(at, f"{test.fact!r} is a municipality slug such as 'roskilde'; got {v!r}")
            elif spec.kind is FactKind.CODES and v not in spec.codes:
                self._unknown_code(at, str(v), spec.codes)

    def _unknown_fact(self, loc: tuple[Any, ...], name: str) -> None:
        near = difflib.get_close_matches(name, list(VOCABULARY), n=1)
        self.add(loc, f"unknown fact {name!r}",
                 f"did you mean {near[0]!r}?" if near else "see the fact vocabulary in the README (sps-rules schema facts)")

    def _unknown_code(self, loc: tuple[Any, ...], code: str, codes: tuple[str, ...]) -> None:
        near = difflib.get_close_matches(code, list(codes), n=1)
        self.add(loc, f"unknown code {code!r}", f"did you mean {near[0]!r}?" if near else f"use one of: {', '.join(codes)}")

    def _check_whole(self, rules: list[LoadedRule]) -> None:
        """Checks of the merged rule set (baseline plus this file)."""
        own_index = {r.id: i for i, r in enumerate(self.f.rules)}

        def where(rule_id: str) -> tuple[Any, ...]:
            return ("rules", own_index[rule_id]) if rule_id in own_index else ("ruleset",)

        principles = [r for r in rules if r.rule.principle is not None]
        if len(principles) != 1:
            self.add(("rules",), f"the rule set needs exactly one 'principle: individual_assessment' rule; found {len(principles)}",
                     "build on the national baseline, which has it")
        for kind, attr in (("need", "code"), ("request", "code")):
            seen: dict[str | None, str] = {}
            for r in rules:
                conclusion = getattr(r.rule, kind)
                if conclusion is None:
                    continue
                code = getattr(conclusion, attr)
                if code in seen:
                    what = f"{kind} {code!r}" if code else f"default {kind} rule"
                    self.add(where(r.rule.id) + (kind,), f"{what} is concluded by both {seen[code]!r} and {r.rule.id!r}",
                             "keep one rule per code; put alternatives in its 'when'")
                else:
                    seen[code] = r.rule.id
            if None not in seen:
                self.add(("rules",), f"the rule set has no default {kind} rule (one without a code)",
                         "build on the national baseline, which has it")

    def _check_ref_cycles(self, definitions: dict[str, Definition]) -> None:
        def visit(name: str, stack: tuple[str, ...]) -> None:
            if name in stack:
                self.add(("definitions", name), f"definitions refer to each other in a cycle: {' -> '.join(stack + (name,))}")
                return
            definition = definitions.get(name)
            if definition is not None:
                for ref in (r.ref for r in walk(definition.when) if isinstance(r, Ref)):
                    visit(ref, stack + (name,))

        for name in self.f.definitions:
            visit(name, ())


def _nearest_sentence(quote: str, text: str) -> str:
    """The sentence of a source text closest to a quote that was not found (the text is the rule set's own)."""
    near = difflib.get_close_matches(quote, split_sentences(text)[:2000], n=1, cutoff=0.6)
    return near[0][:160] if near else ""
