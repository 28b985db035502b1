"""A bounded property-based run of the OpenAPI document against the live service: no 5xx, answers as documented.

schemathesis reads ``/openapi.json`` from the running service and generates requests for every
operation, valid and invalid (parameters, bodies, types), each sent with a valid token that reads
datasets and assumption sets (writes and reviews are refused with a documented 403), and checks each
answer: no server error, a documented status code, content type, headers and body schema. The run is
bounded: ``REQUESTS`` examples in all. The answers about a stored assumption set, which random names
rarely reach, are checked one by one.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import livecalc_lab as lc
from livecalc_lab.assumptions.serial import set_json

REQUESTS = 300
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(service) -> str:
    """An approved assumption set named ``fuzzed`` in the service's store; its version."""
    body = set_json(lc.demo_assumptions())
    body["tables"] = {n: {"columns": t["columns"], "rows": t["rows"]} for n, t in body["tables"].items()}
    saved = service.request("POST", "/assumptions/fuzzed", service.token(["assumptions:write"], sub="a"), json=body)
    version = saved.json()["info"]["version"]
    if saved.status_code == 201:
        service.request("POST", f"/assumptions/fuzzed/{version}/approve", service.token(["assumptions:approve"], sub="b"))
    return version


@pytest.mark.slow
def test_the_openapi_document_holds(service, fuzzed):
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    cases = (schema.as_strategy(GenerationMode.POSITIVE) | schema.as_strategy(GenerationMode.NEGATIVE)
             | schema.as_strategy(GenerationMode.POSITIVE, path_parameters={"dataset_id": "book"})
             | schema.as_strategy(GenerationMode.NEGATIVE, path_parameters={"dataset_id": "book"}))
    seen: dict[str, int] = {}

    @given(case=cases)
    @settings(max_examples=REQUESTS, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case):
        token = service.token(["datasets:read", "assumptions:read"])
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=60)
        key = f"{case.method} {case.path} {response.status_code}"
        seen[key] = seen.get(key, 0) + 1

    run()
    operations = {k.rsplit(" ", 1)[0] for k in seen}
    assert len(operations) == 15, seen  # every operation was exercised: 6 of datasets, 9 of assumption sets
    assert sum(seen.values()) >= REQUESTS


@pytest.mark.slow
def test_a_stored_assumption_set_is_answered_as_documented(service, fuzzed):
    """The answers a random run rarely reaches: an existing set, in JSON and in Arrow, its versions and audit."""
    version = fuzzed
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    auth = {"Authorization": f"Bearer {service.token(['assumptions:read'])}"}
    for path, params, accept in [
        ("/assumptions", {}, "application/json"),
        ("/assumptions/{name}/versions", {"name": "fuzzed"}, "application/json"),
        ("/assumptions/{name}/audit", {"name": "fuzzed"}, "application/json"),
        ("/assumptions/{name}/{version}", {"name": "fuzzed", "version": "latest"}, "application/json"),
        ("/assumptions/{name}/{version}", {"name": "fuzzed", "version": version}, "application/vnd.apache.arrow.stream"),
        ("/assumptions/{name}/{version}/info", {"name": "fuzzed", "version": version[7:20]}, "application/json"),
    ]:
        case = schema[path]["GET"].Case(path_parameters=params, headers=auth | {"Accept": accept})
        response = case.call_and_validate(checks=CHECKS, timeout=60)
        assert response.status_code == 200, (path, response.text)
