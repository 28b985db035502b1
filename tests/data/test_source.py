"""PolicySource: type inference from URIs, immutability, JSON round trip, no credentials anywhere."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import livecalc_lab as lc
from livecalc_lab.data.source import split_credentials


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("/data/policies.csv", "local"),
        ("policies.parquet", "local"),
        ("file:///data/policies.parquet", "local"),
        ("azure://book/2026-Q1/policies.parquet", "blob"),
        ("https://acme.blob.core.windows.net/book/policies.parquet", "blob"),
        ("abfss://book@acme.dfs.core.windows.net/policies/", "dataLake"),
        ("adl://book@acme.dfs.core.windows.net/policies", "dataLake"),
        ("postgresql://actuary@db.example:5432/book", "database"),
        ("sqlite:///book.db", "database"),
    ],
)
def test_type_is_inferred_from_the_uri(uri: str, kind: str):
    assert lc.PolicySource.from_uri(uri).type == kind


def test_blob_locations():
    assert lc.PolicySource.from_uri("azure://book/a/b.parquet").blob == (
        lc.data.source.BlobLocation(None, None, "book", "a/b.parquet")
    )
    loc = lc.PolicySource.from_uri("https://acme.blob.core.windows.net/book/a.csv").blob
    assert (loc.account_url, loc.account, loc.container, loc.path) == (
        "https://acme.blob.core.windows.net", "acme", "book", "a.csv")
    loc = lc.PolicySource.from_uri("abfss://book@acme.dfs.core.windows.net/pol/parts").blob
    assert (loc.account_url, loc.account, loc.container, loc.path) == (
        "https://acme.blob.core.windows.net", "acme", "book", "pol/parts")


def test_file_uri_path():
    assert str(lc.PolicySource.from_uri("file:///data/p%20q.csv").path) == "/data/p q.csv"


def test_is_immutable_and_hashable():
    src = lc.PolicySource.from_uri("sqlite:///b.db", table="policies", filter="age_at_entry > 30")
    with pytest.raises(dataclasses.FrozenInstanceError):
        src.uri = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        src.options["table"] = "other"  # type: ignore[index]
    assert {src: 1}[lc.PolicySource.from_json(src.to_json())] == 1


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8),
                    st.floats(allow_nan=False, allow_infinity=False))


@given(
    version=st.one_of(st.none(), st.text(max_size=12)),
    flt=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    options=st.dictionaries(st.sampled_from(["table", "delimiter", "decimal", "note", "x"]), scalars, max_size=4),
)
def test_json_round_trip(version, flt, options):
    src = lc.PolicySource("database", "postgresql://a@h/db", version, flt, options)
    text = src.to_json()
    assert lc.PolicySource.from_json(text) == src
    assert json.loads(text)["options"] == options


def test_credentials_never_appear_in_json_or_repr():
    with pytest.raises(lc.DataError, match="carries a credential"):
        lc.PolicySource.from_uri("postgresql://actuary:s3cret@db/book")
    with pytest.raises(lc.DataError, match="carries a credential"):
        lc.PolicySource.from_uri("https://acme.blob.core.windows.net/c/p.csv?sv=2024&sig=abc%3D")
    with pytest.raises(lc.DataError, match="is a credential"):
        lc.PolicySource.from_uri("azure://c/p.csv", account_key="k")
    clean, secret = split_credentials("postgresql://actuary:s3cret@db:5432/book")
    assert (clean, secret) == ("postgresql://actuary@db:5432/book", "s3cret")
    clean, secret = split_credentials("https://acme.blob.core.windows.net/c/p.csv?sv=2024&sig=abc")
    assert clean == "https://acme.blob.core.windows.net/c/p.csv" and "sig=abc" in secret


def test_open_dataset_keeps_the_password_out_of_the_source():
    ds = lc.open_dataset("postgresql://actuary:s3cret@127.0.0.1:1/book", table="p")
    assert ds.source.uri == "postgresql://actuary@127.0.0.1:1/book"
    assert "s3cret" not in ds.source.to_json() + repr(ds.source) + repr(ds)
    with pytest.raises(lc.DataError) as err:
        ds.metadata
    assert "s3cret" not in str(err.value)


@pytest.mark.parametrize("bad", ["ftp://x/y.csv", "https://example.com/p.csv", "azure:///p.csv"])
def test_bad_uris_are_rejected(bad):
    with pytest.raises(lc.DataError):
        src = lc.PolicySource.from_uri(bad)
        src.blob


def test_type_must_suit_the_uri():
    with pytest.raises(lc.DataError, match="is a local location, not database"):
        lc.PolicySource("database", "/tmp/p.csv")
    with pytest.raises(lc.DataError, match="unknown source type"):
        lc.PolicySource("ftp", "/tmp/p.csv")
