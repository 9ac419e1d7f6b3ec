from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
#: Debian's Chromium, which the browser tests drive through Playwright (they skip without it).
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A private copy of every rule set, for tests that save, change or break files."""
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, launched once per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


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
