"""Health probes and the API documentation."""

from __future__ import annotations

import time

import psycopg
import pytest

from service import create_app
from service.db import ensure_embedded_running, migrate, start_embedded, stop_embedded


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


@pytest.mark.slow
def test_ready_reflects_a_database_outage_and_recovers(tmp_path, embedded_data_dir):
    """The database goes away: /ready is 503 problem+json at once, /health stays 200; it comes
    back: the same process is ready again without a restart."""
    url = start_embedded(embedded_data_dir)
    migrate(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "PRIVACY_DATA_DIR": str(tmp_path),
            "PRIVACY_SECRET_KEY": "ready-outage-secret-0123456789abcdef01234",
            "PRIVACY_DB_POOL_MIN": 0,
            "PRIVACY_DB_TIMEOUT": 2,
        }
    )
    client = app.test_client()
    try:
        assert client.get("/ready").get_json() == {"status": "ready"}

        assert stop_embedded(embedded_data_dir)
        started = time.monotonic()
        down = client.get("/ready")
        assert down.status_code == 503 and down.mimetype == "application/problem+json"
        assert time.monotonic() - started < 10, "the probe must not hang on a dead database"
        assert client.get("/health").status_code == 200

        # Brought back the way any of the service's processes does when it finds it gone.
        ensure_embedded_running(embedded_data_dir)
        deadline = time.monotonic() + 60
        while (status := client.get("/ready").status_code) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200, "/ready should recover once the database is back"
        assert client.get("/ready").get_json() == {"status": "ready"}
    finally:
        app.extensions["privacy"].close()
        stop_embedded(embedded_data_dir)
