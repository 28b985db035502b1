"""Headless Chromium for browser tests: Debian's ``/usr/bin/chromium`` driven by Playwright.

``scripts/install-test-deps.sh`` installs Chromium; Playwright needs no browser download of its own
because it is launched with ``executable_path``. Static pages are served from a folder on 127.0.0.1
on a free port (:func:`serve_folder`). Benchmarks that drive a browser import this module too.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch(playwright: Any) -> Any:
    """A headless Chromium browser (``playwright`` is a started ``sync_playwright()``)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


@contextmanager
def chromium() -> Iterator[Any]:
    """A started Playwright and a headless Chromium (:func:`launch`), both closed on exit.

    Raises
    ------
    RuntimeError
        Chromium is not installed.
    ImportError
        Playwright is not installed (tests skip first with ``pytest.importorskip``).
    """
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed (scripts/install-test-deps.sh installs it)")
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            yield browser
        finally:
            browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the module and WebAssembly MIME types, and no request log."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".wasm": "application/wasm"}

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass


@contextmanager
def serve_folder(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; yields the base URL ``http://127.0.0.1:<port>``."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
