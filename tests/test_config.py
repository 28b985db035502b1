"""The configuration file: [datasets] and [assumptions] parsed strictly, secrets refused, credentials by reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from livecalc_lab.config import CredentialRef, demo_config, livecalc_home, load_config, parse_config, user_config_path
from livecalc_lab.errors import ConfigError

FULL = """
[datasets.book]
uri = "policies/book.parquet"
title = "UK term book"
filter = "region = 'UK'"
version = "xxh3:abc"
options = { delimiter = ";" }
scopes = ["pricing:read"]

[datasets.cloud]
uri = "azure://book/2026-Q1/policies.parquet"
credential = { env = "BOOK_SAS" }

[datasets.lake]
uri = "abfss://book@acme.dfs.core.windows.net/policies"
credential = "azure-identity"

[datasets.db]
uri = "sqlite:///book.db"
options = { table = "policies" }

[assumptions.basis-2026]
path = "bases/2026"

[backends.dask]
scheduler = "tcp://127.0.0.1:8786"
"""


def test_a_full_file(tmp_path):
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text(FULL)
    cfg = load_config(cfg_file)
    assert list(cfg.datasets) == ["book", "cloud", "lake", "db"]
    book = cfg.datasets["book"]
    assert book.source.type == "local" and Path(book.source.uri) == tmp_path / "policies" / "book.parquet"
    assert (book.title, book.source.filter, book.source.version) == ("UK term book", "region = 'UK'", "xxh3:abc")
    assert dict(book.source.options) == {"delimiter": ";"}
    assert book.read_scopes == ("datasets:read", "datasets:book:read", "pricing:read")
    assert cfg.datasets["cloud"].credential == CredentialRef(env="BOOK_SAS")
    assert cfg.datasets["lake"].source.type == "dataLake" and cfg.datasets["lake"].credential.azure_identity
    assert cfg.datasets["db"].source.uri == f"sqlite:///{tmp_path / 'book.db'}"
    assert cfg.assumptions == {"basis-2026": tmp_path / "bases" / "2026"}
    assert cfg.section("backends") == {"dask": {"scheduler": "tcp://127.0.0.1:8786"}}  # for the jobs layer
    assert cfg.section("api") == {}


def test_the_source_round_trips_as_json(tmp_path):
    from livecalc_lab.data import PolicySource

    entry = parse_config(FULL, path=tmp_path / "c.toml").datasets["cloud"]
    assert PolicySource.from_json(entry.source.to_json()) == entry.source
    assert "BOOK_SAS" not in entry.source.to_json()


def test_credentials_are_read_from_the_environment_when_used(monkeypatch):
    ref = CredentialRef(env="BOOK_SAS")
    monkeypatch.delenv("BOOK_SAS", raising=False)
    with pytest.raises(ConfigError, match="environment variable BOOK_SAS is not set"):
        ref.resolve()
    monkeypatch.setenv("BOOK_SAS", "sv=2024&sig=abc")
    assert ref.resolve() == "sv=2024&sig=abc"


def test_a_dataset_opens_with_its_resolved_credential(tmp_path):
    from livecalc_lab.model.policies import demo_policies_path

    cfg = parse_config(f'[datasets.demo]\nuri = "{demo_policies_path()}"\n')
    assert cfg.datasets["demo"].open().metadata.rows == 10_000


@pytest.mark.parametrize("text", [
    '[datasets.b]\nuri = "x.csv"\npassword = "hunter2"\n',
    '[datasets.b]\nuri = "x.csv"\ncredential = "hunter2"\n',
    '[datasets.b]\nuri = "x.csv"\ncredential = { value = "hunter2" }\n',
    '[datasets.b]\nuri = "x.csv"\noptions = { account_key = "hunter2" }\n',
    '[backends.batch]\nconnection_string = "hunter2"\n',
    '[api.auth]\nsecret = "hunter2"\n',
    '[backends.batch]\nendpoint = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=hunter2"\n',
    '[datasets.b]\nuri = "https://a.blob.core.windows.net/c/p.csv?sv=1&sig=hunter2"\n',
    '[datasets.b]\nuri = "postgresql://u:hunter2@db/book"\n',
    '[x]\nkeys = ["-----BEGIN PRIVATE KEY-----hunter2"]\n',
], ids=["password", "credential-literal", "credential-table", "option-key", "connection-string", "api-secret",
        "account-key-text", "sas-query", "uri-password", "private-key"])
def test_secrets_in_the_file_are_refused_without_quoting_them(text):
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert "hunter2" not in str(err.value)
    assert "env" in str(err.value) or "credential" in str(err.value)


def test_an_empty_secret_key_is_no_secret():
    assert parse_config('[api.auth]\nhs256_secret_env = ""\n[x]\ntoken = ""\n').section("x") == {"token": ""}


@pytest.mark.parametrize("text, fragment", [
    ("[datasets\n", "not valid TOML"),
    ('[datasets.b]\nurl = "x.csv"\n', "unknown key(s) url"),
    ("[datasets.b]\ntitle = 'x'\n", 'uri = "<path or URI>" is required'),
    ('[datasets."a b"]\nuri = "x.csv"\n', "a dataset id is 1-64"),
    ('[datasets.b]\nuri = "ftp://x/y.csv"\n', "unknown URI scheme"),
    ('[datasets.b]\nuri = "x.csv"\nscopes = "datasets:read"\n', "scopes must be a list"),
    ('[datasets.b]\nuri = "x.csv"\noptions = ";"\n', "options must be a table"),
    ('[datasets.b]\nuri = "x.csv"\ntype = "blob"\n', "is a local location, not blob"),
    ('[datasets.b]\nuri = "x.csv"\ncredential = { env = "1BAD" }\n', "credential must be"),
    ('datasets = 3\n', "[datasets] must be a table"),
    ('[assumptions.a]\nfolder = "x"\n', "expected exactly path"),
])
def test_mistakes_name_the_place(text, fragment):
    with pytest.raises(ConfigError, match=None) as err:
        parse_config(text, path=Path("/etc/livecalc/c.toml"))
    assert fragment in str(err.value) and "/etc/livecalc/c.toml" in str(err.value)


def test_the_user_file_lives_in_livecalc_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVECALC_HOME", str(tmp_path))
    assert livecalc_home() == tmp_path and user_config_path() == tmp_path / "config.toml"
    assert load_config().datasets == {}  # no file yet: an empty configuration
    (tmp_path / "config.toml").write_text('[datasets.b]\nuri = "b.csv"\n')
    assert load_config().datasets["b"].source.path == tmp_path / "b.csv"
    monkeypatch.delenv("LIVECALC_HOME")
    assert livecalc_home() == Path.home() / ".livecalc"


def test_a_named_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml")


def test_the_demo_configuration():
    cfg = demo_config()
    assert list(cfg.datasets) == ["demo"] and cfg.datasets["demo"].source.type == "local"
