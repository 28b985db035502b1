"""Helpers for tests that need JupyterLab: the built labextension, and a real JupyterLab server.

- :func:`node_missing` says why the TypeScript cannot be built here (no ``node``/``npm``), or None.
- :func:`ensure_node_modules` installs ``labextension/node_modules`` from the lock file when absent.
- :func:`build_labextension` builds the extension from a copy of its sources and lays the result
  out as the wheel installs it (``share/jupyter/labextensions/livecalc-lab`` and the server
  extension's ``etc/jupyter`` file, from ``pyproject.toml``'s shared-data mapping) under a prefix,
  for ``JUPYTER_PATH`` / ``JUPYTER_CONFIG_PATH``.
- :class:`JupyterLab` starts ``jupyter lab`` on 127.0.0.1 (free port, token, ``--allow-root``,
  ``--no-browser``, ``--expose-app-in-browser``) with private Jupyter directories, and stops it.

Browser tests pair it with :func:`_browser.launch_chromium`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _servers import ROOT, free_port, stop_group

LABEXT = ROOT / "labextension"
EXTENSION_NAME = "livecalc-lab"
# npm's download cache, fixed when this module is imported: pytest-jupyter points HOME at a
# temporary folder for each test, and an `npm ci` there must not download everything again.
NPM_CACHE = os.environ.get("npm_config_cache") or str(Path.home() / ".npm")


def node_missing() -> str | None:
    """Why the labextension cannot be built or unit-tested here, or None when node and npm are on PATH."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not on PATH: the JupyterLab extension's TypeScript needs Node.js >= 20 "
                "and npm (the README's commands need them too)")
    return None


def npm(*args: str, cwd: Path = LABEXT, timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``npm args...`` in ``cwd``; raise with its output when it fails."""
    full_env = dict(os.environ, npm_config_cache=NPM_CACHE, **(env or {}))
    # jupyter-builder (the Python package) must be found next to this Python, as the build hook finds it.
    full_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), full_env.get("PATH", "")])
    proc = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)
    if proc.returncode != 0:
        raise AssertionError(f"npm {' '.join(args)} failed in {cwd} ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
                             f"{proc.stderr[-4000:]}")
    return proc


def ensure_node_modules() -> Path:
    """``labextension/node_modules``, installed with ``npm ci`` from the lock file when absent."""
    modules = LABEXT / "node_modules"
    if not (modules / "@jupyter" / "builder").is_dir():
        npm("ci", "--no-audit", "--no-fund", "--loglevel=error")
    return modules


def _shared_data() -> dict[str, str]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return doc["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]


def build_labextension(workdir: Path) -> Path:
    """Build the extension from a copy of ``labextension/`` and install it under a prefix as the wheel would.

    Returns
    -------
    pathlib.Path
        The prefix: ``share/jupyter/labextensions/livecalc-lab`` and
        ``etc/jupyter/jupyter_server_config.d/livecalc_lab.json`` lie below it.
    """
    modules = ensure_node_modules()
    src = workdir / "src"
    shutil.copytree(LABEXT, src / "labextension", ignore=shutil.ignore_patterns("node_modules", "lib", "*.tsbuildinfo"))
    shutil.copytree(ROOT / "jupyter-config", src / "jupyter-config")
    (src / "labextension" / "node_modules").symlink_to(modules, target_is_directory=True)
    npm("run", "build:prod", cwd=src / "labextension")
    prefix = workdir / "prefix"
    for source, target in _shared_data().items():
        origin = src / source
        dest = prefix / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(origin, dest)
    return prefix


def jupyter_env(base: Path, prefix: Path | None = None, **extra: str) -> dict[str, str]:
    """An environment with private Jupyter directories under ``base``; ``prefix``'s data path comes first.

    ``prefix``'s ``etc/jupyter`` (the server extension's enable file) is copied into the private
    config directory: ``jupyter server extension list`` reads only that directory, the
    environment's and the system's, never ``JUPYTER_CONFIG_PATH``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"), ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
                      ("IPYTHONDIR", "ipython")):
        folder = base / sub
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    if prefix is not None:
        env["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
        shutil.copytree(prefix / "etc" / "jupyter", base / "config", dirs_exist_ok=True)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.update(extra)
    return env


def jupyter(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Output (stdout + stderr, ANSI colours removed) of ``python -m jupyter args...``."""
    import re

    proc = subprocess.run([sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise AssertionError(f"jupyter {' '.join(args)} failed ({proc.returncode}):\n{out[-4000:]}")
    return out


@dataclass
class JupyterLab:
    """A running ``jupyter lab`` on 127.0.0.1; :meth:`start` it, :meth:`stop` it (or use ``with``)."""

    root_dir: Path
    env: dict[str, str]
    port: int = 0
    token: str = ""
    proc: subprocess.Popen[Any] | None = None
    log_path: Path | None = None

    @classmethod
    def start(cls, root_dir: Path, env: dict[str, str], log_path: Path, seconds: float = 90) -> "JupyterLab":
        """Start JupyterLab serving ``root_dir`` and wait until its API answers.

        Raises
        ------
        AssertionError
            It exited or did not answer within ``seconds`` (the message holds its log's tail).
        """
        lab = cls(root_dir, env, free_port(), secrets.token_hex(16), None, log_path)
        settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        # No news from the internet (the tests run offline) and no toast asking about it.
        (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--expose-app-in-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={lab.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={lab.token}", f"--ServerApp.root_dir={root_dir}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with open(log_path, "wb") as out:
            lab.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if lab.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{lab.url}/api/status?token={lab.token}", timeout=2) as r:
                    if r.status == 200:
                        return lab
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        tail = log_path.read_text(errors="replace")[-3000:]
        lab.stop()
        raise AssertionError(f"JupyterLab did not start on port {lab.port}:\n{tail}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, path: str = "lab") -> str:
        """The URL of a page, with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}/{path}{sep}token={self.token}"

    def stop(self) -> None:
        """Stop the server (its process group: kernels too)."""
        if self.proc is not None:
            stop_group(self.proc, 15)
            self.proc = None

    def __enter__(self) -> "JupyterLab":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
