"""A bounded property-based run of the OpenAPI document against the live service: no 5xx, answers as documented.

schemathesis reads ``/openapi.json`` from the running service and generates requests for every
operation, valid and invalid (parameters, bodies, types), each sent with a valid token, and checks
each answer: no server error, a documented status code, content type, headers and body schema.
The run is bounded: ``REQUESTS`` examples in all.
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

REQUESTS = 300
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.mark.slow
def test_the_openapi_document_holds(service):
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    cases = (schema.as_strategy(GenerationMode.POSITIVE) | schema.as_strategy(GenerationMode.NEGATIVE)
             | schema.as_strategy(GenerationMode.POSITIVE, path_parameters={"dataset_id": "book"})
             | schema.as_strategy(GenerationMode.NEGATIVE, path_parameters={"dataset_id": "book"}))
    seen: dict[str, int] = {}

    @given(case=cases)
    @settings(max_examples=REQUESTS, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case):
        response = case.call_and_validate(headers={"Authorization": f"Bearer {service.token()}"}, checks=CHECKS,
                                          timeout=60)
        key = f"{case.method} {case.path} {response.status_code}"
        seen[key] = seen.get(key, 0) + 1

    run()
    operations = {k.rsplit(" ", 1)[0] for k in seen}
    assert len(operations) == 6, seen  # every operation was exercised
    assert sum(seen.values()) >= REQUESTS
