"""The environment the notebooks run in: the same for nbval (``conftest.py``) and for ``execute.py``.

Every notebook's kernel gets

* a private ``LIVECALC_HOME`` and ``LIVECALC_CACHE_DIR`` (job records and caches never reach
  ``~/.livecalc`` or ``~/.cache``) and a private ``TMPDIR``;
* this checkout first on ``PYTHONPATH``, so the kernel and the worker processes it starts
  import the code under test;
* when the notebook's metadata lists ``"livecalc": {"needs": ["azurite"]}``, Blob Storage:
  the account in ``AZURE_STORAGE_CONNECTION_STRING`` when that is set (a real account), else
  an Azurite started here with the tests' starter (``tests/_servers.py``) and stopped at the end.

A kernel is a separate process that copies the environment when it starts, so the variables
are set just before the kernel starts and restored just after (:func:`environ`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from _servers import ServerUnavailable, azurite_binary, start_azurite, stop_group  # noqa: E402

from livecalc_lab._env import environ  # noqa: E402 - re-exported for conftest.py and execute.py

__all__ = ["NotebookServices", "environ", "needs", "ServerUnavailable", "blob_storage_available"]


def needs(notebook: Path) -> set[str]:
    """The services a notebook declares in its metadata (``metadata.livecalc.needs``)."""
    meta = json.loads(Path(notebook).read_text(encoding="utf-8")).get("metadata", {})
    return set(meta.get("livecalc", {}).get("needs", []))


def blob_storage_available() -> bool:
    """A real account is configured, or Azurite can be started."""
    return bool(os.environ.get("AZURE_STORAGE_CONNECTION_STRING")) or azurite_binary() is not None


class NotebookServices:
    """Private folders per notebook and the services notebooks need, started once and on first use."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="livecalc-notebooks-"))
        self._azurite: Any = None
        self._connection_string: str | None = None

    def connection_string(self) -> str:
        """The configured account's connection string, or a running Azurite's."""
        configured = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
        if configured:
            return configured
        if self._connection_string is None:
            self._azurite, self._connection_string = start_azurite(self.root / "azurite.log")
        return self._connection_string

    def env(self, notebook: Path) -> dict[str, str]:
        """The variables to set for ``notebook``'s kernel."""
        folder = self.root / Path(notebook).stem
        for sub in ("home", "cache", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        out = {
            "LIVECALC_HOME": str(folder / "home"),
            "LIVECALC_CACHE_DIR": str(folder / "cache"),
            "TMPDIR": str(folder / "tmp"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        if "azurite" in needs(notebook):
            out["AZURE_STORAGE_CONNECTION_STRING"] = self.connection_string()
        return out

    def close(self) -> None:
        """Stop what was started and remove the private folders."""
        if self._azurite is not None:
            stop_group(self._azurite)
            self._azurite = None
        shutil.rmtree(self.root, ignore_errors=True)


