"""The assumptions endpoints on the live service: scopes, save/approve/reject, immutability, latest, bad tables.

Every test works on a set name of its own, so the tests share the session's service (and its store).
"""

from __future__ import annotations

import copy
import uuid

import pytest

import livecalc_lab as lc
from livecalc_lab.assumptions.serial import set_arrow, set_from_arrow, set_from_json, set_json

ARROW = {"Accept": "application/vnd.apache.arrow.stream"}


def body_of(aset: lc.AssumptionSet, message: str = "") -> dict:
    j = set_json(aset)
    return {"manifest": j["manifest"], "message": message,
            "tables": {n: {"columns": t["columns"], "rows": t["rows"]} for n, t in j["tables"].items()}}


def lapse(multiplier: float) -> lc.AssumptionSet:
    return lc.demo_assumptions().with_changes({"products.basic_term_s.lapse.multiplier": multiplier})


@pytest.fixture
def name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def tokens(service):
    """Tokens by role: alice writes, bob and alice approve, reader reads."""
    return {
        "alice": service.token(["assumptions:write"], sub="alice"),
        "alice-approver": service.token(["assumptions:approve"], sub="alice"),
        "bob": service.token(["assumptions:approve"], sub="bob"),
        "reader": service.token(["assumptions:read"], sub="reader"),
        "datasets": service.token(["datasets:read"], sub="carl"),
    }


def test_save_review_and_latest(service, tokens, name):
    r = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=body_of(lapse(0.8), "lapse study"))
    assert r.status_code == 201, r.text
    info = r.json()["info"]
    v = info["version"]
    assert (v, info["author"], info["status"], info["message"]) == (lapse(0.8).version, "alice", "draft", "lapse study")
    again = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=body_of(lapse(0.8), "again"))
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["info"]["message"] == "lapse study"
    assert service.get(f"/assumptions/{name}/latest", tokens["reader"]).status_code == 404
    assert service.get(f"/assumptions/{name}/draft/info", tokens["reader"]).json()["version"] == v

    own = service.request("POST", f"/assumptions/{name}/{v}/approve", tokens["alice-approver"])
    assert own.status_code == 403 and "may not approve it" in own.json()["detail"]
    ok = service.request("POST", f"/assumptions/{name}/{v[7:19]}/approve", tokens["bob"], json={"comment": "checked"})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["info"]["status"], ok.json()["info"]["reviewer"], ok.json()["info"]["comment"]) == \
        ("approved", "bob", "checked")
    for action in ("approve", "reject"):
        final = service.request("POST", f"/assumptions/{name}/{v}/{action}", tokens["bob"])
        assert final.status_code == 409 and "a review is final" in final.json()["detail"]

    newer = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=body_of(lapse(0.9), "newer"))
    w = newer.json()["info"]["version"]
    latest = service.get(f"/assumptions/{name}/latest", tokens["reader"]).json()
    assert latest["info"]["version"] == v  # a new draft is not latest until approved
    assert service.get(f"/assumptions/{name}/draft/info", tokens["reader"]).json()["version"] == w
    rej = service.request("POST", f"/assumptions/{name}/{w}/reject", tokens["bob"], json={"comment": "no"})
    assert rej.json()["info"]["status"] == "rejected"
    assert service.get(f"/assumptions/{name}/latest/info", tokens["reader"]).json()["version"] == v
    listed = service.get(f"/assumptions/{name}/versions", tokens["reader"]).json()["versions"]
    assert [(x["version"], x["status"], x["reviewer"]) for x in listed] == [(v, "approved", "bob"), (w, "rejected", "bob")]
    events = service.get(f"/assumptions/{name}/audit", tokens["reader"]).json()["events"]
    assert [(e["action"], e["who"], e["version"]) for e in events] == [
        ("save", "alice", v), ("approve", "bob", v), ("save", "alice", w), ("reject", "bob", w)]


def test_the_set_comes_back_as_json_and_arrow_with_its_version(service, tokens, name):
    aset = lapse(0.7)
    v = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=body_of(aset)).json()["info"]["version"]
    as_json = service.get(f"/assumptions/{name}/{v}", tokens["reader"]).json()
    assert set_from_json(as_json["manifest"], as_json["tables"], "answer").version == v
    assert as_json["tables"]["mortality"]["dtypes"][:2] == ["Int64", "Float64"]
    arrow = service.get(f"/assumptions/{name}/{v[7:20]}", tokens["reader"], headers=ARROW)
    assert arrow.headers["content-type"] == ARROW["Accept"]
    back, fields = set_from_arrow(arrow.content, "answer")
    assert back.version == v and fields["info"]["ref"] == f"assumptions://{name}:{v}"
    assert arrow.content == set_arrow(aset, {"info": fields["info"]})


def test_versions_are_immutable(service, tokens, name):
    aset = lapse(0.6)
    v = aset.version
    put = service.request("PUT", f"/assumptions/{name}/{v}", tokens["alice"], json=body_of(aset, "at its address"))
    assert put.status_code == 201 and put.json()["info"]["version"] == v
    again = service.request("PUT", f"/assumptions/{name}/{v}", tokens["alice"], json=body_of(aset, "overwrite?"))
    assert again.status_code == 409 and "versions are immutable" in again.json()["detail"]
    other = lapse(0.65)
    wrong = service.request("PUT", f"/assumptions/{name}/{v}", tokens["alice"], json=body_of(other))
    assert wrong.status_code == 409
    mismatch = service.request("PUT", f"/assumptions/{name}/sha256:{'0' * 64}", tokens["alice"], json=body_of(other))
    assert mismatch.status_code == 422 and "the body hashes to" in mismatch.json()["detail"]
    assert service.get(f"/assumptions/{name}/{v}/info", tokens["reader"]).json()["message"] == "at its address"


@pytest.mark.parametrize(("table", "row", "col", "value", "message"), [
    ("mortality", 2, 3, 1.2, "body table 'mortality' row 3 column '2': 1.2 is outside [0.0, 1.0]"),
    ("mortality", 4, 0, None, "body table 'mortality' row 5 column 'Age': value is empty"),
    ("mortality", 6, 1, "n/a", "body table 'mortality' row 7 column '0': 'n/a' is not a number"),
    ("discount", 1, 1, -0.7, "body table 'discount' row 2 column 'zero_spot': -0.7 is outside [-0.5, 1.0]"),
    ("mortality", 9, 4, 1e-6, "body table 'mortality' row 10 column '3': 1e-06 is below"),
], ids=["probability-1.2", "missing-age", "non-numeric", "rate-range", "select-rates-decrease"])
def test_malformed_tables_are_refused_naming_table_row_column_value(service, tokens, name, table, row, col, value,
                                                                    message):
    body = body_of(lc.demo_assumptions())
    body["tables"][table]["rows"][row][col] = value
    r = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=body)
    assert r.status_code == 422 and message in r.json()["detail"], r.text
    assert service.get(f"/assumptions/{name}/versions", tokens["reader"]).status_code == 404  # nothing was saved


def test_bodies_are_checked_for_shape_and_completeness(service, tokens, name):
    body = body_of(lc.demo_assumptions())
    ragged = copy.deepcopy(body)
    ragged["tables"]["mortality"]["rows"][3].pop()
    r = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=ragged)
    assert r.status_code == 422 and "body table 'mortality' row 4: 6 cells, but the table has 7 columns" in r.json()["detail"]
    missing = copy.deepcopy(body)
    del missing["tables"]["discount"]
    r = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=missing)
    assert r.status_code == 422 and "no data for table(s) 'discount'" in r.json()["detail"]
    packaged = copy.deepcopy(body)
    packaged["tables"]["us_ssa_2019_male"]["rows"][5][1] = 0.5
    r = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=packaged)
    assert r.status_code == 422 and "differ from the packaged file" in r.json()["detail"]


def test_scopes(service, tokens, name):
    body = body_of(lapse(0.55))
    for who in ("reader", "bob", "datasets"):
        r = service.request("POST", f"/assumptions/{name}", tokens[who], json=body)
        assert r.status_code == 403 and "assumptions:write" in r.json()["detail"]
    v = service.request("POST", f"/assumptions/{name}", tokens["alice"], json=body).json()["info"]["version"]
    for who in ("alice", "reader"):
        r = service.request("POST", f"/assumptions/{name}/{v}/approve", tokens[who])
        assert r.status_code == 403 and "assumptions:approve" in r.json()["detail"]
    assert service.get(f"/assumptions/{name}/versions", tokens["datasets"]).status_code == 403
    assert service.get(f"/assumptions/{name}/versions", tokens["alice"]).status_code == 200  # write grants read
    own = service.token([f"assumptions:{name}:read"], sub="dora")
    assert service.get(f"/assumptions/{name}/{v}/info", own).status_code == 200
    assert service.get("/assumptions/some-other-set/versions", own).status_code == 403
    assert [s["name"] for s in service.get("/assumptions", own).json()["sets"]] == [name]
    anonymous = service.token(["assumptions:write"], sub=None)
    r = service.request("POST", f"/assumptions/{name}", anonymous, json=body_of(lapse(0.5)))
    assert r.status_code == 403 and "no subject" in r.json()["detail"]
    assert service.request("POST", f"/assumptions/{name}", None, json=body).status_code == 401


def test_unknown_sets_and_versions(service, tokens, name):
    assert service.get(f"/assumptions/{name}/versions", tokens["reader"]).status_code == 404
    assert service.get(f"/assumptions/{name}/latest", tokens["reader"]).status_code == 404
    r = service.get(f"/assumptions/{name}/newest", tokens["reader"])
    assert r.status_code == 422
    listed = service.get("/assumptions", tokens["reader"]).json()["sets"]
    assert name not in [s["name"] for s in listed]
