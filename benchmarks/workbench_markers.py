"""How long a marker takes to appear in the real workbench, from the last keystroke to the marker on
screen: Debian's Chromium (Playwright) against a ``sps-rules workbench`` process on 127.0.0.1.

    .venv/bin/python benchmarks/workbench_markers.py [ROUNDS]

Each round types one character that breaks Roskilde's draft (``override: truex``) and waits for the
marker (from the quick pass), then for the full pass; then it deletes the character and waits for the
marker to go and for the full pass of the valid draft, which includes the run over 1,500 citizens.
The times are taken in the page (``performance.now()`` at the keystroke, and when the marker's
element appears), so they include the editor's pause, the request, and drawing. Run it on a quiet
machine: the figures scale with the load. benchmarks/workbench_latency.py has the server's part.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

WATCH = """() => {
  window.__seen = () => ({ on: document.querySelector(".cm-lintRange-error") !== null,
                           full: document.querySelector("#checks").textContent.startsWith("Fuld") });
  window.__reset = () => { window.__typed = performance.now(); window.__marks = [{ ...window.__seen(), at: -1 }]; };
  document.addEventListener("keydown", () => { window.__typed = performance.now(); }, true);
  new MutationObserver(() => {
    const now = window.__seen();
    const last = window.__marks[window.__marks.length - 1];
    if (last.on !== now.on || last.full !== now.full) window.__marks.push({ ...now, at: performance.now() - window.__typed });
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  window.__reset();
}"""


def full_shown(marks: list[dict[str, float]]) -> float:
    """When the full pass's result was shown: the first 'Fuld kontrol' after the quick pass's note."""
    quick = False
    for mark in marks:
        if not mark["full"]:
            quick = True
        elif quick:
            return mark["at"]
    raise AssertionError("the full pass was not seen")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", rules)
        port = _port()
        server = subprocess.Popen([sys.executable, "-m", "sps_rules", "workbench", str(rules), "--no-browser", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            measure(f"http://127.0.0.1:{port}/workbench/?ruleset=roskilde", rounds)
        finally:
            server.terminate()
            server.wait(timeout=10)


def measure(url: str, rounds: int) -> None:
    appear: list[float] = []
    full: list[float] = []
    clear: list[float] = []
    full_valid: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        expect.set_options(timeout=30_000)
        page.goto(url)
        expect(page.locator("#checks")).to_contain_text("Fuld kontrol")
        page.evaluate(WATCH)
        page.locator(".cm-line", has_text="override: true").first.click()
        page.keyboard.press("End")
        marker = page.locator(".cm-lintRange-error")
        for _ in range(rounds):
            page.evaluate("() => window.__reset()")
            page.keyboard.type("x")
            expect(marker).to_have_count(1)
            page.wait_for_function("() => window.__marks.some((m) => !m.full) && window.__seen().full")
            marks = page.evaluate("() => window.__marks")
            appear.append(next(m["at"] for m in marks if m["on"] and m["at"] >= 0))
            full.append(full_shown(marks))
            page.evaluate("() => window.__reset()")
            page.keyboard.press("Backspace")
            expect(marker).to_have_count(0)
            page.wait_for_function("() => window.__marks.some((m) => !m.full) && window.__seen().full")
            marks = page.evaluate("() => window.__marks")
            clear.append(next(m["at"] for m in marks if not m["on"] and m["at"] >= 0))
            full_valid.append(full_shown(marks))
        browser.close()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {rounds} rounds")
    for name, times in (("marker appears", appear), ("marker clears", clear),
                        ("full pass shown (draft that does not load: no population run)", full),
                        ("full pass shown (valid draft: with the population run)", full_valid)):
        print(f"{name:62} after the keystroke: median {statistics.median(times):5.0f} ms   "
              f"min {min(times):5.0f} ms   max {max(times):5.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
