"""push / pull between local stores and a real service, without duplicates; references resolved through the service."""

from __future__ import annotations

import uuid

import pytest
from store_support import edited

import livecalc_lab as lc
from livecalc_lab.assumptions import ServiceStore, Store, VersionNotFound, pull, push
from livecalc_lab.errors import AssumptionError, AuthError


@pytest.fixture
def name() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def writer(assumption_service) -> str:
    return assumption_service.token("assumptions:read", "assumptions:write", sub="ann")


def test_push_sends_a_version_once(assumption_service, writer, name, tmp_path):
    local = Store(tmp_path / "local")
    v = local.save(edited(0.8), name, "lapse study", author="ann")
    first = push(f"assumptions://{name}:draft", assumption_service.url, token=writer, store=local)
    assert (first.created, first.version, first.ref) == (True, v, f"assumptions://{name}:{v}")
    again = push(f"assumptions://{name}:{v}", assumption_service.url, token=writer, store=local)
    assert again.created is False
    remote = ServiceStore(assumption_service.url, writer)
    infos = remote.versions(name)
    assert [(i.version, i.author, i.message, i.status) for i in infos] == [(v, "ann", "lapse study", "draft")]
    assert [e.action for e in remote.audit(name)] == ["save"]
    assert (assumption_service.store / "objects" / v[7:] / "assumptions.json").is_file()  # named by its content


def test_push_of_a_set_needs_a_name_and_keeps_its_parent(assumption_service, writer, name):
    child = edited(0.75)
    with pytest.raises(AssumptionError, match="needs name="):
        push(child, assumption_service.url, token=writer)
    res = push(child, assumption_service.url, name=name, token=writer, message="from memory")
    info = ServiceStore(assumption_service.url, writer).info(name, res.version)
    assert (info.parent, info.message) == (lc.demo_assumptions().version, "from memory")


def test_pull_copies_the_version_its_metadata_and_its_review(assumption_service, writer, name, tmp_path):
    remote = ServiceStore(assumption_service.url, writer)
    v = remote.save(edited(0.7, age=50, qx=0.004), name, "mortality and lapse")
    reader = assumption_service.token("assumptions:read", sub="carl")
    mine = Store(tmp_path / "mine")
    res = pull(f"assumptions://{name}:draft", assumption_service.url, token=reader, store=mine)
    assert (res.created, res.version) == (True, v)
    info = mine.info(name, v)
    assert (info.author, info.message, info.parent, info.status) == ("ann", "mortality and lapse",
                                                                     lc.demo_assumptions().version, "draft")
    assert mine.get(res.ref).version == v
    with pytest.raises(VersionNotFound):
        mine.get(f"assumptions://{name}:latest")
    ServiceStore(assumption_service.url, assumption_service.token("assumptions:approve", sub="bob")).approve(
        name, v, comment="signed off")
    again = pull(f"assumptions://{name}:latest", assumption_service.url, token=reader, store=mine)
    assert again.created is False  # the content was here: only the review is added
    assert mine.get(f"assumptions://{name}:latest").version == v
    assert (mine.info(name, v).reviewer, mine.info(name, v).comment) == ("bob", "signed off")
    assert [e.action for e in mine.audit(name)] == ["pull", "pull"]


def test_scopes_are_enforced_for_sync(assumption_service, name, tmp_path):
    local = Store(tmp_path / "local")
    local.save(edited(0.8), name)
    reader = assumption_service.token("assumptions:read")
    with pytest.raises(AuthError, match="assumptions:write") as err:
        push(f"assumptions://{name}:draft", assumption_service.url, token=reader, store=local)
    assert err.value.status == 403
    with pytest.raises(AuthError) as err:
        pull(f"assumptions://{name}:draft", assumption_service.url, token=None, store=local)
    assert err.value.status == 401


def test_a_reference_not_held_locally_resolves_through_the_configured_service(assumption_service, writer, name, home,
                                                                              monkeypatch):
    remote = ServiceStore(assumption_service.url, writer)
    v = remote.save(edited(0.85), name, "on the service only")
    remote_approver = ServiceStore(assumption_service.url, assumption_service.token("assumptions:approve", sub="bob"))
    remote_approver.approve(name, v)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'[assumptions_store]\nservice = "{assumption_service.url}"\n')
    monkeypatch.setenv("LIVECALC_TOKEN", assumption_service.token("assumptions:read", sub="worker"))
    res = lc.run(assumptions=f"assumptions://{name}:latest")
    assert res.assumptions_version == v
    aset = lc.assumptions.resolve_ref(f"assumptions://{name}:latest")
    assert (aset.ref, aset.store) == (f"assumptions://{name}:{v}", remote.uri)

    from livecalc_lab.jobs.spec import load_job_assumptions  # what a cloud worker does with the job's record

    spec = {"version": v, "location": None, "ref": aset.ref, "store": aset.store}
    assert load_job_assumptions(spec).version == v
    with pytest.raises(lc.JobError, match="changed since"):
        load_job_assumptions({**spec, "version": edited(0.5).version})
