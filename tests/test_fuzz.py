"""Generated requests for every operation get answers the OpenAPI document declares, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 25
INVALID_EXAMPLES_PER_OPERATION = 8


def content_type(response) -> str:
    for name, value in response.headers.items():
        if name.lower() == "content-type":
            return value[0] if isinstance(value, list) else value
    return ""


# The answer's status, media type and body (errors included) are the ones the document declares.
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize(
    ("mode", "examples"),
    [
        (GenerationMode.POSITIVE, EXAMPLES_PER_OPERATION),
        # Invalid input: mostly 4xx, which must be exactly what the document declares.
        (GenerationMode.NEGATIVE, INVALID_EXAMPLES_PER_OPERATION),
    ],
)
def test_generated_requests_get_documented_answers_never_a_server_error(app, auth, mode, examples):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    headers = auth("admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same cases on every run: CI stays reproducible
        )
        def check(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            if response.status_code >= 400:
                assert content_type(response).startswith("application/problem+json")
            case.validate_response(response, checks=CONFORMANCE, headers=headers)

        check()
