"""DatasetBrowser: the catalog and this notebook's datasets; metadata read on a background thread."""

from __future__ import annotations

import threading

import pytest

import livecalc_lab as lc
from livecalc_lab.errors import DataError
from livecalc_lab.widgets import DatasetBrowser


def test_lists_this_notebooks_datasets_then_the_catalog(book, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'[datasets.book]\nuri = "{book}"\ntitle = "The book"\n')
    browser = DatasetBrowser({"mine": book})
    assert browser.listed.wait(30) and not browser.listing
    groups = [(e["id"], e["group"]) for e in browser.entries]
    assert groups[0] == ("notebook:0", "This notebook") and browser.entries[0]["name"] == "mine"
    assert ("bundled:demo", "Bundled") in groups and ("config:book", "Configured") in groups
    assert browser.problems == []
    browser.close()


def test_selecting_reads_the_metadata_off_the_main_thread_and_sets_the_dataset(book, monkeypatch):
    release = threading.Event()
    threads = []
    real = lc.open_dataset

    def slow_open(*a, **k):  # hold the read so the "reading metadata…" state can be seen
        threads.append(threading.get_ident())
        release.wait(10)
        return real(*a, **k)

    monkeypatch.setattr("livecalc_lab.data.open_dataset", slow_open)
    browser = DatasetBrowser([book], catalog=False)
    browser.select("notebook:0")
    assert browser.info["state"] == "reading" and browser.dataset is None
    release.set()
    ds = browser.wait(30)
    assert threads and threading.get_ident() not in threads
    info = browser.info
    assert info["state"] == "ready" and ds.metadata.rows == 4000
    assert info["rows"] == "4,000 model points (4K)" and info["format"] == "parquet, 1 part"
    assert ["policy_id", "Int64"] in info["columns"] and info["version"] == ds.version
    assert "preview locally (all 4,000 model points)" in info["recommendation"]
    browser.close()


def test_a_dataset_that_cannot_be_opened_shows_the_error(tmp_path):
    browser = DatasetBrowser([str(tmp_path / "missing.parquet")], catalog=False)
    browser.select("notebook:0")
    browser.wait(30)
    assert browser.info["state"] == "error" and "missing.parquet" in browser.info["message"]
    assert browser.dataset is None
    with pytest.raises(DataError, match="no dataset 'nope'"):
        browser.select("nope")
    browser.close()


def test_a_broken_catalog_section_is_reported_and_this_notebooks_datasets_stay(book, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[catalog]\nfolders = ["/no/such/folder"]\n')
    browser = DatasetBrowser([book])
    browser.listed.wait(30)
    assert browser.entries[0]["id"] == "notebook:0" and any("/no/such/folder" in p for p in browser.problems)
    browser.select("bundled:demo")
    assert browser.wait(30).metadata.rows == 10_000
    browser.close()
