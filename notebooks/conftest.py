"""Run every notebook in this folder with nbval: ``pytest`` (testpaths) or ``pytest --nbval notebooks``.

* nbval is switched on for this folder (no flag needed), uses ``sanitize.cfg`` (volatile output:
  temporary paths, job ids, ports, tokens, timings) and runs the kernel in this Python;
* each notebook's kernel starts in the environment of :mod:`_notebook_env` (private
  ``LIVECALC_HOME``, cache and ``TMPDIR``; this checkout on ``PYTHONPATH``; Blob Storage for
  notebooks whose metadata asks for it), set just before the kernel starts;
* a notebook that needs Blob Storage is skipped only when no account is configured and
  Azurite is not installed.

A new notebook is tested by dropping it in this folder, stored with its outputs
(``python notebooks/execute.py NAME.ipynb``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _notebook_env import NotebookServices, blob_storage_available, environ, needs

HERE = Path(__file__).resolve().parent
_SERVICES: list[NotebookServices] = []


def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    if not (opt.nbval or opt.nbval_lax):
        opt.nbval = True
    if opt.nbval_sanitize_with is None:
        opt.nbval_sanitize_with = str(HERE / "sanitize.cfg")
    if not opt.nbval_kernel_name:
        opt.nbval_current_env = True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs Blob Storage: set AZURE_STORAGE_CONNECTION_STRING or install Azurite "
                                   "(the README's test command does)")
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" and "azurite" in needs(path) and not blob_storage_available():
            item.add_marker(skip)


def _services() -> NotebookServices:
    if not _SERVICES:
        _SERVICES.append(NotebookServices())
    return _SERVICES[0]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item):
    notebook = item.parent
    starting = Path(str(item.fspath)).suffix == ".ipynb" and getattr(notebook, "kernel", "") is None
    if not starting or item.get_closest_marker("skip"):
        yield
        return
    with environ(_services().env(Path(str(item.fspath)))):
        yield  # nbval starts the notebook's kernel here, with this environment


def pytest_unconfigure(config: pytest.Config) -> None:
    while _SERVICES:
        _SERVICES.pop().close()
