"""Fixtures for audit tests: the signer's settings, an auditor, exports, offline verification."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.audit.signing import SignerSettings, load_signer_settings


@pytest.fixture
def signer_settings(app_config: dict) -> SignerSettings:
    """Return the settings of the test database's signer (key and state in the test's folder)."""
    return load_signer_settings(app_config)


@pytest.fixture
def verifier_key(signer_settings) -> str:
    """Return the note verifier key of the test signer."""
    return signer_settings.verifier.verifier_key


@pytest.fixture
def auditor(app, auth) -> dict:
    """Return the Authorization header of an auditor."""
    return auth("auditor")


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
