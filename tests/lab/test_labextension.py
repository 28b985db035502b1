"""The JupyterLab extension as installed: built assets, one version number, and Jupyter reporting both halves enabled.

The session's build (``labextension_prefix``: ``npm run build:prod`` on a copy of the
sources, laid out by ``pyproject.toml``'s shared-data mapping) is checked with
``jupyter labextension list`` and ``jupyter server extension list`` in private
Jupyter directories. When this Python has the package installed (as the README's
test command does, editable), the installed copy is checked too.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from pathlib import Path

import pytest

import livecalc_lab as lc
from _jupyter import EXTENSION_NAME, LABEXT, jupyter, jupyter_env

PACKAGE_JSON = json.loads((LABEXT / "package.json").read_text(encoding="utf-8"))


def test_one_version_number():
    """The npm package (what `jupyter labextension list` reports) carries the Python package's version."""
    assert PACKAGE_JSON["name"] == EXTENSION_NAME
    assert PACKAGE_JSON["version"] == lc.__version__


def test_jupyterlab_packages_are_pinned_to_the_4_x_line():
    import jupyterlab

    major, minor = (int(x) for x in jupyterlab.__version__.split(".")[:2])
    for name, spec in PACKAGE_JSON["dependencies"].items():
        if name.startswith("@jupyterlab/"):
            assert re.fullmatch(r"\^4\.\d+\.\d+|\^7\.\d+\.\d+", spec), (name, spec)  # services is 7.x in Lab 4
    assert (major, minor) >= (4, 6)
    assert PACKAGE_JSON["devDependencies"]["@jupyterlab/core-meta"].startswith(f"~{major}.{minor}.")


def test_built_assets_are_laid_out_as_the_wheel_installs_them(labextension_prefix: Path):
    ext = labextension_prefix / "share" / "jupyter" / "labextensions" / EXTENSION_NAME
    built = json.loads((ext / "package.json").read_text())
    assert built["name"] == EXTENSION_NAME and built["version"] == lc.__version__
    remote = built["jupyterlab"]["_build"]["load"]
    assert (ext / remote).is_file() and remote.startswith("static/remoteEntry.")
    assert (ext / "static" / "style.js").is_file()
    schema = json.loads((ext / "schemas" / EXTENSION_NAME / "plugin.json").read_text())
    assert set(schema["properties"]) == {"refreshInterval", "maxJobs", "confirmCancel"}
    assert json.loads((ext / "install.json").read_text())["packageName"] == "livecalc-lab"
    bundle = "".join(p.read_text(errors="replace") for p in (ext / "static").glob("*.js"))
    assert "livecalc-dataset-item" in bundle and "livecalc/api" in bundle
    server_cfg = labextension_prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "livecalc_lab.json"
    assert json.loads(server_cfg.read_text()) == {"ServerApp": {"jpserver_extensions": {"livecalc_lab": True}}}


def _enabled_under(listing: str, folder: Path, pattern: str) -> bool:
    """Whether ``listing`` names ``pattern`` as enabled and OK in the section of ``folder``."""
    section = listing.split(str(folder), 1)
    if len(section) != 2:
        return False
    body = re.split(r"\n(?=\S)", section[1], maxsplit=1)[0]
    return re.search(pattern, body) is not None


def test_jupyter_lists_both_extensions_enabled(labextension_prefix: Path, tmp_path: Path):
    env = jupyter_env(tmp_path, labextension_prefix, PYTHONPATH=str(Path(lc.__file__).parents[1]))
    labs = jupyter(["labextension", "list"], env)
    folder = labextension_prefix / "share" / "jupyter" / "labextensions"
    assert _enabled_under(labs, folder, rf"{EXTENSION_NAME} v{re.escape(lc.__version__)} enabled\s+OK"), labs
    servers = jupyter(["server", "extension", "list"], env)
    assert _enabled_under(servers, tmp_path / "config", r"livecalc_lab enabled"), servers
    assert re.search(r"livecalc_lab\s+\S*\s*OK", servers), servers  # the module imports and has its extension points


def _installed() -> importlib.metadata.Distribution | None:
    try:
        dist = importlib.metadata.distribution("livecalc-lab")
    except importlib.metadata.PackageNotFoundError:
        return None
    return dist


@pytest.mark.skipif(_installed() is None, reason="livecalc-lab is not pip-installed in this Python (running from "
                                                  "PYTHONPATH); the README's test command installs it")
def test_the_installed_package_carries_the_extension(tmp_path: Path):
    ext = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / EXTENSION_NAME
    assert json.loads((ext / "package.json").read_text())["version"] == lc.__version__
    assert (Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "livecalc_lab.json").is_file()
    env = jupyter_env(tmp_path)
    labs = jupyter(["labextension", "list"], env)
    assert _enabled_under(labs, ext.parent, rf"{EXTENSION_NAME} v{re.escape(lc.__version__)} enabled\s+OK"), labs
    servers = jupyter(["server", "extension", "list"], env)
    assert re.search(r"livecalc_lab enabled", servers) and re.search(r"livecalc_lab\s+\S*\s*OK", servers), servers
