"""Helpers for tests that need JupyterLab: the built labextension, and a real JupyterLab server.

- :func:`node_missing` says why the TypeScript cannot be built here (no ``node``/``npm``), or None.
- :func:`ensure_node_modules` installs ``labextension/node_modules`` from the lock file when absent.
- :func:`build_labextension` builds the extension from a copy of its sources and lays the result
  out as the wheel installs it (``share/jupyter/labextensions/livecalc-lab`` and the server
  extension's ``etc/jupyter`` file, from ``pyproject.toml``'s shared-data mapping) under a prefix,
  for ``JUPYTER_PATH`` / ``JUPYTER_CONFIG_PATH``.
- :func:`extension_env` points a server at such a prefix.
- :class:`JupyterServer` starts ``jupyter lab`` on 127.0.0.1 (free port, token, ``--allow-root``,
  ``--no-browser``, the app exposed as ``window.jupyterapp``) with the repository on ``PYTHONPATH``
  and private Jupyter folders, and stops it (the widget tests' ``tests/widgets/_lab.py`` adds
  notebook-page helpers on top).

Browser tests pair it with :func:`_browser.launch`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from _servers import ROOT, free_port, stop_group, wait_for_port

LABEXT = ROOT / "labextension"
EXTENSION_NAME = "livecalc-lab"
# npm's download cache, fixed when this module is imported: pytest-jupyter points HOME at a
# temporary folder for each test, and an `npm install` there must not download everything again.
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
    """``labextension/node_modules``, installed with ``npm install`` (as the build hook does) when absent.

    Not ``npm ci``: the lock file cannot list an optional platform package that the npm registry
    reachable here does not serve, and ``npm ci`` refuses a lock file without it.
    """
    modules = LABEXT / "node_modules"
    if not (modules / "@jupyter" / "builder").is_dir():
        npm("install", "--no-audit", "--no-fund", "--loglevel=error")
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


def extension_env(prefix: Path) -> dict[str, str]:
    """Variables that make a :class:`JupyterServer` load the extension installed under ``prefix``.

    The prefix comes first on the data path (the labextension); the server extension's enable file
    is read from the config path. When the package is installed, its own copies are there too, identical.
    """
    return {"JUPYTER_PATH": str(prefix / "share" / "jupyter"), "JUPYTER_CONFIG_PATH": str(prefix / "etc" / "jupyter")}


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
    proc = subprocess.run([sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise AssertionError(f"jupyter {' '.join(args)} failed ({proc.returncode}):\n{out[-4000:]}")
    return out


# JupyterLab's news and update checks would open a toast over the notebook: off.
_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
             {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}}


class JupyterServer:
    """``jupyter lab`` serving ``root`` on 127.0.0.1 (a context manager).

    Parameters
    ----------
    root : Path
        The server's root folder (notebooks are opened relative to it).
    env : dict, optional
        More environment variables for the server and its kernels (e.g. ``LIVECALC_HOME``).
    """

    def __init__(self, root: Path, env: dict[str, str] | None = None):
        self.root = Path(root)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.root.parent / f"jupyter-{self.port}.log"

    def __enter__(self) -> JupyterServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self, seconds: float = 90) -> None:
        """Start the server; raises RuntimeError with the log's tail if it does not listen in time."""
        private = self.root.parent / f"jupyter-{self.port}"
        settings = private / "settings"
        for name, value in _SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env = {**os.environ, **self.extra_env,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
               "JUPYTER_CONFIG_DIR": str(private / "config"), "JUPYTER_RUNTIME_DIR": str(private / "runtime"),
               "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(private / "workspaces"),
               "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
               "--LabApp.news_url=", "--ServerApp.open_browser=False"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.root,
                                         start_new_session=True)
        if not wait_for_port(self.port, self.proc, seconds):
            tail = self.log.read_text(errors="replace")[-3000:]
            self.stop()
            raise RuntimeError(f"jupyter lab did not start on port {self.port}:\n{tail}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None

    def url(self, path: str, **query: str) -> str:
        """``http://127.0.0.1:<port>/<path>?token=...`` (plus ``query``)."""
        q = "&".join([f"token={self.token}", *(f"{k}={v}" for k, v in query.items())])
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?{q}"
