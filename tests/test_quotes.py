"""Every rule of every rule set cites a quote and a section that stand verbatim in its shipped source text."""

from __future__ import annotations

import pytest

import sps_rules
from sps_rules.engine.loaded import fold, fold_quote
from sps_rules.engine.sentences import statute_paragraphs

RULES = [
    pytest.param(item, id=f"{rs.id}@{rs.version}:{item.rule.id}")
    for rs in sps_rules.list_rulesets()
    for item in rs.loaded.rules
]


@pytest.mark.parametrize("item", RULES)
def test_quote_and_section_are_verbatim(item: object) -> None:
    documents = (item.document, *item.also)  # type: ignore[attr-defined]
    for source, document in zip(item.rule.citations, documents, strict=True):  # type: ignore[attr-defined]
        assert fold_quote(source.quote) in document.folded
        if source.section is not None:
            assert fold(source.section) in document.folded
        else:  # a statute: the quote stands in the cited paragraph
            assert source.paragraph in statute_paragraphs(document.text)


def test_source_texts_are_the_seeds_unchanged() -> None:
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout")
    shipped = {doc.file.read_bytes() for rs in sps_rules.list_rulesets() for doc in rs.loaded.documents.values()}
    for seed in seeds.glob("*.txt"):
        assert seed.read_bytes() in shipped, f"{seed.name} is not shipped verbatim"
