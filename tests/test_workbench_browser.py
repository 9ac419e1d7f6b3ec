"""The workbench in a real browser: Debian's Chromium driven by Playwright, against a real
``sps-rules workbench`` process on 127.0.0.1 with the rules in a temporary copy.

Skipped only when /usr/bin/chromium is absent. With SPS_SCREENSHOTS=1 the tests also write the
README's screenshots to docs/workbench/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytest.importorskip("uvicorn")  # the [server] extra, as for the service's own tests

from playwright.sync_api import Browser, Page, expect  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "workbench"
RELEASED = "roskilde-2020-01.yaml"
TIMEOUT = 30_000  # generous: a full validation takes seconds on a loaded 2-core machine
expect.set_options(timeout=TIMEOUT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the rules in which Roskilde's released version ends on 2026-12-31, so a 2027 version can be saved."""
    root = tmp_path_factory.mktemp("workbench") / "rules"
    shutil.copytree(ROOT / "rules", root)
    path = root / "roskilde" / RELEASED
    path.write_text(path.read_text(encoding="utf-8").replace("valid_from: 2020-01-01", "valid_from: 2020-01-01\n  valid_to: 2026-12-31"),
                    encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(rules: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sps_rules", "workbench", str(rules), "--no-browser", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the workbench did not start: {proc.stderr.read().decode() if proc.stderr else ''}") from None
                time.sleep(0.1)
        yield f"{url}/workbench/?ruleset=roskilde"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def console_errors() -> list[str]:
    """The page's console errors; a test that provokes a refusal removes the ones it expects."""
    return []


@pytest.fixture
def page(browser: Browser, server: str, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    errors = console_errors
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    expect(page.locator("#status")).to_contain_text("åbnet som kladde")
    expect(page.locator("#problems")).to_contain_text("Ingen problemer")
    expect(page.locator("#source .sent.cited").first).to_be_visible()
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


def shot(page: Page, name: str) -> None:
    if os.environ.get("SPS_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def line_at(page: Page, text: str) -> None:
    """Put the cursor at the end of the first editor line holding ``text``."""
    page.locator(".cm-line", has_text=text).first.click()
    page.keyboard.press("End")


def active_line(page: Page) -> str:
    return page.locator(".cm-activeLine").inner_text()


def test_the_page_loads_with_the_source_beside_the_draft_and_keys_work(page: Page) -> None:
    expect(page.locator("#ruleset")).to_have_value("roskilde")
    expect(page.locator("#file")).to_have_value(RELEASED)
    assert page.locator(".cm-line", has_text="id: target.age").count() == 1
    assert page.locator("#source .sent.cited").count() > 5
    assert page.locator("#source .sent.uncovered").count() > 0
    line_at(page, "id: target.age")
    expect(page.locator("#source .sent.active").first).to_contain_text("er over 18 år og bosiddende i Roskilde Kommune")
    shot(page, "edit")
    # a sentence lists the rules citing it, each a link to its line
    page.locator("#source .sent", has_text="er over 18 år og bosiddende i Roskilde Kommune").first.click()
    link = page.locator("#citing button", has_text="target.age")
    expect(link).to_contain_text("linje 30")
    link.click()
    assert "id: target.age" in active_line(page)
    # the tabs are keyboard operable
    page.locator("#tab-edit").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-try")).to_be_focused()
    expect(page.locator("#tab-try")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-try")).to_be_visible()
    expect(page.locator("#panel-edit")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.locator("#panel-effect")).to_be_visible()
    # completion and hover come from the rule-file schema
    page.keyboard.press("Home")
    line_at(page, "legal_reference: Serviceloven § 85")
    page.keyboard.press("Enter")
    page.keyboard.press("Backspace")
    page.keyboard.type("interp")
    page.keyboard.press("Control+Space")
    expect(page.locator(".cm-tooltip-autocomplete")).to_contain_text("interpretation")
    page.keyboard.press("Escape")
    page.locator(".cm-line", has_text="at_least: 18").first.locator("text=at_least").hover()
    expect(page.locator(".cm-schema-hover")).to_contain_text("at_least")


def test_an_error_gets_a_marker_on_its_line_and_fixing_it_clears_it(page: Page) -> None:
    line_at(page, "override: true")
    page.keyboard.type("x")
    marker = page.locator(".cm-lintRange-error")
    expect(marker).to_have_count(1)
    expect(page.locator(".cm-line", has=marker)).to_contain_text("override: truex")
    expect(page.locator("#problems")).to_contain_text("linje 31:5")
    expect(page.locator("#problems")).to_contain_text("override: Input should be a valid boolean")
    marker.hover()
    expect(page.locator(".cm-tooltip-lint")).to_contain_text("Input should be a valid boolean")
    shot(page, "edit-error")
    page.keyboard.press("Backspace")
    expect(marker).to_have_count(0)
    expect(page.locator("#problems")).to_contain_text("Ingen problemer")


def test_a_citizen_evaluates_and_each_fired_rule_links_to_its_line(page: Page) -> None:
    page.get_by_role("tab", name="Prøv en borger").click()
    page.get_by_label("Eksempel fra testtilfældene").select_option(label="En borger, der opfylder alle kriterier, er i målgruppen")
    expect(page.get_by_label("Bopælskommune")).to_have_value("roskilde")
    page.get_by_role("button", name="Vurder borgeren").click()
    expect(page.locator("#decision .badge")).to_have_text("I målgruppen")
    expect(page.locator("#decision")).to_contain_text("Begrundelse")
    shot(page, "try")
    page.locator("#decision td button", has_text="target.residence").click()
    expect(page.locator("#panel-edit")).to_be_visible()
    assert "id: target.residence" in active_line(page)


def test_the_cases_run_and_the_citizen_on_screen_becomes_a_case(page: Page, rules: Path) -> None:
    page.get_by_role("tab", name="Test").click()
    page.get_by_role("button", name="Kør testtilfældene").click()
    expect(page.locator("#tests .summary")).to_contain_text("0 fejlet")
    expect(page.locator("#tests")).to_contain_text("Dækning")
    shot(page, "test")
    page.get_by_role("tab", name="Prøv en borger").click()
    page.get_by_label("Vurderingsdato").fill("2026-03-02")
    page.get_by_label("Fødselsdato").fill("2010-05-01")
    page.get_by_role("tab", name="Test").click()
    page.get_by_label("Navn på nyt testtilfælde").fill("Barn på 15 år fra værkstedet")
    page.get_by_role("button", name="Tilføj borgeren").click()
    expect(page.locator("#status")).to_contain_text("er tilføjet")
    expect(page.locator("#tests")).to_contain_text("Barn på 15 år fra værkstedet")
    assert "Barn på 15 år fra værkstedet" in (rules / "roskilde" / "tests" / "workbench.yaml").read_text(encoding="utf-8")


def test_the_effect_of_a_change_shows_citizen_by_citizen(page: Page) -> None:
    line_at(page, "at_least: 18")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("21")
    page.get_by_role("tab", name="Se virkningen").click()
    page.get_by_role("button", name="Sammenlign kladden").click()
    expect(page.locator("#effect")).to_contain_text("target.age ændret (when)")
    expect(page.locator("#effect")).to_contain_text("afgørelser ændres")
    assert page.locator("#effect tbody tr").count() > 0
    shot(page, "effect")


def test_a_save_lands_in_the_folder_and_a_save_outside_it_is_refused(page: Page, rules: Path, console_errors: list[str]) -> None:
    text = (rules / "roskilde" / RELEASED).read_text(encoding="utf-8")
    draft = (text.replace('version: "2020-01"', 'version: "2027-01"').replace("valid_from: 2020-01-01", "valid_from: 2027-01-01")
             .replace("  valid_to: 2026-12-31\n", ""))
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(draft)
    save_as = page.get_by_label("Gem som")
    save_as.fill("../udenfor.yaml")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#status")).to_contain_text("Ikke gemt")
    expect(page.locator("#status")).to_contain_text("uden for regelmappen afvises")
    assert not list(rules.parent.rglob("udenfor.yaml"))
    save_as.fill(RELEASED)
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#status")).to_contain_text("frigivet version")
    save_as.fill("roskilde-2027-01.yaml")
    page.get_by_role("button", name="Gem kladde").click()
    expect(page.locator("#status")).to_contain_text("Gemt som roskilde/roskilde-2027-01.yaml")
    assert (rules / "roskilde" / "roskilde-2027-01.yaml").read_text(encoding="utf-8") == draft
    assert (rules / "roskilde" / RELEASED).read_text(encoding="utf-8") == text
    shot(page, "save")
    refusals = [e for e in console_errors if "status of 403" in e or "status of 409" in e]
    assert len(refusals) == 2  # the browser saw the two refusals as HTTP errors, and nothing else went wrong
    for e in refusals:
        console_errors.remove(e)
