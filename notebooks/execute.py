"""Execute notebooks in place, storing their outputs, in the environment nbval runs them in.

    python notebooks/execute.py                       # every notebook in this folder
    python notebooks/execute.py 03_preview_vs_full    # some of them (with or without .ipynb)

Run it with the Python whose kernel nbval uses (the project's venv), then check the result
with ``python -m pytest notebooks`` (twice: a second run must pass on the stored outputs too).
Execution timing is not recorded in the cells, so a re-run changes only what changed. Widget state is
not stored either: it holds this machine's paths and the widgets' code, and a widget's view is
rebuilt when its cell runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from _notebook_env import HERE, NotebookServices, environ


def execute(path: Path, services: NotebookServices) -> float:
    """Run ``path`` top to bottom in a fresh kernel and write it back with its outputs; returns seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # state of an earlier run
    t0 = time.perf_counter()
    with environ(services.env(path)):
        client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                                store_widget_state=False, resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    seconds = time.perf_counter() - t0
    nbformat.write(nb, path)
    return seconds


def main(names: list[str]) -> int:
    paths = [HERE / (n if n.endswith(".ipynb") else n + ".ipynb") for n in names] or sorted(HERE.glob("*.ipynb"))
    services = NotebookServices()
    try:
        for path in paths:
            print(f"{path.name}: {execute(path, services):.1f} s", flush=True)
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
