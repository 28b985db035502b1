"""The assumption store: content-addressed versions, immutability, reviews, references, audit; folder and Azurite Blob."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from store_support import edited

import livecalc_lab as lc
from livecalc_lab.assumptions import Store, VersionConflict, VersionNotFound
from livecalc_lab.errors import AssumptionError, AuthError, ConfigError

BUNDLED = "sha256:49c51e155786bdb9a4a14ff588a2cf8daf902ed4430cfc8df8d5c749c6482657"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def object_bytes(store: Store, version: str) -> dict[str, bytes]:
    folder = Path(store.uri) / "objects" / version.split(":")[1]
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_content_has_the_same_version_in_two_stores(tmp_path):
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    first = a.save(lc.demo_assumptions(), "demo", "from the package")
    copy = lc.load_assumptions(lc.demo_assumptions().save(tmp_path / "folder"))
    second = b.save(copy, "basis", "from a folder", author="someone.else")
    assert first == second == BUNDLED
    assert a.get("assumptions://demo:" + first).version == b.get("basis:" + second[7:19]).version == BUNDLED


def test_a_saved_version_has_its_metadata_and_a_loadable_folder(store):
    base = lc.demo_assumptions()
    child = edited(0.8)
    store.save(base, "demo", "lifelib basis")
    v = store.save(child, "demo", "lapse study", author="ann")
    info = store.info("demo", v)
    assert (info.name, info.version, info.parent, info.author, info.message, info.status) == \
        ("demo", child.version, base.version, "ann", "lapse study", "draft")
    assert info.created.endswith("Z") and info.reviewer is None and info.ref == f"assumptions://demo:{v}"
    got = store.get(info.ref)
    assert got.version == v and got.ref == info.ref and got.store == store.uri and got.parent_version == base.version
    assert lc.load_assumptions(got.path).version == v  # the version's folder is a plain assumption-set folder
    assert set(object_bytes(store, v)) >= {"assumptions.json", "mort_table.csv", ".packaged/us_ssa_2019_male.csv"}


def test_saving_the_same_content_again_adds_nothing(store):
    v = store.save(edited(0.8), "demo", "first")
    files = object_bytes(store, v)
    assert store.add(edited(0.8), "demo", "again")[1] is False
    assert store.save(edited(0.8), "demo", "again") == v
    assert [i.message for i in store.versions("demo")] == ["first"]
    assert [e.action for e in store.audit("demo")] == ["save"]
    assert store.save(edited(0.8), "other", "same content, other name") == v
    assert object_bytes(store, v) == files and store.names() == ["demo", "other"]


def test_versions_are_immutable(store):
    v = store.save(edited(0.8), "demo", "first")
    before = object_bytes(store, v)
    record = Path(store.uri) / "sets" / "demo" / "versions" / f"{v.split(':')[1]}.json"
    text = record.read_text()
    assert store._backend.create(f"sets/demo/versions/{v.split(':')[1]}.json", b"{}") is False  # never overwritten
    assert store._backend.put_tree(f"objects/{v.split(':')[1]}", {"assumptions.json": b"{}"}) is False
    store.approve("demo", v, by="reviewer")
    assert record.read_text() == text and object_bytes(store, v) == before  # a review does not rewrite the version
    with pytest.raises(VersionConflict, match="already approved by reviewer"):
        store.reject("demo", v, by="someone")
    with pytest.raises(VersionConflict, match="a review is final"):
        store.approve("demo", v, by="someone")


def test_altered_files_are_detected(tmp_path):
    store = Store(tmp_path / "store")
    v = store.save(edited(0.8), "demo")
    csv = Path(store.uri) / "objects" / v.split(":")[1] / "disc_rate_ann.csv"
    csv.write_text(csv.read_text().replace("0.0055500000000000002", "0.0056", 1).replace("0.00555", "0.0056", 1))
    with pytest.raises(AssumptionError, match=f"hash to sha256:.*not {v}: they were altered"):
        Store(tmp_path / "store").get(f"demo:{v}")


def test_latest_is_the_most_recently_approved_and_draft_the_newest_unreviewed(store):
    v1, v2, v3 = (store.save(edited(m), "demo", f"m={m}") for m in (0.7, 0.8, 0.9))
    with pytest.raises(VersionNotFound, match="no approved version yet"):
        store.get("assumptions://demo:latest")
    assert store.resolve("assumptions://demo:draft").version == v3
    store.approve("demo", v2, by="reviewer")
    assert store.get("assumptions://demo:latest").version == v2
    store.reject("demo", v3, by="reviewer", comment="wrong study")
    assert store.resolve("assumptions://demo:draft").version == v1  # newest still unreviewed
    assert store.get("assumptions://demo:latest").version == v2  # a rejection never becomes latest
    store.approve("demo", v1, by="reviewer")
    assert store.resolve("demo:latest").version == v1  # approved last: latest, though saved first
    with pytest.raises(VersionNotFound, match="no draft"):
        store.resolve("demo:draft")
    assert [(i.version, i.status) for i in store.versions("demo")] == [(v1, "approved"), (v2, "approved"),
                                                                      (v3, "rejected")]
    assert store.info("demo", v3).comment == "wrong study"


def test_reviews_name_one_version(store):
    v = store.save(edited(0.8), "demo")
    for selector in ("latest", "draft"):
        with pytest.raises(AssumptionError, match="name the version"):
            store.approve("demo", selector)
    assert store.approve("demo", v[7:20], by="reviewer").status == "approved"  # a unique prefix is enough


def test_self_approval_only_where_allowed(tmp_path):
    strict = Store(tmp_path / "s", allow_self_approval=False)
    v = strict.save(edited(0.8), "demo", author="ann")
    with pytest.raises(AuthError, match="saved by ann, who may not approve it") as err:
        strict.approve("demo", v, by="ann")
    assert err.value.status == 403
    assert strict.reject("demo", v, by="ann").status == "rejected"  # withdrawing one's own draft is fine
    w = strict.save(edited(0.7), "demo", author="ann")
    assert strict.approve("demo", w, by="bob").approved_by == "bob"
    personal = Store(tmp_path / "p")
    u = personal.save(edited(0.8), "demo", author="ann")
    assert personal.approve("demo", u, by="ann").status == "approved"


def test_unknown_names_versions_and_prefixes(store):
    store.save(edited(0.8), "demo")
    with pytest.raises(VersionNotFound, match="no assumption set named 'nonesuch'"):
        store.get("assumptions://nonesuch:latest")
    with pytest.raises(VersionNotFound, match="has no version sha256:0000000"):
        store.get("assumptions://demo:0000000")
    with pytest.raises(AssumptionError, match="is not a version"):
        store.get("assumptions://demo:newest")
    with pytest.raises(AssumptionError, match="is not an assumption-set name"):
        store.save(edited(0.8), "../escape")
    assert store.versions("nonesuch") == [] and store.names() == ["demo"]


def test_a_prefix_matching_two_versions_is_ambiguous(store):
    import json

    # Two versions sharing 7 hex digits take ~2**14 saves to meet by chance: write their records by hand.
    for hexdigits in ("abcdef0" + "1" * 57, "abcdef0" + "2" * 57):
        record = {"name": "demo", "version": f"sha256:{hexdigits}", "parent": None, "author": "ann",
                  "created": "2026-01-01T00:00:00.000000Z", "message": ""}
        assert store._backend.create(f"sets/demo/versions/{hexdigits}.json", json.dumps(record).encode())
    with pytest.raises(AssumptionError, match="sha256:abcdef0 names 2 versions of 'demo'; give more digits"):
        store.resolve("demo:abcdef0")
    assert store.resolve("demo:abcdef01").version.endswith("1" * 57)


def test_concurrent_saves_and_reviews_make_one_record(tmp_path):
    store = Store(tmp_path / "store")
    aset = edited(0.8)
    results, errors = [], []

    def save(i: int) -> None:
        results.append(Store(tmp_path / "store").add(aset, "demo", f"writer {i}", author=f"w{i}"))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(created for _, created in results) == 1
    assert len(store.versions("demo")) == 1 and [e.action for e in store.audit("demo")] == ["save"]

    def review(i: int) -> None:
        s = Store(tmp_path / "store")
        try:
            (s.approve if i % 2 else s.reject)("demo", aset.version, by=f"r{i}")
        except VersionConflict as exc:
            errors.append(exc)

    threads = [threading.Thread(target=review, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 5
    assert len([e for e in store.audit("demo") if e.action in ("approve", "reject")]) == 1


def test_the_audit_log_records_who_did_what(store):
    v = store.save(edited(0.8), "demo", "lapse study", author="ann")
    store.approve("demo", v, by="bob", comment="checked against the experience study")
    events = store.audit("demo")
    assert [(e.action, e.who, e.version, e.detail) for e in events] == [
        ("save", "ann", v, "lapse study"), ("approve", "bob", v, "checked against the experience study")]
    assert events[0].at < events[1].at


def test_the_default_store_follows_the_configuration(tmp_path, home):
    assert Store().uri == str(home / "assumptions")
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[assumptions_store]\nuri = "bases"\n')
    assert Store().uri == str(home / "bases")
    (home / "config.toml").write_text('[assumptions_store]\nurl = "bases"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        Store()


def test_a_service_url_is_not_a_store():
    with pytest.raises(AssumptionError, match="a service URL, not a store"):
        Store("https://livecalc.example.com")
    assert type(lc.assumptions.open_store("https://livecalc.example.com")).__name__ == "ServiceStore"


@pytest.mark.azurite
def test_the_blob_store_keeps_the_same_versions(container, tmp_path):
    uri = f"azure://{container.container_name}/assumptions"
    blob = Store(uri)
    v = blob.save(edited(0.8, age=40, qx=0.0012), "demo", "lapse and mortality", author="ann")
    assert v == Store(tmp_path / "local").save(edited(0.8, age=40, qx=0.0012), "demo")
    assert blob.save(edited(0.8, age=40, qx=0.0012), "demo", "again") == v
    names = sorted(b.name for b in container.list_blobs())
    assert f"assumptions/objects/{v[7:]}/.packaged/us_ssa_2019_male.csv" in names
    assert sum(n.startswith("assumptions/sets/demo/versions/") for n in names) == 1
    with pytest.raises(VersionNotFound):
        blob.get("demo:latest")
    blob.approve("demo", v, by="bob")
    fresh = Store(uri)  # another client: nothing cached
    got = fresh.get("assumptions://demo:latest")
    assert (got.version, got.path, got.store) == (v, None, uri)
    assert fresh.names() == ["demo"] and [e.action for e in fresh.audit("demo")] == ["save", "approve"]
    with pytest.raises(VersionConflict):
        fresh.reject("demo", v, by="carl")
    assert blob._backend.create(f"objects/{v[7:]}/assumptions.json", b"{}") is False  # If-None-Match: *


@pytest.mark.azurite
def test_a_blob_store_container_is_created_on_first_save(blob_env):
    from azure.storage.blob import BlobServiceClient

    name = f"new{uuid.uuid4().hex[:12]}"
    try:
        v = Store(f"azure://{name}").save(edited(0.8), "demo")
        assert Store(f"azure://{name}").get(f"demo:{v}").version == v
    finally:
        with BlobServiceClient.from_connection_string(blob_env) as svc:
            svc.delete_container(name)


def test_a_folder_store_is_named_by_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store("bases")
    assert store.uri == str(tmp_path / "bases")
    v = store.save(edited(0.8), "demo")
    assert store.get(f"demo:{v}").store == str(tmp_path / "bases")


def test_files_are_created_exclusively_without_hard_links(tmp_path, monkeypatch):
    import os

    def no_links(src, dst):  # as on file systems that have none (some network shares)
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store = Store(tmp_path / "store")
    v = store.save(edited(0.8), "demo", "saved without links")
    assert store.add(edited(0.8), "demo")[1] is False
    assert store._backend.create("probe/x.json", b"1") is True
    assert store._backend.create("probe/x.json", b"2") is False
    assert (Path(store.uri) / "probe/x.json").read_bytes() == b"1"
    assert not [p for p in Path(store.uri).rglob("*.tmp")] and store.info("demo", v).message == "saved without links"
