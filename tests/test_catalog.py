"""The dataset catalog: bundled, configured, folder and container datasets; ids that cannot escape the configuration."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import livecalc_lab as lc
from livecalc_lab.catalog import find, list_datasets, recommendation
from livecalc_lab.config import parse_config
from livecalc_lab.errors import ConfigError, DataError
from livecalc_lab.model.policies import demo_policies_path


@pytest.fixture
def books(tmp_path: Path) -> Path:
    """A folder with a CSV, a Parquet file, a folder of Parquet parts and a file that is not a dataset."""
    folder = tmp_path / "books"
    folder.mkdir()
    shutil.copy(demo_policies_path(), folder / "demo.csv")
    lc.synthetic_portfolio(20_000, 3, folder / "big.parquet")
    (folder / "parts").mkdir()
    lc.synthetic_portfolio(500, 4, folder / "parts" / "part-0.parquet")
    (folder / "notes.txt").write_text("not a dataset")
    return folder


def config_for(tmp_path: Path, body: str) -> lc.config.Config:
    path = tmp_path / "config.toml"
    path.write_text(body)
    return parse_config(body, path=path)


def test_lists_bundled_configured_and_folder_datasets(tmp_path, books):
    cfg = config_for(tmp_path, f'[datasets.book]\nuri = "books/big.parquet"\ntitle = "Big book"\n\n'
                               f'[catalog]\nfolders = ["books"]\n')
    entries = list_datasets(cfg)
    assert [(e.group, e.name, e.kind) for e in entries] == [
        ("Bundled", "lifelib BasicTerm_S model points (bundled, 10,000 policies)", "local"),
        ("Configured", "Big book", "local"),
        (str(books), "big.parquet", "local"),
        (str(books), "demo.csv", "local"),
        (str(books), "parts/", "local"),
    ]
    by_name = {e.name: e for e in entries}
    assert by_name["demo.csv"].size == demo_policies_path().stat().st_size
    assert by_name["demo.csv"].metadata().rows == 10_000
    assert by_name["parts/"].metadata().rows == 500
    assert by_name["Big book"].metadata().rows == 20_000 and by_name["Big book"].uri == "book"
    for e in entries:
        assert find(e.id, cfg) == e
        assert set(e.to_dict()) == {"id", "name", "group", "kind", "uri", "size"}


def test_find_refuses_ids_outside_the_configuration(tmp_path, books):
    cfg = config_for(tmp_path, '[catalog]\nfolders = ["books"]\ncontainers = ["azure://book/2026/"]\n'
                               'services = [{ url = "https://api.example.com" }]\n')
    outside = tmp_path / "secret.csv"
    shutil.copy(demo_policies_path(), outside)
    for bad in (f"file:{outside}", f"file:{books}/notes.txt", f"file:{books}/../secret.csv", "config:nope",
                "blob:azure://book/2025/x.csv", "blob:azure://book/2026/../x.csv", "blob:azure://book/2026/x.txt",
                "api:livecalc+https://evil.example.com/datasets/x", "api:livecalc+https://api.example.com/datasets/a/b",
                "nonsense"):
        with pytest.raises(DataError, match="in the catalog"):
            find(bad, cfg)
    assert find("blob:azure://book/2026/q1.parquet", cfg).name == "q1.parquet"
    assert find("api:livecalc+https://api.example.com/datasets/book", cfg).kind == "service"


def test_a_missing_folder_is_a_problem_or_an_error(tmp_path, books):
    cfg = config_for(tmp_path, '[catalog]\nfolders = ["nowhere", "books"]\n')
    problems: list[str] = []
    names = [e.name for e in list_datasets(cfg, problems)]
    assert "demo.csv" in names
    assert problems == [f"{tmp_path / 'nowhere'}: {tmp_path / 'nowhere'}: configured in [catalog] folders but not a folder"]
    with pytest.raises(DataError, match="configured in \\[catalog\\] folders but not a folder"):
        list_datasets(cfg)


@pytest.mark.parametrize(("body", "message"), [
    ('[catalog]\nfolder = ["x"]\n', "unknown key(s) folder"),
    ('[catalog]\nfolders = "x"\n', "folders must be a list of non-empty strings"),
    ('[catalog]\ncontainers = ["/data/x"]\n', "is not an azure://, abfss:// or https:// blob URI"),
    ('[catalog]\nservices = [{ uri = "https://x" }]\n', "services[0]: expected"),
])
def test_malformed_catalog_section(tmp_path, body, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        list_datasets(config_for(tmp_path, body), [])


@pytest.mark.azurite
def test_lists_the_datasets_of_a_blob_container_prefix(container, tmp_path):
    data = demo_policies_path().read_bytes()
    for name in ("2026/q1.csv", "2026/sub/q2.parquet", "2026/readme.md", "2025/old.csv"):
        container.upload_blob(name, data if name.endswith(".csv") else b"x")
    cfg = config_for(tmp_path, f'[catalog]\ncontainers = ["azure://{container.container_name}/2026/"]\n')
    entries = [e for e in list_datasets(cfg) if e.kind == "blob"]
    assert [(e.name, e.uri) for e in entries] == [
        ("q1.csv", f"azure://{container.container_name}/2026/q1.csv"),
        ("sub/q2.parquet", f"azure://{container.container_name}/2026/sub/q2.parquet"),
    ]
    assert entries[0].size == len(data) and entries[0].metadata().rows == 10_000
    assert find(entries[0].id, cfg).uri == entries[0].uri


def test_recommendation_reads_like_the_backend_choice(books):
    small = lc.open_dataset(demo_policies_path())
    assert recommendation(small, config={}) == (
        f"10.0K model points, {small.metadata.bytes / 1024:.1f} KiB — preview locally (all 10,000 model points), "
        "full run locally (~0 s)")
    big = lc.open_dataset(books / "big.parquet")
    text = recommendation(big, scenarios=1_000_000, product_kind="savings", config={"backends": {"dask": {}}})
    assert text.startswith("20.0K model points, ") and text.endswith(
        "— preview locally (10K sample), full run on the dask cluster")
    text = recommendation(big, scenarios=1_000_000, product_kind="savings", config={})
    assert text.endswith("full run on a cluster (configure [backends.dask] or [backends.azure_batch])")
