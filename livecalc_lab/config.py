"""The configuration file: registered datasets and assumption sets, by reference, never with secrets.

One format serves the user's file ``$LIVECALC_HOME/config.toml`` (default
``~/.livecalc/config.toml``) and the file given to ``livecalc serve --config``.
Each section belongs to one consumer: this module reads ``[datasets]`` and
``[assumptions]``; the service reads ``[api]``, the jobs layer ``[backends]``
(:func:`backend_config`, :func:`default_backend`), and the assumption store
``[assumptions_store]`` (:func:`livecalc_lab.assumptions.store.store_settings`)::

    [datasets.book]
    uri = "policies/book.parquet"       # a path (relative to this file) or any URI open_dataset takes
    title = "UK term book, 2026-Q1"
    filter = "region = 'UK'"            # optional; also: type, version
    options = { delimiter = ";" }       # read options (see livecalc_lab.data.schema.ReadOptions)
    scopes = ["pricing:read"]           # optional: more token scopes that grant read access
    credential = { env = "BOOK_SAS" }   # or "azure-identity"; never the secret itself

    [assumptions.basis-2026]
    path = "bases/2026"                 # a folder holding assumptions.json

A secret never goes in the file: a key named like one (``password``,
``secret``, ``token``, ``account_key``, ``sas_token``, ``connection_string``,
``client_secret``) holding a value, a connection string or a SAS query is an
error. Credentials are references, resolved when a dataset is opened: the name
of an environment variable (``{ env = "NAME" }``) or ``"azure-identity"``
(``DefaultAzureCredential``). Without one, the data layer's own defaults apply
(``AZURE_STORAGE_CONNECTION_STRING``, ``PGPASSWORD``, azure-identity).

>>> cfg = parse_config('[datasets.book]\\nuri = "/data/book.parquet"\\n')
>>> cfg.datasets["book"].source
PolicySource('local', '/data/book.parquet')
>>> cfg.datasets["book"].read_scopes
('datasets:read', 'datasets:book:read')
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from livecalc_lab.data.source import PolicySource
from livecalc_lab.errors import ConfigError, DataError

__all__ = [
    "BACKENDS",
    "Config",
    "CredentialRef",
    "DatasetEntry",
    "DATASET_ID",
    "demo_config",
    "livecalc_home",
    "load_config",
    "parse_config",
    "user_config_path",
    "backend_config",
    "config_path",
    "open_configured",
    "default_backend",
    "load_settings",
]

DATASET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SECRET_KEYS = frozenset(
    {"password", "secret", "token", "account_key", "sas_token", "connection_string", "client_secret", "private_key"}
)
_SECRET_TEXT = re.compile(r"(AccountKey=|SharedAccessSignature=|[?&]sig=|-----BEGIN [A-Z ]*PRIVATE KEY)", re.IGNORECASE)
_DATASET_KEYS = frozenset({"uri", "type", "title", "version", "filter", "options", "scopes", "credential"})
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
AZURE_IDENTITY = "azure-identity"


def livecalc_home() -> Path:
    """``$LIVECALC_HOME``, or ``~/.livecalc``: where the user's configuration and job records live."""
    env = os.environ.get("LIVECALC_HOME")
    return Path(env).expanduser() if env else Path.home() / ".livecalc"


def user_config_path() -> Path:
    """``$LIVECALC_HOME/config.toml`` (it need not exist)."""
    return livecalc_home() / "config.toml"


@dataclass(frozen=True)
class CredentialRef:
    """Where a dataset's credential comes from: an environment variable, or azure-identity.

    Attributes
    ----------
    env : str or None
        Name of the environment variable holding a SAS token, account key or password.
    azure_identity : bool
        Use azure-identity's ``DefaultAzureCredential``.
    """

    env: str | None = None
    azure_identity: bool = False

    def resolve(self) -> Any:
        """The credential itself, read now (never stored in the configuration).

        Raises
        ------
        ConfigError
            The environment variable is not set.
        """
        if self.azure_identity:
            try:
                from azure.identity import DefaultAzureCredential
            except ImportError:  # pragma: no cover - depends on the install
                raise ConfigError("credential 'azure-identity' needs azure-identity: pip install 'livecalc-lab[azure]'") from None
            return DefaultAzureCredential()
        assert self.env is not None
        value = os.environ.get(self.env)
        if not value:
            raise ConfigError(f"credential: environment variable {self.env} is not set")
        return value

    def to_toml_value(self) -> Any:
        """The value as written in the file: ``{"env": NAME}`` or ``"azure-identity"``."""
        return AZURE_IDENTITY if self.azure_identity else {"env": self.env}


@dataclass(frozen=True)
class DatasetEntry:
    """One registered dataset: an id, its :class:`PolicySource`, a title, and who may read it.

    Attributes
    ----------
    id : str
        Letters, digits, ``_``, ``.`` and ``-`` (1–64 characters, starting with a letter or digit).
    source : PolicySource
        Where the data lives (local paths made absolute against the configuration file's folder).
    title : str
    scopes : tuple of str
        Extra token scopes that grant read access, besides ``datasets:read`` and
        ``datasets:<id>:read`` (see :attr:`read_scopes`).
    credential : CredentialRef or None
    """

    id: str
    source: PolicySource
    title: str = ""
    scopes: tuple[str, ...] = ()
    credential: CredentialRef | None = None

    @property
    def read_scopes(self) -> tuple[str, ...]:
        """Every scope that grants read access to this dataset: any one of them suffices."""
        return ("datasets:read", f"datasets:{self.id}:read", *self.scopes)

    def open(self) -> Any:
        """The :class:`~livecalc_lab.data.Dataset`, with the credential resolved now."""
        from livecalc_lab.data.dataset import Dataset

        credential = self.credential.resolve() if self.credential is not None else None
        return Dataset(self.source, credential=credential)


@dataclass(frozen=True)
class Config:
    """A parsed configuration file.

    Attributes
    ----------
    path : pathlib.Path or None
        The file read (None: built in memory).
    datasets : mapping of str to DatasetEntry
        ``[datasets]``, in file order.
    assumptions : mapping of str to pathlib.Path
        ``[assumptions]``: registered assumption-set folders by id.
    document : mapping
        The whole file as parsed, for the sections other modules own (see :meth:`section`).
    """

    path: Path | None = None
    datasets: Mapping[str, DatasetEntry] = field(default_factory=dict)
    assumptions: Mapping[str, Path] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """The table ``[name]`` (empty when absent).

        Raises
        ------
        ConfigError
            ``name`` is not a table.
        """
        value = self.document.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self._where()}: [{name}] must be a table")
        return value

    def resolve_path(self, text: str) -> Path:
        """A path from the file: ``~`` expanded, relative to the file's folder."""
        p = Path(text).expanduser()
        return p if p.is_absolute() or self.path is None else self.path.parent / p

    def _where(self) -> str:
        return str(self.path) if self.path is not None else "<config>"


def load_config(path: str | Path | None = None) -> Config:
    """Read a configuration file.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The file. Default: :func:`user_config_path`, and an empty configuration
        when that file does not exist.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        A named file that does not exist, invalid TOML, a secret in the file,
        an unknown key, or a dataset whose source is not valid.
    """
    if path is None:
        path = user_config_path()
        if not path.is_file():
            return Config(path=None)
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot be read: {exc}") from None
    return parse_config(text, path=p.resolve())


def parse_config(text: str, *, path: Path | None = None) -> Config:
    """Parse the text of a configuration file (see the module docstring); ``path`` anchors relative paths."""
    where = str(path) if path is not None else "<config>"
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    _refuse_secrets(doc, where, [])
    cfg = Config(path=path, document=MappingProxyType(doc))
    datasets = {}
    for ds_id, table in cfg.section("datasets").items():
        datasets[ds_id] = _dataset_entry(cfg, ds_id, table, f"{where} [datasets.{ds_id}]")
    assumptions = {}
    for set_id, table in cfg.section("assumptions").items():
        here = f"{where} [assumptions.{set_id}]"
        if not DATASET_ID.match(set_id):
            raise ConfigError(f"{here}: an id is 1-64 letters, digits, '_', '.' or '-', not {set_id!r}")
        if not isinstance(table, dict) or set(table) != {"path"} or not isinstance(table["path"], str):
            raise ConfigError(f'{here}: expected exactly path = "<folder holding assumptions.json>"')
        assumptions[set_id] = cfg.resolve_path(table["path"])
    return Config(path, MappingProxyType(datasets), MappingProxyType(assumptions), MappingProxyType(doc))


def demo_config() -> Config:
    """The built-in configuration: the bundled lifelib portfolio as dataset ``demo``."""
    from livecalc_lab.model.policies import demo_policies_path

    entry = DatasetEntry(
        "demo",
        PolicySource("local", str(demo_policies_path())),
        title="lifelib BasicTerm_S model points (bundled, 10,000 policies)",
    )
    return Config(path=None, datasets=MappingProxyType({"demo": entry}))


# ---- parsing helpers --------------------------------------------------------------------------


def _refuse_secrets(value: Any, where: str, keys: list[str]) -> None:
    """Raise if the document holds something that is a secret (the message never quotes it)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() in SECRET_KEYS and v not in ("", None):
                raise ConfigError(
                    f"{where}: {'.'.join([*keys, k])} holds a secret; the file may only reference one: "
                    'credential = { env = "VARIABLE" } or credential = "azure-identity"'
                )
            _refuse_secrets(v, where, [*keys, str(k)])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _refuse_secrets(v, where, [*keys[:-1], f"{keys[-1] if keys else ''}[{i}]"])
    elif isinstance(value, str) and _SECRET_TEXT.search(value):
        raise ConfigError(
            f"{where}: {'.'.join(keys)} holds a connection string, SAS token or private key; "
            'reference it instead: credential = { env = "VARIABLE" }'
        )


def _dataset_entry(cfg: Config, ds_id: str, table: Any, here: str) -> DatasetEntry:
    if not DATASET_ID.match(ds_id):
        raise ConfigError(f"{here}: a dataset id is 1-64 letters, digits, '_', '.' or '-', not {ds_id!r}")
    if not isinstance(table, dict):
        raise ConfigError(f"{here}: expected a table with at least uri = \"...\"")
    unknown = sorted(set(table) - _DATASET_KEYS)
    if unknown:
        raise ConfigError(f"{here}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_DATASET_KEYS))}")
    uri = table.get("uri")
    if not isinstance(uri, str) or not uri:
        raise ConfigError(f'{here}: uri = "<path or URI>" is required')
    for key in ("type", "title", "version", "filter"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{here}: {key} must be a string")
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{here}: options must be a table, e.g. options = {{ delimiter = \";\" }}")
    scopes = table.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s and " " not in s for s in scopes):
        raise ConfigError(f"{here}: scopes must be a list of scope names without spaces")
    try:
        src = PolicySource.from_uri(_anchor(cfg, uri), version=table.get("version"), filter=table.get("filter"), **options)
        if "type" in table and table["type"] != src.type:
            src = PolicySource(table["type"], src.uri, src.version, src.filter, src.options)
    except DataError as exc:
        raise ConfigError(f"{here}: {exc}") from None
    return DatasetEntry(ds_id, src, table.get("title", ""), tuple(scopes), _credential(table.get("credential"), here))


def _anchor(cfg: Config, uri: str) -> str:
    """Local paths (and relative SQLite files) relative to the configuration file's folder."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri) is None:
        return str(cfg.resolve_path(uri))
    if uri.startswith("file://"):
        return uri
    m = re.match(r"^sqlite:///(?!/)(.+)$", uri)
    if m and cfg.path is not None:
        return f"sqlite:///{cfg.resolve_path(m.group(1))}"
    return uri


def _credential(value: Any, here: str) -> CredentialRef | None:
    if value is None:
        return None
    if value == AZURE_IDENTITY:
        return CredentialRef(azure_identity=True)
    if isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str) and _ENV_NAME.match(value["env"]):
        return CredentialRef(env=value["env"])
    raise ConfigError(
        f'{here}: credential must be {{ env = "VARIABLE" }} (a variable holding the secret) or "azure-identity"; '
        "the secret itself never goes in the file"
    )


# ---- [backends]: the jobs layer ------------------------------------------------------------------

BACKENDS = ("local", "dask", "azure_batch")
# Keys whose literal value would be a secret: the file may only name an environment variable for them.
_SECRET_WORDS = ("key", "password", "secret", "token", "connection_string", "sas")
_CACHE: dict[Path, tuple[float, dict[str, Any]]] = {}


def config_path() -> Path:
    """Where the configuration file is read from: ``$LIVECALC_HOME/config.toml``."""
    return livecalc_home() / "config.toml"


def load_settings(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The configuration file as parsed TOML (an empty dict when there is none), for the backends.

    Read once per modification time. ``[datasets]`` and ``[assumptions]`` are
    parsed by :func:`load_config`; this raw view serves :func:`backend_config`.

    Raises
    ------
    ConfigError
        Invalid TOML, or a literal secret (see the module docstring).
    """
    p = Path(path) if path is not None else config_path()
    try:
        mtime = p.stat().st_mtime
    except FileNotFoundError:
        if path is not None:
            raise ConfigError(f"{p}: no such configuration file") from None
        return {}
    hit = _CACHE.get(p)
    if hit is not None and hit[0] == mtime:
        return hit[1]
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: invalid TOML: {exc}") from None
    _refuse_backend_secrets(data.get("backends", {}), p, "backends")
    _CACHE[p] = (mtime, data)
    return data


def _refuse_backend_secrets(table: Any, path: Path, where: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{path} [{where}]: expected a table, not {type(table).__name__}")
    for key, value in table.items():
        if isinstance(value, dict):
            _refuse_backend_secrets(value, path, f"{where}.{key}")
        elif any(w in key.lower() for w in _SECRET_WORDS) and not key.lower().endswith("_env"):
            raise ConfigError(
                f"{path} [{where}] {key!r}: secrets are never written in the configuration file; "
                f"name the environment variable that holds it ({key}_env = \"VAR\") or use azure-identity"
            )


def _resolve(section: dict[str, Any], where: str) -> dict[str, Any]:
    """``name_env = "VAR"`` entries replaced by ``name = os.environ["VAR"]``."""
    out: dict[str, Any] = {}
    for key, value in section.items():
        if key.endswith("_env") and isinstance(value, str):
            name = key[:-4]
            if name in section:
                continue  # a literal value wins over its variable
            env = os.environ.get(value)
            if env is None:
                raise ConfigError(f"{where} {key} = {value!r}: environment variable {value} is not set")
            out[name] = env
        else:
            out[key] = value
    return out


def backend_config(name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings of backend ``name`` (``[backends.<name>]``), environment references resolved.

    Raises
    ------
    ConfigError
        Unknown backend, or a referenced environment variable that is not set.
    """
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)} or 'auto'")
    cfg = load_settings() if config is None else config
    section = cfg.get("backends", {}).get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"[backends.{name}]: expected a table")
    return _resolve(section, f"[backends.{name}]")


def default_backend(config: dict[str, Any] | None = None) -> str:
    """``[backends] default`` (``"local"`` when unset)."""
    cfg = load_settings() if config is None else config
    name = cfg.get("backends", {}).get("default", "local")
    if name not in (*BACKENDS, "auto"):
        raise ConfigError(f"[backends] default = {name!r}: expected one of {', '.join(BACKENDS)} or 'auto'")
    return name


def open_configured(dataset: Any) -> Any:
    """A Dataset from a path, URI, source or Dataset, or from a dataset id of the user's config file.

    A plain name such as ``"book"`` that is not an existing path is looked up in
    ``[datasets]`` of ``$LIVECALC_HOME/config.toml`` (credentials resolved from
    their references); anything else goes to :func:`livecalc_lab.open_dataset`.

    Raises
    ------
    ConfigError
        An invalid configuration file.
    DataError
        The dataset cannot be opened.
    """
    from livecalc_lab.data import open_dataset

    if isinstance(dataset, str) and DATASET_ID.match(dataset) and not Path(dataset).exists():
        cfg = load_config()
        if dataset in cfg.datasets:
            return cfg.datasets[dataset].open()
    return open_dataset(dataset)

