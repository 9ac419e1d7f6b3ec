"""The workbench's two-pass markers and its API-key field in a real browser (Debian's Chromium driven
by Playwright), against a real ``sps-rules serve`` process on 127.0.0.1 that requires an API key.

Skipped only when /usr/bin/chromium is absent. No timing is measured here (the figures are in
benchmarks/workbench_latency.py); the bounds below are waits that a loaded machine still meets.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytest.importorskip("uvicorn")  # the [server] extra, as for the service's own tests

import httpx  # noqa: E402
from playwright.sync_api import Browser, Page, Request, Route, expect  # noqa: E402

from tests.service_process import Server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "workbench"  # with SPS_SCREENSHOTS=1, as in test_workbench_browser.py
KEY = "workbench-test-key-0123456789abcdef"
TIMEOUT = 30_000  # a bound on waiting for the full pass on a loaded 2-core machine, not a measurement
QUICK_BOUND = 5_000  # the quick marker: about half a second on an idle machine (see the benchmark)
expect.set_options(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("keyed")
    shutil.copytree(ROOT / "rules", base / "rules")
    (base / "keys.txt").write_text(f"# the workbench test's key\n{KEY}\n", encoding="utf-8")
    server = Server(["--rules", str(base / "rules"), "--api-key-file", str(base / "keys.txt")], base / "server.log")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    yield page
    context.close()


def open_with_key(page: Page, url: str) -> None:
    page.goto(f"{url}/workbench/?ruleset=roskilde")
    page.get_by_label("API-nøgle").fill(KEY)
    page.get_by_role("button", name="Brug nøglen").click()
    expect(page.locator("#status")).to_contain_text("åbnet som kladde")
    expect(page.locator("#problems")).to_contain_text("Ingen problemer")
    expect(page.locator("#checks")).to_contain_text("Fuld kontrol")


def test_the_server_requires_a_key_and_the_page_asks_for_it_in_danish(server: str) -> None:
    assert httpx.get(f"{server}/v1/rulesets").status_code == 401
    assert httpx.get(f"{server}/workbench/").status_code == 200  # the page itself holds no data
    assert httpx.get(f"{server}/workbench/../v1/rulesets").status_code != 200


def test_a_pasted_key_opens_the_workbench_and_stays_in_the_tab_only(page: Page, server: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{server}/workbench/?ruleset=roskilde")
    expect(page.locator("#status")).to_contain_text("Serveren kræver en API-nøgle")
    field = page.get_by_label("API-nøgle")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("type", "password")
    expect(field).to_have_attribute("aria-invalid", "true")
    if os.environ.get("SPS_SCREENSHOTS") == "1":
        page.screenshot(path=str(SHOTS / "key.png"), clip={"x": 0, "y": 0, "width": 1400, "height": 160})
    sent: list[str | None] = []
    page.on("request", lambda r: sent.append(r.headers.get("x-api-key")) if "/v1/" in r.url else None)
    field.fill(KEY)
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("åbnet som kladde")
    expect(page.locator("#problems")).to_contain_text("Ingen problemer")
    assert sent and set(sent) == {KEY}
    assert page.evaluate("() => [sessionStorage.getItem('sps-rules-api-key'), localStorage.length]") == [KEY, 0]
    assert KEY not in page.evaluate("() => document.cookie")
    page.reload()  # the same tab keeps the key
    expect(page.locator("#status")).to_contain_text("åbnet som kladde")
    expect(page.get_by_label("API-nøgle")).to_have_value(KEY)
    assert all("401" in e for e in errors)  # the first, keyless requests; nothing else went wrong


def test_a_wrong_key_is_named_as_such(page: Page, server: str) -> None:
    page.goto(f"{server}/workbench/?ruleset=roskilde")
    page.get_by_label("API-nøgle").fill("wrong-key-0123456789abcdef")
    page.get_by_role("button", name="Brug nøglen").click()
    expect(page.locator("#status")).to_contain_text("Serveren afviste API-nøglen")
    assert page.evaluate("() => sessionStorage.getItem('sps-rules-api-key')") == "wrong-key-0123456789abcdef"
    page.get_by_label("API-nøgle").fill("nøgle med æ, ø og å 0123456789")  # a header carries ASCII only
    page.get_by_role("button", name="Brug nøglen").click()
    expect(page.locator("#status")).to_contain_text("består kun af bogstaverne a-z")
    page.get_by_label("API-nøgle").fill(KEY)
    page.get_by_role("button", name="Brug nøglen").click()
    expect(page.locator("#status")).to_contain_text("åbnet som kladde")


def checks_asked(request: Request, into: list[str]) -> None:
    if request.url.endswith("/v1/validate") and request.post_data:
        into.append(json.loads(request.post_data)["checks"])


def test_a_marker_comes_from_the_quick_pass_and_the_full_pass_adds_its_findings(page: Page, server: str) -> None:
    open_with_key(page, server)
    asked: list[str] = []
    page.on("request", lambda r: checks_asked(r, asked))
    page.locator(".cm-line", has_text="override: true").first.click()
    page.keyboard.press("End")
    page.keyboard.type("x")
    marker = page.locator(".cm-lintRange-error")
    expect(marker).to_have_count(1, timeout=QUICK_BOUND)
    expect(page.locator("#problems")).to_contain_text("override: Input should be a valid boolean")
    expect(page.locator("#checks")).to_contain_text("Fuld kontrol")
    assert asked[:2] == ["quick", "full"]
    expect(marker).to_have_count(1)  # the full pass reports the same finding, worded alike
    # a rule no generated citizen reaches: only the full pass finds it
    page.keyboard.press("Backspace")
    expect(marker).to_have_count(0)
    page.locator(".cm-line", has_text="at_least: 18").first.click()
    page.keyboard.press("End")
    page.keyboard.type("0")
    expect(page.locator("#problems")).to_contain_text("'target.age' never applies")
    expect(page.locator(".cm-line", has=marker)).to_contain_text("- id: target.age")
    page.keyboard.press("Backspace")
    expect(marker).to_have_count(0)
    expect(page.locator("#problems")).to_contain_text("Ingen problemer")


def wait_for(page: Page, held: list[Route], count: int) -> None:
    """Let the page run until ``count`` full-pass requests are held (bounded, not timed)."""
    for _ in range(TIMEOUT // 100):
        if len(held) >= count:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{len(held)} full-pass request(s) held, expected {count}")


def test_an_answer_for_an_older_text_is_dropped(page: Page, server: str) -> None:
    open_with_key(page, server)
    held: list[Route] = []

    def hold_full(route: Route) -> None:
        if json.loads(route.request.post_data or "{}").get("checks") == "full":
            held.append(route)
        else:
            route.continue_()

    page.route("**/v1/validate", hold_full)
    page.locator(".cm-line", has_text="at_least: 18").first.click()
    page.keyboard.press("End")
    page.keyboard.type("0")  # at_least: 180, which only the full pass finds
    wait_for(page, held, 1)
    page.keyboard.press("Backspace")  # the valid text again, before the full answer for 180 arrives
    wait_for(page, held, 2)
    expect(page.locator("#checks")).to_contain_text("Hurtig kontrol")
    stale, current = held
    with page.expect_request_finished(lambda r: r is stale.request):
        stale.fulfill(response=stale.fetch())  # the full findings for at_least: 180, now out of date
    page.wait_for_timeout(500)  # let the page handle that answer
    assert "never applies" not in page.locator("#problems").inner_text()
    expect(page.locator("#checks")).to_contain_text("Hurtig kontrol")  # still waiting for the current full pass
    expect(page.locator(".cm-lintRange-error")).to_have_count(0)
    current.continue_()
    expect(page.locator("#checks")).to_contain_text("Fuld kontrol")
    expect(page.locator("#problems")).to_contain_text("Ingen problemer")
    page.unroute("**/v1/validate")
