"""The report in a real headless Chromium: loads clean, charts render, hostile text does not run.

Skipped where Chromium (Debian: chromium, chromium-driver) or Playwright for Python is absent.
Set SARING_REPORT_SCREENSHOT=path.png to keep the screenshot.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from saring.report import write_report

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("SARING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Chromium is not installed (apt-get install chromium chromium-driver)", allow_module_level=True
    )

from test_report import synthetic_run  # noqa: E402  (tests/ is on sys.path under pytest)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(synthetic_run(tmp_path_factory.mktemp("browser") / "out"))


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, report: Path, bypass_csp: bool):
    """The report in a fresh page, with everything it logs, throws or requests."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=bypass_csp)
    page = context.new_page()
    events: dict[str, list[str]] = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda m: events["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: events["errors"].append(str(e)))
    page.on("request", lambda r: events["requests"].append(r.url))
    page.goto(report.as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # let a late payload (timers, failed loads) fire if it could
    return context, page, events


def test_report_loads_clean_and_charts_render(browser, report, tmp_path):
    context, page, events = _open(browser, report, bypass_csp=False)
    try:
        assert events["console"] == [] and events["errors"] == []
        assert events["requests"] == [report.as_uri()]  # nothing else was even attempted
        sizes = page.eval_on_selector_all(
            "svg.chart",
            "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])",
        )
        assert len(sizes) >= 8 and all(w > 100 and h > 20 for w, h in sizes)
        bars = page.eval_on_selector_all(
            "svg.chart rect", "els => els.filter(e => e.getBBox().width > 0).length"
        )
        assert bars > 50
        assert page.eval_on_selector_all("line.threshold", "els => els.length") == 3  # probe + length
        target = Path(os.environ.get("SARING_REPORT_SCREENSHOT") or tmp_path / "report.png")
        png = page.screenshot(path=str(target), full_page=False)
        assert len(png) > 30_000  # a blank page compresses to a few kilobytes
    finally:
        context.close()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-alone"])
def test_injected_payloads_do_not_run(browser, report, bypass_csp):
    context, page, events = _open(browser, report, bypass_csp=bypass_csp)
    try:
        for details in page.query_selector_all("details"):
            details.evaluate("d => d.open = true")
        page.hover("pre.doc")
        page.wait_for_timeout(200)
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert (
            page.evaluate(
                "() => document.querySelectorAll('script, iframe, img, link, object, embed').length"
            )
            == 0
        )
        assert (
            page.evaluate("() => document.querySelectorAll('[onerror], [onload], [onmouseover]').length") == 0
        )
        assert "<script>window.__pwned=1</script>" in page.inner_text("main")  # shown as text
        assert events["errors"] == [] and events["requests"] == [report.as_uri()]
    finally:
        context.close()
