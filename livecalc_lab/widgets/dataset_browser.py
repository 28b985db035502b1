"""DatasetBrowser: the datasets of the catalog (and any passed in), with their metadata on selection.

::

    browser = DatasetBrowser()                       # the catalog of $LIVECALC_HOME/config.toml
    browser = DatasetBrowser(["book.parquet", ds])   # plus datasets of this notebook
    browser.select("bundled:demo")                   # or click one
    browser.dataset                                  # the opened Dataset of the selection

Listing reads directory entries, blob names and service lists only
(:func:`livecalc_lab.catalog.list_datasets`); selecting a dataset opens it and
reads its metadata (rows, size, columns, version — never the data) on a
background thread while the browser shows "reading metadata…".
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import traitlets

from livecalc_lab.widgets import _format
from livecalc_lab.widgets._assets import esm
from livecalc_lab.widgets._base import LivecalcWidget
from livecalc_lab.widgets._debounce import LatestRunner, Outcome

__all__ = ["DatasetBrowser", "NOTEBOOK_GROUP"]

NOTEBOOK_GROUP = "This notebook"  # the group of datasets passed to the browser


def _size(n: int | None) -> str:
    from livecalc_lab.catalog import _bytes

    return "" if n is None else _bytes(int(n))


class DatasetBrowser(LivecalcWidget):
    """Choose a dataset; see its metadata without loading it.

    Parameters
    ----------
    datasets : list or dict, optional
        Datasets of this notebook, listed first: anything :func:`livecalc_lab.open_dataset`
        opens (paths, URIs, PolicySource, Dataset), as a list or as ``{name: dataset}``.
    catalog : bool
        Also list the catalog (:func:`livecalc_lab.catalog.list_datasets`).
    config : Config, optional
        The configuration whose catalog is listed (default: the user's file).
    product_kind : {"term", "savings"}
        For the full-run recommendation.
    scenarios : int
        Scenario count, for the recommendation.

    Attributes
    ----------
    dataset : Dataset or None
        The selected dataset, opened (set once its metadata is read).
    entries : list of dict
        ``id``, ``name``, ``group``, ``kind``, ``size`` of each listed dataset.
    selected : str
        Id of the selected entry (``""`` for none).
    info : dict
        What the browser shows of the selection: ``state`` (``reading``, ``ready`` or
        ``error``), ``rows``, ``size``, ``format``, ``columns`` ([name, dtype]), ``version``,
        ``recommendation``, ``message``.
    problems : list of str
        Catalog sources that could not be listed (the others still are).
    """

    _esm = esm("dataset_browser")

    entries = traitlets.List().tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    info = traitlets.Dict().tag(sync=True)
    problems = traitlets.List().tag(sync=True)
    listing = traitlets.Bool(False).tag(sync=True)
    dataset = traitlets.Any(None, allow_none=True)

    def __init__(self, datasets: Any = None, *, catalog: bool = True, config: Any = None,
                 product_kind: str = "term", scenarios: int = 1000):
        super().__init__()
        self.config = config
        self.product_kind = product_kind
        self.scenarios = scenarios
        self._openers: dict[str, Callable[[], Any]] = {}
        items = datasets.items() if isinstance(datasets, dict) else [(None, d) for d in (datasets or [])]
        local = []
        for i, (name, d) in enumerate(items):
            entry_id = f"notebook:{i}"
            label = name or getattr(d, "label", None) or (Path(str(d)).name if isinstance(d, (str, Path)) else str(d))
            self._openers[entry_id] = (lambda d=d: _open(d))
            local.append({"id": entry_id, "name": str(label), "group": NOTEBOOK_GROUP, "kind": _kind(d), "size": ""})
        self.entries = local
        self._reader: LatestRunner[str, Any] = LatestRunner(self._read, self._show, delay=0.0,
                                                            name="livecalc-metadata")
        self.observe(self._on_selected, names="selected")
        self.listed = threading.Event()
        if catalog:
            self.listing = True
            threading.Thread(target=self._list_catalog, name="livecalc-catalog", daemon=True).start()
        else:
            self.listed.set()

    # ---- listing -------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the catalog again (on a background thread)."""
        self.listed.clear()
        self.listing = True
        threading.Thread(target=self._list_catalog, name="livecalc-catalog", daemon=True).start()

    def _list_catalog(self) -> None:
        from livecalc_lab.catalog import list_datasets

        problems: list[str] = []
        try:
            found = list_datasets(self.config, problems)
        except Exception as exc:  # a malformed [catalog] section: say so, keep this notebook's datasets
            found, problems = [], [f"catalog: {exc}"]
        mine = [e for e in self.entries if e["group"] == NOTEBOOK_GROUP]
        for e in found:
            self._openers[e.id] = e.open
        with self.hold_sync():
            self.entries = mine + [{"id": e.id, "name": e.name, "group": e.group, "kind": e.kind,
                                    "size": _size(e.size)} for e in found]
            self.problems = problems
            self.listing = False
        self.listed.set()

    # ---- selection -----------------------------------------------------------------------------------

    def select(self, entry_id: str) -> None:
        """Select the entry ``entry_id`` (as a click does)."""
        self.listed.wait(30)
        if entry_id not in self._openers:
            from livecalc_lab.errors import DataError

            raise DataError(f"no dataset {entry_id!r} in this browser; listed: "
                            f"{', '.join(e['id'] for e in self.entries) or 'none'}")
        self.selected = entry_id

    def wait(self, timeout: float | None = 60) -> Any:
        """Block until the selection's metadata is read; returns :attr:`dataset`."""
        self._reader.wait_idle(timeout)
        return self.dataset

    def _on_selected(self, change: dict[str, Any]) -> None:
        entry_id = change["new"]
        if not entry_id:
            return
        name = next((e["name"] for e in self.entries if e["id"] == entry_id), entry_id)
        self.info = {"id": entry_id, "name": name, "state": "reading"}
        self._reader.request(entry_id)

    def _read(self, entry_id: str) -> tuple[Any, dict[str, Any]]:
        """Open the dataset and read its metadata (on the reader's thread)."""
        from livecalc_lab.catalog import recommendation

        opener = self._openers.get(entry_id)
        if opener is None:
            raise KeyError(entry_id)
        ds = opener()
        meta = ds.metadata
        version = meta.version
        info = {"rows": f"{meta.rows:,} model points ({_format.count(meta.rows)})", "size": _size(meta.bytes),
                "format": f"{meta.format}, {meta.parts} part{'s' if meta.parts != 1 else ''}",
                "columns": [[k, str(v)] for k, v in meta.columns.items()],
                "version": version or "none (unversioned source)",
                "recommendation": recommendation(ds, self.scenarios, self.product_kind)}
        return ds, info

    def _show(self, outcome: Outcome[str, Any]) -> None:
        base = {"id": outcome.value, "name": self.info.get("name", outcome.value)}
        if outcome.error is not None:
            self.info = base | {"state": "error", "message": f"{type(outcome.error).__name__}: {outcome.error}"}
            return
        ds, info = outcome.result
        self.info = base | info | {"state": "ready"}
        self.dataset = ds

    def close(self) -> None:
        self._reader.close()
        super().close()


def _open(d: Any) -> Any:
    from livecalc_lab.config import open_configured

    return open_configured(d)


def _kind(d: Any) -> str:
    src = getattr(d, "source", d)
    return str(getattr(src, "type", "local"))
