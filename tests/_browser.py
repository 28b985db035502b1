"""Headless Chromium for browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

The README's test command installs Chromium (``scripts/install-test-deps.sh``) and the
``playwright`` package; no ``playwright install`` is needed because the browser is
launched from its path (``executable_path``).
"""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
"""Path of the Chromium executable, or None when it is not installed."""

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
"""Arguments for a headless Chromium in a container, as root, without network chatter."""

SKIP_REASON = "chromium is not installed (the README's test command installs it)"


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium ``Browser`` from a started ``playwright.sync_api`` instance; close it when done."""
    if CHROMIUM is None:
        raise RuntimeError(SKIP_REASON)
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
