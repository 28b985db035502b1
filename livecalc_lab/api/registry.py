"""What the service may open: the datasets and assumption sets registered in its configuration.

Nothing else is ever opened: requests name a dataset or assumption set by id,
never by path or URI. Each request sees the dataset's current content version
(a file's size, mtime and head/tail hash, a blob's ETag — the data layer's
:attr:`~livecalc_lab.data.Dataset.version`), so cached answers keyed by
version are never stale; the opened dataset (footers, CSV scans) is kept while
its version stays the same.

Messages that reach a client name the dataset by id: the server's paths, URIs
and table names are replaced (:meth:`Registry.redact`).
"""

from __future__ import annotations

import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecalc_lab.config import Config, DatasetEntry
from livecalc_lab.errors import AssumptionError, ConfigError, DataError

__all__ = ["Registry", "Opened", "DEMO_ASSUMPTIONS"]

DEMO_ASSUMPTIONS = "demo"


@dataclass(frozen=True)
class Opened:
    """A registered dataset opened at one content version."""

    entry: DatasetEntry
    dataset: Any  # livecalc_lab.data.Dataset
    version: str | None
    stat: tuple[int, int, int] | None = None  # size, mtime and inode of a single local file when opened


class Registry:
    """Registered datasets and assumption sets, opened on demand.

    Parameters
    ----------
    config : Config
        ``datasets`` and ``assumptions`` are what may be opened; the bundled
        assumption set is registered as ``demo`` unless the file uses that id.
    """

    def __init__(self, config: Config):
        self.config = config
        self.entries: dict[str, DatasetEntry] = dict(config.datasets)
        self._held: dict[str, Opened] = {}
        self._credentials: dict[str, Any] = {}
        self._assumptions: dict[str, tuple[tuple[Any, ...], Any]] = {}
        self._lock = threading.Lock()

    # ---- datasets --------------------------------------------------------------------------

    def entry(self, dataset_id: str) -> DatasetEntry | None:
        return self.entries.get(dataset_id)

    def open(self, entry: DatasetEntry) -> Opened:
        """The dataset at its current version (reusing the one held while the version is unchanged).

        Raises
        ------
        DataError
            The data cannot be reached or read (message redacted).
        ConfigError
            A credential's environment variable is unset.
        """
        from livecalc_lab.data.dataset import Dataset

        held = self._held.get(entry.id)
        if held is not None and entry.source.type == "database":
            return held  # a table's version is the label in the configuration
        try:
            ds = Dataset(entry.source, credential=self._credential(entry))
            version = ds.version
        except DataError as exc:
            raise DataError(self.redact(entry, str(exc))) from None
        if held is not None and held.version == version:
            return held
        opened = Opened(entry, ds, version, _stat(entry))
        with self._lock:
            self._held[entry.id] = opened
        return opened

    def looks_unchanged(self, entry: DatasetEntry) -> bool:
        """True when a single local file is held and its size, mtime and inode are as when it was opened.

        Then :meth:`open` costs a stat and a 128 KiB read (the content hash is cached), cheap
        enough for the event loop; otherwise it may hash a whole new file and belongs in a thread.
        """
        held = self._held.get(entry.id)
        return held is not None and held.stat is not None and held.stat == _stat(entry)

    def _credential(self, entry: DatasetEntry) -> Any:
        if entry.credential is None:
            return None
        if entry.id not in self._credentials:
            self._credentials[entry.id] = entry.credential.resolve()
        return self._credentials[entry.id]

    def redact(self, entry: DatasetEntry, text: str) -> str:
        """``text`` with the dataset's location (paths, URIs, table) replaced by ``dataset '<id>'``."""
        src = entry.source
        names = {src.uri}
        if src.type == "local":
            names.add(str(src.path))
            names.add(str(src.path.resolve()))
        elif src.type in ("blob", "dataLake"):
            loc = src.blob
            names.add(f"azure://{loc.container}/{loc.path}".rstrip("/"))
            names.add(f"azure://{loc.container}")
        held = self._held.get(entry.id)
        if held is not None:
            names.add(held.dataset.label)
        for name in sorted((n for n in names if n), key=len, reverse=True):
            text = text.replace(name, f"dataset '{entry.id}'")
        return text

    # ---- assumption sets -------------------------------------------------------------------

    @property
    def assumption_ids(self) -> list[str]:
        return sorted({DEMO_ASSUMPTIONS, *self.config.assumptions})

    def assumptions(self, set_id: str) -> Any:
        """The registered assumption set ``set_id`` (reloaded when a file in its folder changes).

        Raises
        ------
        KeyError
            No set is registered under ``set_id``.
        AssumptionError
            The registered folder does not hold a valid set (message without the server's path).
        """
        from livecalc_lab.assumptions import demo_assumptions, load_assumptions

        folder = self.config.assumptions.get(set_id)
        if folder is None and set_id != DEMO_ASSUMPTIONS:
            raise KeyError(set_id)
        token = _folder_token(folder) if folder is not None else ()
        hit = self._assumptions.get(set_id)
        if hit is not None and hit[0] == token:
            return hit[1]
        try:
            aset = load_assumptions(folder) if folder is not None else demo_assumptions()
        except AssumptionError as exc:
            raise AssumptionError(str(exc).replace(str(folder), f"assumption set '{set_id}'")) from None
        self._assumptions[set_id] = (token, aset)
        return aset


def _stat(entry: DatasetEntry) -> tuple[int, int, int] | None:
    if entry.source.type != "local":
        return None
    try:
        st = entry.source.path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _folder_token(folder: Path) -> tuple[Any, ...]:
    try:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))
    except OSError as exc:
        raise ConfigError(f"a registered assumption set cannot be read: {exc.strerror}") from None
