"""Fixtures for audit tests: an app signing a checkpoint every 5 events, an auditor, exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

CHECKPOINT_EVERY = 5


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Return the shared test settings with a checkpoint every 5 events (small logs suffice)."""
    return {**app_config, "PRIVACY_AUDIT_CHECKPOINT_EVERY": CHECKPOINT_EVERY}


@pytest.fixture
def auditor(app, auth) -> dict:
    """Return the Authorization header of an auditor (the app exists first, so it signs)."""
    return auth("auditor")


@pytest.fixture
def public_key(app) -> str:
    """Return the base64 public key of the test app's checkpoint signer."""
    return app.extensions["privacy"].audit.public_key


@pytest.fixture
def export_to(client, auditor, tmp_path) -> Callable[..., Path]:
    """Return a function that exports through the API into a file and returns its path."""

    def _export(query: str = "", *, export_format: str = "jsonl") -> Path:
        response = client.get(f"/v1/audit/export?format={export_format}&{query}", headers=auditor)
        assert response.status_code == 200, response.get_data(as_text=True)
        path = tmp_path / f"export-{len(list(tmp_path.glob('export-*')))}.{export_format}"
        path.write_bytes(response.get_data())
        return path

    return _export


@pytest.fixture
def verify_api(client, auditor) -> Callable[[], dict]:
    """Return a function calling GET /v1/audit/verify and returning its body."""

    def _verify() -> dict:
        response = client.get("/v1/audit/verify", headers=auditor)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return _verify
