from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the national baseline, to plant broken municipal files beside it."""
    root = tmp_path / "rules"
    shutil.copytree(RULES / "national", root / "national")
    (root / "testkommune" / "source").mkdir(parents=True)
    (root / "testkommune" / "source" / "standard.txt").write_text(
        "Kvalitetsstandard for Testkommune\n\nMålgruppe\n\nDu skal være fyldt 18 år.\n"
        "Støtten gives som gruppeforløb.\n",
        encoding="utf-8",
    )
    return root


MUNICIPAL_HEADER = """\
ruleset:
  id: testkommune
  municipality: Testkommune
  title: Testkommunes standard
  legal_basis: Serviceloven § 85
  version: "2024-01"
  valid_from: 2024-01-01
  extends: {ruleset: national, version: "2021-08"}
  sources:
    - id: std
      title: Testkommunes standard
      file: source/standard.txt
rules:
"""

GOOD_RULE = """\
  - id: form.group
    text: Støtten gives som gruppeforløb.
    source: {section: Målgruppe, quote: Støtten gives som gruppeforløb.}
    support_form: {form: group, status: default}
"""
