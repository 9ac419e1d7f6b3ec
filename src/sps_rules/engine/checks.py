"""Checks of meaning on one rule file against its baseline: facts, codes, verbatim quotes, ids, cycles.

Every problem is collected with its ``file:line:col``; the loader refuses the file if there is any.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import date
from typing import Any

from ..model.errors import Problem
from ..model.facts import EARLIEST_DATE, LATEST_DATE, VOCABULARY, FactKind
from ..model.schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Rule, RuleFile, Source, walk
from .loaded import Document, LoadedRule, LoadedRuleSet, fold, fold_quote
from .sentences import split_sentences, statute_paragraphs
from .yamlsafe import LineMap, location

#: The most rules one rule file may have. The compiled engine loads and evaluates 5,000 (tested);
#: durable-rules runs at most compiler.DURABLE_MAX_RULES and larger sets run on the compiled engine only.
MAX_RULES = 5_000
#: The most parts (all/any/not/fact) one condition may have once its refs are filled in.
MAX_EXPANDED_CONDITION = 2_000
#: The most and/or operators one condition may compile to (tested true, or tested false), beside
#: the rule's own guard. Measured on durable-rules 2.0.28: a rule whose expression holds more than
#: 15 of them cannot be created (error 113); an exponential ref bomb reached that at 3 levels.
MAX_ENGINE_OPERATORS = 14
#: The deepest nesting one condition may have once its refs are filled in.
MAX_EXPANDED_DEPTH = 100


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
        if len(loc) >= 2 and loc[0] in ("rules", "definitions"):
            message = f"{self._place(loc)}: {message}"
        self.problems.append(Problem(self.display, line, col, message, hint))

    def _place(self, loc: tuple[Any, ...]) -> str:
        """``rule target.age, when.all[2]`` (the rule by its id), ``definition x, when``."""
        if loc[0] == "rules" and isinstance(loc[1], int) and 0 <= loc[1] < len(self.f.rules):
            head = f"rule {self.f.rules[loc[1]].id}"
        else:
            head = f"{loc[0].rstrip('s')} {loc[1]}"
        rest = ""
        for part in loc[2:]:
            rest += f"[{part}]" if isinstance(part, int) else ("." if rest else "") + str(part)
        return head + (f", {rest}" if rest else "")

    def run(self) -> tuple[list[LoadedRule], dict[str, Definition]]:
        self._check_header()
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

    def _check_header(self) -> None:
        header = self.f.ruleset
        for key, day in (("valid_from", header.valid_from), ("valid_to", header.valid_to)):
            if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
                self.add(("ruleset", key), f"{key} {day.isoformat()} is outside the years "
                                           f"{EARLIEST_DATE.year}-{LATEST_DATE.year} that facts can have",
                         "check the year")
        if len(self.f.rules) > MAX_RULES:
            self.add(("rules",), f"the rule set has {len(self.f.rules):,} rules; at most {MAX_RULES:,} are supported "
                                 "(larger rule sets are not tested)", "split the rule set")

    def _merge_definitions(self) -> dict[str, Definition]:
        merged: dict[str, Definition] = dict(self.base.definitions) if self.base else {}
        for name, definition in self.f.definitions.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
                self.add(("definitions", name), f"definition name {name!r} must be lower-case letters, digits and _")
            if name in merged and not (self.base is not None and self.base.id == self.f.ruleset.id):
                self.add(("definitions", name),
                         f"definition {name!r} is already defined by the baseline {self.base.id if self.base else ''}",
                         "choose another name (a later version of the same rule set may restate it)")
            merged[name] = definition
        return merged

    def _merge_rules(self, definitions: dict[str, Definition]) -> list[LoadedRule]:
        merged: list[LoadedRule] = [self._restated_source(r) for r in self.base.rules] if self.base else []
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

    def _restated_source(self, inherited: LoadedRule) -> LoadedRule:
        """An earlier version's rule, citing this version's text of its document when this file gives one.

        When a new version of a rule set gives the new text of a standard under the same source id,
        every rule it inherits from its predecessor must still quote that new text verbatim.
        """
        own = self.f.ruleset.id
        document = self.documents.get(inherited.document.id)
        if self.base is None or self.base.id != own or inherited.origin != own or document is None:
            return inherited
        if any(r.id == inherited.rule.id for r in self.f.rules):
            return _with_document(inherited, document)  # restated here; its own quote is checked
        quote, section = fold_quote(inherited.rule.source.quote), fold_quote(inherited.rule.source.place)
        if quote not in document.folded or section not in document.folded:
            i = next(i for i, ref in enumerate(self.f.ruleset.sources) if ref.id == document.id)
            what, cited = (("quote", inherited.rule.source.quote) if quote not in document.folded
                           else ("section heading", inherited.rule.source.place))
            self.add(("ruleset", "sources", i, "file"),
                     f"rule {inherited.rule.id!r} of version {self.base.version} cites a {what} that the new text "
                     f"{document.file.name} no longer has: {cited!r}",
                     f"restate rule {inherited.rule.id!r} here with 'override: true', citing the new text")
        return _with_document(inherited, document)

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
        """Cycles among definitions, and the size and depth a condition has once its refs are expanded.

        Linear in the number of definitions and references: each definition is measured once
        (depth-first, without recursion), so neither a cycle nor an exponential "ref bomb" (each
        definition referring twice to the one below) can make loading slow or the engine crash.
        """
        measured: dict[str, Measure] = {}  # name -> expanded size, depth, alternatives (capped)
        cyclic: set[str] = set()
        # this file's definitions, and the baseline's that its rules name directly: a rule's size
        # counts every definition it fills in, wherever that definition stands
        starts = [*self.f.definitions, *(ref for rule in self.f.rules if rule.when is not None
                                         for ref in _refs(rule.when) if ref in definitions)]
        for start in dict.fromkeys(starts):
            if start in measured or start in cyclic:
                continue
            stack: list[tuple[str, list[str]]] = [(start, _refs(definitions[start].when))]
            on_stack = {start}
            while stack:
                name, pending = stack[-1]
                if pending:
                    ref = pending.pop()
                    if ref in measured or ref not in definitions:
                        continue
                    if ref in on_stack or ref in cyclic:
                        path = [n for n, _ in stack]
                        loop = path[path.index(ref):] + [ref] if ref in on_stack else [*path, ref]
                        self.add(("definitions", name if name in self.f.definitions else start),
                                 f"definitions refer to each other in a cycle: {' -> '.join(loop[:12])}"
                                 + (" -> …" if len(loop) > 12 else ""),
                                 "let one of them state its condition with facts instead of ref")
                        cyclic.update(path)
                        continue
                    stack.append((ref, _refs(definitions[ref].when)))
                    on_stack.add(ref)
                    continue
                stack.pop()
                on_stack.discard(name)
                if name not in cyclic:
                    measured[name] = _measure(definitions[name].when, measured)
        too_big = {n for n, m in measured.items() if _too_big(m)}
        for name in self.f.definitions:  # report where it starts, not every definition built on it
            if name in measured and not set(_refs(definitions[name].when)) & too_big:
                self._check_expanded(("definitions", name, "when"), f"definition {name!r}", measured[name])
        for i, rule in enumerate(self.f.rules):
            if rule.when is not None and not (set(_refs(rule.when)) & (cyclic | too_big)):
                size, depth, true, false = _measure(rule.when, measured)
                coded = (rule.need is not None and rule.need.code is not None) or (
                    rule.request is not None and rule.request.code is not None)
                if coded:  # the compiler joins "has this need/request" to the condition with one more all
                    true, false = true + 1, false + 1
                self._check_expanded(("rules", i, "when"), f"rule {rule.id!r}", (size, depth, true, false))

    def _check_expanded(self, loc: tuple[Any, ...], what: str, measure: Measure) -> None:
        size, depth, true, false = measure
        if max(true, false) > MAX_ENGINE_OPERATORS:
            self.add(loc, f"the condition of {what} is too complex for the rule engine: it needs more than "
                          f"{MAX_ENGINE_OPERATORS} all/any/comparison steps once its definitions are filled in",
                     "split it into several rules, or refer to fewer definitions (each ref repeats the whole "
                     "definition)")
        elif size > MAX_EXPANDED_CONDITION:
            self.add(loc, f"the condition of {what} grows to more than {MAX_EXPANDED_CONDITION:,} parts when its "
                          f"definitions are filled in (each ref repeats the whole definition)",
                     "refer to each definition once, or state the condition with fewer nested refs")
        elif depth > MAX_EXPANDED_DEPTH:
            self.add(loc, f"the condition of {what} is nested more than {MAX_EXPANDED_DEPTH} levels deep when its "
                          "definitions are filled in (a long chain of refs)",
                     "let the definitions refer to fewer others in a chain")


def _too_big(measure: Measure) -> bool:
    size, depth, true, false = measure
    return size > MAX_EXPANDED_CONDITION or depth > MAX_EXPANDED_DEPTH or max(true, false) > MAX_ENGINE_OPERATORS


def _refs(cond: Condition) -> list[str]:
    """The definitions a condition names directly (not through other definitions)."""
    return [r.ref for r in walk(cond) if isinstance(r, Ref)]


Measure = tuple[int, int, int, int]


def _measure(cond: Condition, measured: dict[str, Measure]) -> Measure:
    """A condition with every ref replaced by its (measured) definition: its size, its depth, and
    the and/or operators of the engine expressions that test it true and false (as the compiler
    builds them: one per all/any of two or more parts, one per comparison). Each is capped."""
    if isinstance(cond, (AllOf, AnyOf)):
        parts = [_measure(c, measured) for c in (cond.all if isinstance(cond, AllOf) else cond.any)]
        joined = 1 if len(parts) > 1 else 0
        size, depth = 1 + sum(p[0] for p in parts), 1 + max(p[1] for p in parts)
        true, false = joined + sum(p[2] for p in parts), joined + sum(p[3] for p in parts)
    elif isinstance(cond, Not):
        size, depth, false, true = _measure(cond.not_, measured)
        size, depth = size + 1, depth + 1
    elif isinstance(cond, Ref):  # a ref costs a level: following it is one more step down
        size, depth, true, false = measured.get(cond.ref, (1, 1, 1, 1))
        depth += 1
    else:
        size, depth = 1, 1
        true, false = _leaf_operators(cond)
    return (min(size, MAX_EXPANDED_CONDITION + 1), min(depth, MAX_EXPANDED_DEPTH + 1),
            min(true, MAX_ENGINE_OPERATORS + 1), min(false, MAX_ENGINE_OPERATORS + 1))


def _leaf_operators(test: FactTest) -> tuple[int, int]:
    """The and/or operators of one fact test, tested true and tested false (as compiler._leaf)."""
    op = test.comparison
    if op == "known":
        return 0, 0
    if op in ("contains", "contains_any"):
        many = 1 if isinstance(test.value, list) and len(test.value) > 1 else 0
        return many, many
    if op == "one_of":
        return (1 if len(test.value) > 1 else 0), 1
    if op == "equals":
        return 0, 1
    if op == "not_equals":
        return 1, 0
    return 1, 1


def _with_document(inherited: LoadedRule, document: Document) -> LoadedRule:
    """An inherited rule citing ``document`` wherever it cited the earlier text of the same source."""
    old = inherited.document.file
    also = tuple(document if d.file == old else d for d in inherited.also)
    return replace(inherited, document=document, also=also)


def _nearest_sentence(quote: str, text: str) -> str:
    """The sentence of a source text closest to a quote that was not found (the text is the rule set's own)."""
    near = difflib.get_close_matches(quote, split_sentences(text)[:2000], n=1, cutoff=0.6)
    return near[0][:160] if near else ""
