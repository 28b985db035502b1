"""``livecalc assumptions ...``: a thin layer over the store, the diff, the workbook and sync (in-process with CliRunner)."""

from __future__ import annotations

import json
import uuid

import openpyxl
from store_support import edited
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.assumptions import Store
from livecalc_lab.cli import app


def cli(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["assumptions", *(str(a) for a in args)], env=env)


def test_save_review_and_list(tmp_path, home):
    folder = edited(0.8).save(tmp_path / "basis")
    r = cli("save", folder, "--name", "demo", "-m", "lapse study")
    assert r.exit_code == 0, r.output
    v = r.output.strip()
    assert v == edited(0.8).version
    assert "already saved as draft" in cli("save", folder, "--name", "demo").output
    r = cli("approve", "demo", v[7:19], "--by", "bob", "--comment", "ok")
    assert r.exit_code == 0 and f"assumptions://demo:{v} approved by bob" in r.output
    r = cli("reject", "demo", v, "--by", "bob")
    assert r.exit_code == 1 and "a review is final" in r.output
    listed = json.loads(cli("versions", "demo", "--json").output)
    assert [(x["version"], x["status"], x["reviewer"], x["message"]) for x in listed] == [(v, "approved", "bob",
                                                                                        "lapse study")]
    assert "approved" in cli("versions", "demo").output
    events = json.loads(cli("audit", "demo", "--json").output)
    assert [e["action"] for e in events] == ["save", "approve"]
    assert cli("versions", "nonesuch").exit_code == 1


def test_diff_export_and_import(tmp_path, home):
    store = Store()
    a = store.save(lc.demo_assumptions(), "demo")
    store.approve("demo", a, by="bob")
    b = store.save(edited(1.0, age=30, qx=0.0006), "demo")
    r = cli("diff", "assumptions://demo:latest", "assumptions://demo:draft")
    assert r.exit_code == 1 and "mortality: 1 cell(s) changed" in r.output
    d = json.loads(cli("diff", "assumptions://demo:latest", "assumptions://demo:draft", "--json").output)
    assert d["newVersion"] == b and d["tables"][0]["cells"][0]["key"] == {"Age": 30}
    assert cli("diff", "assumptions://demo:latest", lc.demo_assumptions().path).exit_code == 0
    book = tmp_path / "basis.xlsx"
    r = cli("export", "assumptions://demo:latest", book)
    assert r.exit_code == 0 and r.output.startswith(a)
    wb = openpyxl.load_workbook(book)
    wb["premium_rates"]["C2"] = 5.0e-05
    wb.save(book)
    r = cli("import", book, "--name", "demo", "-m", "edited in Excel")
    assert r.exit_code == 0, r.output
    new = r.output.strip()
    info = store.info("demo", new)
    assert (info.parent, info.message) == (a, "edited in Excel")
    assert cli("import", book, "--to", tmp_path / "folder").exit_code == 0
    assert lc.load_assumptions(tmp_path / "folder").version == new
    wb["premium_rates"]["C2"] = 2.0
    wb.save(book)
    r = cli("import", book, "--name", "demo")
    assert r.exit_code == 1 and "table 'premium_rates' row 1 column 'premium_rate': 2.0 is outside [0.0, 1.0]" in r.output


def test_push_and_pull(assumption_service, tmp_path, home):
    name = f"c-{uuid.uuid4().hex[:8]}"
    v = Store().save(edited(0.8), name, "offline edit")
    env = {"LIVECALC_TOKEN": assumption_service.token("assumptions:read", "assumptions:write")}
    r = cli("push", f"assumptions://{name}:draft", "--url", assumption_service.url, env=env)
    assert r.exit_code == 0 and "sent to" in r.output, r.output
    assert "already on" in cli("push", f"assumptions://{name}:{v}", "--url", assumption_service.url, env=env).output
    r = cli("pull", f"assumptions://{name}:draft", "--url", assumption_service.url, "--store", tmp_path / "other",
            env=env)
    assert r.exit_code == 0 and "copied to" in r.output
    assert Store(tmp_path / "other").info(name, v).message == "offline edit"
    r = cli("versions", name, "--store", assumption_service.url, "--json", env=env)
    assert [x["version"] for x in json.loads(r.output)] == [v]
    r = cli("approve", name, v, "--store", assumption_service.url, env=env)
    assert r.exit_code == 1 and "assumptions:approve" in r.output
