"""The user's configuration file, ``$LIVECALC_HOME/config.toml`` (default ``~/.livecalc/config.toml``).

One TOML file names the compute backends and the data sources by reference,
never by secret: a value that must not be written down (a key, a password, a
connection string) is named by the environment variable that holds it
(``*_env = "VAR"``) or left to azure-identity (``credential = "azure-identity"``).

This module reads the file once (:func:`load_config`) and interprets the
``[backends]`` table (:func:`backend_config`, :func:`default_backend`); the
``[datasets]`` table is read by the Data API's parser. Example::

    [backends]
    default = "auto"                    # local | dask | azure_batch | auto

    [backends.local]
    workers = 2                          # default: the machine's cores

    [backends.dask]
    scheduler_env = "DASK_SCHEDULER_ADDRESS"   # or scheduler = "tcp://10.1.2.3:8786"
    partials = "azure://livecalc/partials"     # where workers write partials (default: LIVECALC_HOME)

    [backends.azure_batch]
    endpoint_env = "AZURE_BATCH_ENDPOINT"      # or endpoint = "https://acct.westeurope.batch.azure.com"
    pool = "livecalc-pool"
    staging = "azure://livecalc-staging/jobs"  # wheel, job spec, assumptions, partials, task logs
    credential = "azure-identity"              # DefaultAzureCredential for Batch and Blob
    node_identity = "/subscriptions/.../userAssignedIdentities/livecalc"  # for resource and output files
    max_task_retries = 3
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from livecalc_lab.errors import LivecalcError

__all__ = ["livecalc_home", "config_path", "load_config", "backend_config", "default_backend", "ConfigError",
           "BACKENDS"]

BACKENDS = ("local", "dask", "azure_batch")
# Keys whose literal value would be a secret: the file may only name an environment variable for them.
_SECRET_WORDS = ("key", "password", "secret", "token", "connection_string", "sas")
_CACHE: dict[Path, tuple[float, dict[str, Any]]] = {}


class ConfigError(LivecalcError):
    """A configuration file that is malformed, or that holds a secret."""


def livecalc_home() -> Path:
    """``$LIVECALC_HOME`` or ``~/.livecalc``: job records, partials and ``config.toml``."""
    return Path(os.path.expanduser(os.environ.get("LIVECALC_HOME") or "~/.livecalc"))


def config_path() -> Path:
    """Where the configuration file is read from: ``$LIVECALC_HOME/config.toml``."""
    return livecalc_home() / "config.toml"


def load_config(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The parsed configuration file (an empty dict when there is none).

    Read once per modification time; every section is returned as parsed, for
    the section readers (:func:`backend_config`, the ``[datasets]`` parser).

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
    _refuse_secrets(data.get("backends", {}), p, "backends")
    _CACHE[p] = (mtime, data)
    return data


def _refuse_secrets(table: Any, path: Path, where: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{path} [{where}]: expected a table, not {type(table).__name__}")
    for key, value in table.items():
        if isinstance(value, dict):
            _refuse_secrets(value, path, f"{where}.{key}")
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
    cfg = load_config() if config is None else config
    section = cfg.get("backends", {}).get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"[backends.{name}]: expected a table")
    return _resolve(section, f"[backends.{name}]")


def default_backend(config: dict[str, Any] | None = None) -> str:
    """``[backends] default`` (``"local"`` when unset)."""
    cfg = load_config() if config is None else config
    name = cfg.get("backends", {}).get("default", "local")
    if name not in (*BACKENDS, "auto"):
        raise ConfigError(f"[backends] default = {name!r}: expected one of {', '.join(BACKENDS)} or 'auto'")
    return name
