"""Nothing a renderer writes from data becomes live HTML or Markdown (issue 18, section 3).

Hostile strings are put in every field that reaches a renderer: the fields of an edited decision
record (explain) and the texts of a rule file (docs). The Markdown is then rendered by a real
CommonMark renderer (markdown-it-py, with GFM tables and strikethrough) and the HTML parsed; the
output must hold exactly the elements the same document holds without the hostile strings, and
show each hostile string as written.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

import sps_rules
from sps_rules.authoring.docs import to_html, to_markdown
from sps_rules.model.markdown import inline

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "roskilde-citizen.json"

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![billede](http://x/y.png)",
    "**fed** og __fed__ og *kursiv* og _kursiv_",
    "`kode` og ``mere kode``",
    "| a | b |\n|---|---|\n| c | d |",
    "~~slet~~",
    "<script>alert(1)</script>",
    "&lt;b&gt; &amp; &#60;i&#62;",
    "<https://x.example/> <mailto:a@b.dk>",
    "# overskrift",
    "1. punkt",
    "> citat",
    "- punkt\n- to",
    "+ punkt",
    "=== understreg",
    "\\*\\* backslash",
    "[ref]: javascript:alert(1)",
]
# Fields of a decision whose values are codes, dates or fact paths the renderer looks up; every
# other string in the decision is free text and gets a hostile prefix.
NOT_FREE_TEXT = {"eligibility", "status", "form", "result", "kind", "reads", "assessment_date", "valid_from",
                 "valid_to", "due", "earliest", "anchor_date", "facts", "derived_facts", "sha256"}


def _markdown_html(text: str) -> str:
    """HTML as a permissive renderer would make it: raw HTML on, and every link scheme allowed
    (markdown-it refuses javascript: links by itself; other renderers do not)."""
    renderer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]
    return renderer.render(text)


class _Page(HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def plain(self) -> str:
        return " ".join("".join(self.text).split())


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _shown(hostile: str) -> str:
    return " ".join(hostile.split())


def _assert_inert(clean_html: str, hostile_html: str, hostile: str) -> None:
    clean, dirty = _page(clean_html), _page(hostile_html)
    assert dirty.tags == clean.tags, f"{hostile!r} changed the elements: {dirty.tags - clean.tags}"
    assert [a for a in dirty.attrs if a not in clean.attrs] == [], f"{hostile!r} added attributes"
    assert _shown(hostile) in dirty.plain(), f"{hostile!r} is not shown as written"


# --- explain: an edited record ------------------------------------------------------------------


@pytest.fixture(scope="module")
def record() -> sps_rules.DecisionRecord:
    return sps_rules.record("roskilde", EXAMPLE, created_at=datetime(2026, 3, 2, 12, tzinfo=UTC))


def _poison(value: Any, hostile: str, key: str = "") -> Any:
    if key in NOT_FREE_TEXT:
        return value
    if isinstance(value, dict):
        return {k: _poison(v, hostile, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, hostile, key) for v in value]
    if isinstance(value, str):
        return f"{hostile} {value}"
    return value


def _edited(record: sps_rules.DecisionRecord, hostile: str) -> sps_rules.Decision:
    """The record's decision, edited: what explain renders once a record (re-hashed by whoever
    edited it) has been read. Rule ids stay in step with the trace, so each criterion still
    finds the facts it read."""
    return sps_rules.Decision.model_validate(_poison(record.decision, hostile))


def test_poisoning_reaches_every_free_text_field(record: sps_rules.DecisionRecord) -> None:
    text = sps_rules.explain(_edited(record, "§§GIFT§§"))
    plain = sps_rules.explain(sps_rules.Decision.model_validate(record.decision))
    assert text.count("§§GIFT§§") > 100
    for part in ("criteria", "needs", "requests", "support_forms", "exclusions", "referrals", "conditions",
                 "assessments", "deadlines"):
        assert record.decision[part], f"the example has no {part}: the test would not cover it"
    assert record.decision["ruleset"]["notes"] and "§§GIFT§§" not in plain


@pytest.mark.parametrize("hostile", HOSTILE)
def test_explain_markdown_is_inert(record: sps_rules.DecisionRecord, hostile: str) -> None:
    clean = _markdown_html(sps_rules.explain(_edited(record, ""), format="markdown"))
    dirty = _markdown_html(sps_rules.explain(_edited(record, hostile), format="markdown"))
    _assert_inert(clean, dirty, hostile)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_explain_html_is_inert(record: sps_rules.DecisionRecord, hostile: str) -> None:
    clean = sps_rules.explain(_edited(record, ""), format="html")
    dirty = sps_rules.explain(_edited(record, hostile), format="html")
    _assert_inert(clean, dirty, hostile)


def test_explain_text_shows_hostile_strings_as_written(record: sps_rules.DecisionRecord) -> None:
    out = sps_rules.explain(_edited(record, "<img src=x onerror=alert(1)> **x**"))
    assert "<img src=x onerror=alert(1)> **x**" in out


# --- docs: a rule file with hostile texts ------------------------------------------------------------

# A quote must stand verbatim in the source text, and tags are never part of a valid quote, so
# the quote's hostile sentence carries Markdown syntax only.
QUOTE = "Se [x](javascript:alert(1)) og `kode` og **fed** og | a | b | og ~~slet~~ og _kursiv_ & mere."


def _hostile_rule_file(root: Path, hostile: str) -> Path:
    shutil.copytree(ROOT / "rules", root / "rules")
    folder = root / "rules" / "roskilde"
    source = folder / "source" / "roskilde-kvalitetsstandard-sps.txt"
    text = source.read_text(encoding="utf-8").replace(
        "er over 18 år og bosiddende i Roskilde Kommune•", f"er over 18 år og bosiddende i Roskilde Kommune• {QUOTE}•", 1)
    source.write_text(text, encoding="utf-8")
    path = folder / "roskilde-2020-01.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    header = data["ruleset"]
    header["title"] = f"{hostile} {header['title']}"
    header["legal_basis"] = f"{hostile} {header['legal_basis']}"
    header["notes"] = [f"{hostile} {n}" for n in header["notes"]]
    header["sources"][0]["title"] = f"{hostile} {header['sources'][0]['title']}"
    for rule in data["rules"]:
        rule["text"] = f"{hostile} {rule['text']}"
        if "interpretation" in rule:
            rule["interpretation"] = f"{hostile} {rule['interpretation']}"
        if rule["source"].get("legal_reference"):
            rule["source"]["legal_reference"] = f"{hostile} {rule['source']['legal_reference']}"
        if "criterion" in rule:
            rule["criterion"] = {k: f"{hostile} {v}" for k, v in rule["criterion"].items()}
        for conclusion in ("referral", "request"):
            target = rule.get(conclusion, {})
            target = target.get("referral", target) if conclusion == "request" else target
            if target and "to" in target:
                target["to"] = f"{hostile} {target['to']}"
    data["rules"][0]["source"]["quote"] = QUOTE
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean_docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    # The same rule file and source text (QUOTE included, so the sentence-coverage table has the same
    # rows), without hostile strings: only the strings may differ between the two documents.
    ruleset = sps_rules.load_ruleset_file(_hostile_rule_file(tmp_path_factory.mktemp("clean"), ""))
    return _markdown_html(to_markdown(ruleset)), to_html(ruleset)


@pytest.mark.parametrize("hostile", ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
                                     "**fed** `kode` | a | b | ~~slet~~", "# overskrift", "1. punkt",
                                     "<script>alert(1)</script>"])
def test_docs_are_inert(tmp_path: Path, clean_docs: tuple[str, str], hostile: str) -> None:
    ruleset = sps_rules.load_ruleset_file(_hostile_rule_file(tmp_path, hostile))
    markdown = to_markdown(ruleset)
    assert markdown.count(inline(hostile)) > 50
    clean_md, clean_html = clean_docs
    dirty_md = _markdown_html(markdown)
    dirty_html = to_html(ruleset)
    for clean, dirty in ((clean_md, dirty_md), (clean_html, dirty_html)):
        _assert_inert(clean, dirty, hostile)
        assert _shown(QUOTE) in _page(dirty).plain()


def test_docs_markdown_from_the_command_line_is_escaped(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sps_rules.cli import main

    path = _hostile_rule_file(tmp_path, "<img src=x onerror=alert(1)>")
    result = CliRunner().invoke(main, ["docs", str(path), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert "<img" not in result.output and "&lt;img src=x onerror=alert(1)&gt;" in result.output
    assert "\\[x\\](javascript:alert(1))" in result.output


def test_record_fields_reach_the_markdown_escaped(record: sps_rules.DecisionRecord) -> None:
    edited = _edited(record, "[x](javascript:alert(1))")
    out = sps_rules.explain(edited, format="markdown")
    assert "](javascript:" not in out.replace("\\](javascript:", "")
    assert edited.criteria[0].reason.startswith("[x](javascript")


def test_diff_html_shows_hostile_rule_texts_as_text(tmp_path: Path) -> None:
    from sps_rules.authoring.diff import diff_html, diff_rulesets

    hostile = "<img src=x onerror=alert(1)><script>alert(1)</script>"
    changed = sps_rules.load_ruleset_file(_hostile_rule_file(tmp_path, hostile))
    page = _page(diff_html(diff_rulesets(sps_rules.load_ruleset("roskilde"), changed, n=50)))
    assert page.tags["img"] == 0 and page.tags["script"] == 0
    assert "<img src=x onerror=alert(1)>" in page.plain()
