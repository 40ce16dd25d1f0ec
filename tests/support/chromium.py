"""Debian's Chromium for the browser tests (installed by `make test`; never downloaded)."""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

# The same flags as the page's benchmark, so the tests and the benchmark see one browser.
from tradefast.bench.dashboard import CHROMIUM_ARGS

CHROMIUM = "/usr/bin/chromium"


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
