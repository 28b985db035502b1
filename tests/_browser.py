"""Headless Chromium for browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

``scripts/install-test-deps.sh`` installs Chromium; Playwright needs no browser download of its own
because it is launched with ``executable_path``.
"""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch(playwright: Any) -> Any:
    """A headless Chromium browser (``playwright`` is a started ``sync_playwright()``)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
