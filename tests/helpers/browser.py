"""Open a report in headless Chromium (Debian's chromium + chromedriver, driven by selenium) and read what it shows."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = (
    "headless Chromium is needed for the report browser test: run `make test-deps` as root "
    "(apt-get install chromium chromium-driver fonts-noto-cjk)"
)

# Everything that could reach the network or phone home is off: the page must render from the file alone.
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1100,1400",
    "--lang=en-US",
)

# What the page looks like once its scripts have run: charts and the marks they drew, the visible text, and
# whether anything injected ran.
PROBE_JS = """
var MARKS = "g.role-mark path, g.role-mark rect, g.role-mark line, g.role-mark symbol";
var figures = Array.from(document.querySelectorAll("figure.chart")).map(function (fig) {
  var svg = fig.querySelector(".vis svg");
  return {
    name: fig.dataset.chart,
    rendered: fig.dataset.rendered || null,
    marks: svg ? svg.querySelectorAll(MARKS).length : 0,
    svg: !!svg,
  };
});
return {
  chartsRendered: document.body.dataset.chartsRendered || null,
  figures: figures,
  text: document.body.innerText,
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  injectedImages: document.querySelectorAll("img").length,
  injectedScripts: Array.from(document.querySelectorAll("script")).filter(function (s) {
    return !s.type || s.type === "text/javascript";
  }).length,
  koreanFontOk: document.fonts.check('16px "Noto Sans CJK KR"', "한"),
};
"""


@dataclass
class PageState:
    """What the browser showed."""

    probe: dict[str, Any]
    console: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Console messages at error level (script errors, CSP violations, failed loads)."""
        return [entry for entry in self.console if entry.get("level") == "SEVERE"]


def chromium_binary() -> str | None:
    """The Chromium executable, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A selenium Chrome driver on Debian's chromium with a throwaway profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = chromium_binary()
    if binary is None or not Path(CHROMEDRIVER).exists():
        raise RuntimeError(INSTALL_HINT)
    profile = tempfile.mkdtemp(prefix="brandpulse-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The Debian driver is used as is: selenium-manager must not try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_report(path: Path, screenshot: Path | None = None, timeout_s: float = 60.0) -> PageState:
    """Load the report from disk, wait until its charts have run, take a screenshot, return what it showed."""
    with headless_chromium() as driver:
        driver.set_page_load_timeout(timeout_s)
        driver.get(path.resolve().as_uri())
        deadline = time.monotonic() + timeout_s
        probe = driver.execute_script(PROBE_JS)
        while probe["chartsRendered"] != "true" and time.monotonic() < deadline:
            time.sleep(0.2)
            probe = driver.execute_script(PROBE_JS)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            # The whole page, not just the window: set the window as tall as the document first.
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1100, min(int(height) + 40, 16000))
            driver.save_screenshot(str(screenshot))
        console = driver.get_log("browser")
    return PageState(probe=probe, console=console)
