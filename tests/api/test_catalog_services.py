"""The dataset catalog lists what a configured Data API lets the token read (a real service on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from livecalc_lab.catalog import find, list_datasets
from livecalc_lab.config import parse_config
from livecalc_lab.errors import DataError


def test_service_datasets_are_listed_and_open_with_the_token(service, tmp_path: Path, monkeypatch):
    body = f'[catalog]\nservices = [{{ url = "{service.url}/", credential = {{ env = "CATALOG_TOKEN" }} }}]\n'
    cfg = parse_config(body, path=tmp_path / "config.toml")
    monkeypatch.setenv("CATALOG_TOKEN", service.token(["datasets:read"]))
    entries = {e.name: e for e in list_datasets(cfg) if e.kind == "service"}
    assert "Readable with pricing:read too" in entries  # datasets:read reads every dataset
    book = entries["Synthetic term book, 20,000 policies"]
    assert book.uri == f"livecalc+{service.url}/datasets/book" and book.group == service.url
    assert book.metadata().rows == 20_000
    assert find(book.id, cfg).metadata().rows == 20_000

    monkeypatch.setenv("CATALOG_TOKEN", service.token(["pricing:read"]))
    assert [e.name for e in list_datasets(cfg) if e.kind == "service"] == ["Readable with pricing:read too"]

    monkeypatch.delenv("CATALOG_TOKEN")
    problems: list[str] = []
    assert [e for e in list_datasets(cfg, problems) if e.kind == "service"] == []
    assert problems == [f"{service.url}: credential: environment variable CATALOG_TOKEN is not set"]
    with pytest.raises(DataError, match="CATALOG_TOKEN is not set"):
        list_datasets(cfg)
