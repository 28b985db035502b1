"""The dataset catalog: every dataset the user can open, from every place they configured.

The workbench's dataset browser and the JupyterLab side panel both list this
catalog. It is read from the user's configuration file
(``$LIVECALC_HOME/config.toml``, see :mod:`livecalc_lab.config`)::

    [datasets.book]                      # registered datasets (group "Configured")
    uri = "policies/book.parquet"

    [catalog]
    folders = ["~/data/policies"]        # local folders: their .csv, .csv.gz and .parquet files, and
                                         # sub-folders of Parquet parts, one dataset each
    containers = ["azure://book/2026/"]  # Azure Blob containers or prefixes: their .csv and .parquet blobs
    services = [{ url = "https://api.example.com", credential = { env = "LIVECALC_TOKEN" } }]
                                         # LiveCalc Data API services: the datasets the token may read

and always holds the bundled demo portfolio (group ``"Bundled"``). Listing reads
directory entries, blob names and the services' dataset lists only: no data and
no metadata is read until :meth:`CatalogEntry.metadata` is called.

Each entry has a stable ``id`` (``config:<id>``, ``file:<absolute path>``,
``blob:<uri>``, ``api:<dataset url>``, ``bundled:<id>``), which :func:`find`
turns back into the entry — only within what the configuration lists, so an id
sent by a browser cannot name an arbitrary file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livecalc_lab.config import Config, CredentialRef, _credential, demo_config, load_config
from livecalc_lab.errors import ConfigError, DataError

__all__ = ["CatalogEntry", "list_datasets", "find", "recommendation"]

FILE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
_MAX_BLOBS = 1000  # per container prefix; more is a data lake and should be registered as one dataset


@dataclass(frozen=True)
class CatalogEntry:
    """One dataset in the catalog.

    Attributes
    ----------
    id : str
        Stable identifier (see the module docstring); safe to send to a browser.
    name : str
        Display name: the configured title or id, the file or blob name, or the service's title.
    group : str
        Where it was found: ``"Bundled"``, ``"Configured"``, a folder path, a container URI or a service URL.
    kind : {"local", "blob", "dataLake", "database", "service"}
    uri : str
        What :func:`livecalc_lab.open_dataset` takes (a configured dataset: its id, which
        :func:`livecalc_lab.config.open_configured` resolves).
    size : int or None
        Bytes, when the listing already knows it (files and blobs), else None.
    """

    id: str
    name: str
    group: str
    kind: str
    uri: str
    size: int | None = None
    credential: CredentialRef | None = field(default=None, repr=False, compare=False)
    config: Config | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (no credential): ``id``, ``name``, ``group``, ``kind``, ``uri``, ``size``."""
        return {"id": self.id, "name": self.name, "group": self.group, "kind": self.kind, "uri": self.uri,
                "size": self.size}

    def open(self) -> Any:
        """The dataset (:class:`~livecalc_lab.data.Dataset` or a Data API dataset); nothing is read yet.

        Raises
        ------
        DataError, ConfigError
            The dataset cannot be opened, or its credential's environment variable is unset.
        """
        from livecalc_lab.data import open_dataset

        if self.id.startswith(("config:", "bundled:")):
            cfg = self.config if self.id.startswith("config:") else demo_config()
            return cfg.datasets[self.id.split(":", 1)[1]].open()
        credential = self.credential.resolve() if self.credential is not None else None
        return open_dataset(self.uri, credential=credential)

    def metadata(self) -> Any:
        """The dataset's :class:`~livecalc_lab.data.metadata.Metadata` (rows, bytes, columns, version), found without loading it."""
        return self.open().metadata

    def recommendation(self, scenarios: int = 1000, product_kind: str = "term") -> str:
        """Where to preview and run this dataset, as a line for the user (see :func:`recommendation`)."""
        return recommendation(self.open(), scenarios=scenarios, product_kind=product_kind)


def recommendation(dataset: Any, scenarios: int = 1000, product_kind: str = "term", config: dict[str, Any] | None = None) -> str:
    """A line such as ``"2.0M model points, 2.3 GB — preview locally (10K sample), full run on the dask cluster"``.

    The full-run estimate is :func:`livecalc_lab.jobs.choose.choose_backend`'s
    (time per model point measured by ``bench/full_run.py``), so the line agrees
    with what ``backend="auto"`` will do.

    Parameters
    ----------
    dataset : Dataset
        An opened dataset (its metadata is read).
    scenarios : int
        Scenario count of the intended run (matters for path-dependent products).
    product_kind : {"term", "savings"}
    config : dict, optional
        Settings as :func:`livecalc_lab.config.load_settings` returns (default: the user's).
    """
    from livecalc_lab.jobs.choose import choose_backend

    meta = dataset.metadata
    choice = choose_backend(dataset, product_kind, scenarios, config)
    size = f"{_count(meta.rows)} model points, {_bytes(meta.bytes)}"
    preview = ("preview locally (10K sample)" if meta.rows > 10_000
               else f"preview locally (all {meta.rows:,} model points)")
    if choice.name != "local":
        full = f"full run on the {choice.name} cluster"
    elif choice.advice:
        full = "full run on a cluster (configure [backends.dask] or [backends.azure_batch])"
    else:
        full = f"full run locally (~{_duration(choice.seconds_local)})"
    return f"{size} — {preview}, {full}"


def _count(n: int) -> str:
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return str(n)


def _bytes(n: int) -> str:
    for div, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


# ---- listing ---------------------------------------------------------------------------------------


def _catalog_section(cfg: Config) -> tuple[list[Path], list[str], list[tuple[str, CredentialRef | None]]]:
    section = cfg.section("catalog")
    where = f"{cfg.path or '<config>'} [catalog]"
    unknown = sorted(set(section) - {"folders", "containers", "services"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: containers, folders, services")

    def strings(key: str) -> list[str]:
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}: {key} must be a list of non-empty strings")
        return value

    folders = [cfg.resolve_path(f) for f in strings("folders")]
    containers = strings("containers")
    for c in containers:
        if not c.startswith(("azure://", "az://", "abfss://", "https://", "http://")):
            raise ConfigError(f"{where}: containers entry {c!r} is not an azure://, abfss:// or https:// blob URI")
    services = []
    raw = section.get("services", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: services must be a list of {{ url = ..., credential = {{ env = ... }} }}")
    for i, item in enumerate(raw):
        here = f"{where} services[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or set(item) - {"url", "credential"}:
            raise ConfigError(f"{here}: expected {{ url = \"https://...\", credential = {{ env = \"NAME\" }} }}")
        services.append((item["url"].rstrip("/"), _credential(item.get("credential"), here)))
    return folders, containers, services


def _is_dataset_file(p: Path) -> bool:
    return p.is_file() and p.name.lower().endswith(FILE_SUFFIXES)


def _folder_entries(folder: Path) -> list[CatalogEntry]:
    if not folder.is_dir():
        raise DataError(f"{folder}: configured in [catalog] folders but not a folder")
    out = []
    for p in sorted(folder.iterdir()):
        if _is_dataset_file(p):
            out.append(CatalogEntry(f"file:{p.resolve()}", p.name, str(folder), "local", str(p.resolve()), p.stat().st_size))
        elif p.is_dir() and any(q.suffix.lower() in (".parquet", ".pq") for q in p.iterdir()):
            size = sum(q.stat().st_size for q in p.iterdir() if q.is_file())
            out.append(CatalogEntry(f"file:{p.resolve()}", p.name + "/", str(folder), "local", str(p.resolve()), size))
    return out


def _container_entries(uri: str) -> list[CatalogEntry]:
    from livecalc_lab.data._azure import azure_error, container_client
    from livecalc_lab.data.source import _blob_location

    loc = _blob_location(uri)
    client = container_client(loc)
    base = uri if uri.endswith("/") or not loc.path else uri + "/"
    out = []
    try:
        for i, blob in enumerate(client.list_blobs(name_starts_with=loc.path or None)):
            if i >= _MAX_BLOBS:
                break
            if blob.name.lower().endswith(FILE_SUFFIXES):
                rel = blob.name[len(loc.path):].lstrip("/") if loc.path else blob.name
                full = base + rel
                out.append(CatalogEntry(f"blob:{full}", rel, uri, "blob", full, int(blob.size)))
    except Exception as exc:  # the SDK raises several types; say which container
        raise azure_error(exc, uri) from None
    return out


def _service_entries(url: str, credential: CredentialRef | None) -> list[CatalogEntry]:
    from livecalc_lab.api.client import DataApiClient

    token = credential.resolve() if credential is not None else None
    with DataApiClient(url, token) as client:
        items = client.datasets()
    out = []
    for item in items:
        ds_url = f"livecalc+{url}/datasets/{item['id']}"
        out.append(CatalogEntry(f"api:{ds_url}", item.get("title") or item["id"], url, "service", ds_url,
                                item.get("bytes"), credential))
    return out


def list_datasets(config: Config | None = None, problems: list[str] | None = None) -> list[CatalogEntry]:
    """Every dataset of the catalog, grouped in configuration order (see the module docstring).

    Parameters
    ----------
    config : Config, optional
        Default: the user's configuration file.
    problems : list, optional
        When given, a source that cannot be listed (a missing folder, an unreachable
        container or service, an unset credential variable) is reported by appending a
        message naming it, and the other sources are still listed. When omitted, the
        first such problem raises.

    Returns
    -------
    list of CatalogEntry

    Raises
    ------
    ConfigError
        A malformed ``[catalog]`` section (always raised).
    DataError
        A source cannot be listed and ``problems`` is None.
    """
    cfg = load_config() if config is None else config
    folders, containers, services = _catalog_section(cfg)
    out = [CatalogEntry(f"bundled:{k}", e.title or k, "Bundled", e.source.type, e.source.uri)
           for k, e in demo_config().datasets.items()]
    out += [CatalogEntry(f"config:{k}", e.title or k, "Configured", e.source.type, k, config=cfg)
            for k, e in cfg.datasets.items()]
    jobs: list[tuple[str, Any, tuple[Any, ...]]] = [(str(f), _folder_entries, (f,)) for f in folders]
    jobs += [(c, _container_entries, (c,)) for c in containers]
    jobs += [(u, _service_entries, (u, cred)) for u, cred in services]
    for label, fn, args in jobs:
        try:
            out += fn(*args)
        except (DataError, ConfigError, OSError) as exc:
            if problems is None:
                raise DataError(f"catalog: {label}: {exc}") from None
            problems.append(f"{label}: {exc}")
    return out


def find(entry_id: str, config: Config | None = None) -> CatalogEntry:
    """The catalog entry with id ``entry_id``, only if the configuration lists its source.

    Configured and bundled ids are looked up directly; a file must lie in a
    configured folder, a blob under a configured container prefix, a service
    dataset under a configured service (the services are not contacted).

    Raises
    ------
    DataError
        An unknown id, or one outside what the configuration lists.
    """
    cfg = load_config() if config is None else config
    kind, _, rest = entry_id.partition(":")
    folders, containers, services = _catalog_section(cfg)
    if kind == "bundled" and rest in demo_config().datasets:
        return next(e for e in list_datasets(Config(), []) if e.id == entry_id)
    if kind == "config" and rest in cfg.datasets:
        e = cfg.datasets[rest]
        return CatalogEntry(entry_id, e.title or rest, "Configured", e.source.type, rest, config=cfg)
    if kind == "file" and rest:
        p = Path(rest)
        for folder in folders:
            if p.parent == folder.resolve() and (_is_dataset_file(p) or p.is_dir()):
                return next((e for e in _folder_entries(folder) if e.id == entry_id), None) or _unknown(entry_id)
    if kind == "blob":
        for c in containers:
            prefix = c if c.endswith("/") else c + "/"
            if rest.startswith(prefix) and rest.lower().endswith(FILE_SUFFIXES) and ".." not in rest[len(prefix):].split("/"):
                return CatalogEntry(entry_id, rest[len(prefix):], c, "blob", rest)
    if kind == "api":
        for url, cred in services:
            if rest.startswith(f"livecalc+{url}/datasets/"):
                ds = rest[len(f"livecalc+{url}/datasets/"):]
                if ds and "/" not in ds:
                    return CatalogEntry(entry_id, ds, url, "service", rest, credential=cred)
    return _unknown(entry_id)


def _unknown(entry_id: str) -> CatalogEntry:
    raise DataError(f"no dataset {entry_id!r} in the catalog (see [catalog] and [datasets] in config.toml)")
