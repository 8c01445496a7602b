"""Health probes and the API documentation."""

from __future__ import annotations

import psycopg


def test_health_needs_no_key(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_when_migrated(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_ready_is_503_when_a_migration_is_missing(client, db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = 1")
    response = client.get("/ready")
    assert response.status_code == 503
    assert "migration" in response.get_json()["detail"]


def test_openapi_document_lists_the_api(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/keys" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_links_lead_from_created_resources_to_real_operations(client):
    spec = client.get("/openapi.json").get_json()
    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation.get("responses", {}).items():
                for name, link in response.get("links", {}).items():
                    found[(method, path, status, name)] = link
    # A request leads to its actions, a hold to its release, an ingest to its items and scan.
    assert {(m, p) for m, p, _, _ in found} >= {
        ("post", "/v1/requests"),
        ("post", "/v1/holds"),
        ("post", "/v1/feedback"),
        ("post", "/v1/scans"),
        ("post", "/v1/keys"),
    }
    for where, link in found.items():
        pointer = link["operationRef"].removeprefix("#/paths/")
        target_path, _, target_method = pointer.rpartition("/")
        target_path = target_path.replace("~1", "/").replace("~0", "~")
        target = spec["paths"][target_path][target_method]
        path_parameters = {
            parameter["name"]
            for parameter in spec["paths"][target_path].get("parameters", [])
            + target.get("parameters", [])
            if parameter["in"] == "path"
        }
        assert set(link["parameters"]) <= path_parameters, (where, link)
    assert len(found) >= 15


def test_docs_ui_is_served_without_internet(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.get_data(as_text=True)
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.get_data()) > 100_000
    asset.close()
