"""The error contract: what the OpenAPI document declares for errors is what clients receive."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from flask import Response
from openapi_spec_validator import validate

from service.errors import PROBLEM_TYPES
from tests.problem_contract import PROBLEM, error_contract_violations, openapi_document, resolve

OPERATIONS = {"get", "put", "post", "delete", "patch"}


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield path, method, operation


@pytest.fixture
def document(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi(document):
    validate(document)


def test_every_documented_error_is_problem_json(document):
    assert "Error" not in document["components"].get("schemas", {})
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    assert problem["additionalProperties"] is True  # extension members
    seen = 0
    for path, method, operation in operations(document):
        assert "default" not in operation["responses"], (method, path)
        for status, answer in resolve(operation["responses"], document).items():
            if int(status) >= 400:
                seen += 1
                assert list(answer["content"]) == [PROBLEM], (method, path, status)
                schema = answer["content"][PROBLEM]["schema"]
                assert resolve(schema, document) == problem, (method, path, status)
    assert seen > 200


def test_every_operation_documents_the_errors_it_can_answer(document):
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        assert "422" in statuses, (method, path)  # unknown query parameters, at least
        if path not in ("/health", "/ready"):
            assert {"401", "403", "503"} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= statuses, (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
    by_operation = {(m, p): set(o["responses"]) for p, m, o in operations(document)}
    assert "503" in by_operation[("get", "/ready")]
    assert "409" in by_operation[("post", "/v1/requests/{request_id}/execute")]
    assert "410" in by_operation[("get", "/v1/requests/{request_id}/package")]


def test_every_problem_type_has_a_page_anyone_can_read(client, auth):
    for slug, problem in PROBLEM_TYPES.items():
        page = client.get(f"/problems/{slug}")
        assert page.status_code == 200, slug
        assert page.mimetype == "text/html"
        text = page.get_data(as_text=True)
        assert problem.title in text and str(problem.status) in text
    assert client.get("/problems/no-such-problem").status_code == 404
    # The type a client receives leads to its page.
    answer = client.post("/v1/keys", json={"name": ""}, headers=auth("admin")).get_json()
    assert answer["type"] == "/problems/validation"
    assert client.get(answer["type"]).status_code == 200


@pytest.mark.parametrize(
    ("url", "role", "unknown"),
    [
        ("/v1/feedback?flag=x", "privacy_officer", "flag"),
        ("/v1/feedback?platform=x&hass_pii=true", "privacy_officer", "hass_pii"),
        ("/v1/requests?stauts=received", "privacy_officer", "stauts"),
        ("/v1/holds?actve=true", "privacy_officer", "actve"),
        ("/v1/keys?role=admin", "admin", "role"),  # an operation that takes no query at all
        ("/v1/audit/events?actr=x", "auditor", "actr"),
    ],
)
def test_unknown_query_parameters_are_422_naming_them(client, auth, url, role, unknown):
    response = client.get(url, headers=auth(role))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    assert unknown in response.get_json()["errors"]


def test_unknown_query_parameter_on_a_body_operation_is_422(client, auth):
    response = client.post("/v1/redact?language=en", json={"text": "hi"}, headers=auth("moderator"))
    assert response.status_code == 422
    assert "language" in response.get_json()["errors"]


def test_the_contract_check_fails_an_undocumented_error(app):
    # The check every test runs (tests/conftest.py) must be able to fail.
    with app.test_request_context("/v1/keys", method="GET"):
        from flask import request

        assert request.url_rule.rule == "/v1/keys"
        wrong_type = Response(json.dumps({"message": "x"}), 404, mimetype="application/json")
        undocumented = Response(
            json.dumps({"type": "about:blank", "title": "Gone", "status": 410, "detail": "x"}),
            410,
            mimetype=PROBLEM,
        )
        bad_body = Response(json.dumps({"title": 1}), 403, mimetype=PROBLEM)
        assert (
            "not application/problem+json" in error_contract_violations(app, request, wrong_type)[0]
        )
        assert "not documented" in error_contract_violations(app, request, undocumented)[0]
        assert "does not match" in error_contract_violations(app, request, bad_body)[0]


def test_a_generated_client_reads_a_validation_problem(app, auth, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(openapi_document(app), default=str))
    config = tmp_path / "config.yml"
    config.write_text("post_hooks: []\npackage_name_override: privacy_client\n")
    generator = Path(sys.executable).parent / "openapi-python-client"
    subprocess.run(
        [generator, "generate", "--path", spec, "--config", config, "--meta", "none"]
        + ["--output-path", tmp_path / "privacy_client"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("privacy_client")
        post_key = importlib.import_module("privacy_client.api.keys.post_v1_keys")
        models = importlib.import_module("privacy_client.models")
        token = auth("admin")["Authorization"].removeprefix("Bearer ")
        client = client_module.AuthenticatedClient(
            base_url="http://service.test",
            token=token,
            httpx_args={"transport": httpx.WSGITransport(app=app)},
        )
        body = models.KeyCreate(name="", role=models.KeyCreateRole.MODERATOR)
        response = post_key.sync_detailed(client=client, body=body)
        assert response.status_code == 422
        problem = response.parsed
        assert isinstance(problem, models.Problem)
        assert problem.title == "Unprocessable Content"
        assert problem.detail == "The request did not pass validation; see `errors`."
        assert problem.type_ == "/problems/validation"
        assert problem.errors["name"] == ["Length must be between 1 and 200."]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [
            m for m in sys.modules if m == "privacy_client" or m.startswith("privacy_client.")
        ]:
            del sys.modules[name]
