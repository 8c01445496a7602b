"""Every route x every role (plus no key and a revoked key) -> the expected outcome.

Add a row here for every new route: the test fails for a route without one.
"""

from __future__ import annotations

import re

import pytest

PUBLIC = "public"
ALL_ROLES = ("moderator", "privacy_officer", "auditor", "admin")

# (method, rule) -> roles allowed (admin is always allowed), or PUBLIC.
ROUTE_ROLES: dict[tuple[str, str], object] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/assets/<path:filename>"): PUBLIC,
    ("GET", "/problems/<slug>"): PUBLIC,
    ("GET", "/v1/keys"): {"admin"},
    ("POST", "/v1/keys"): {"admin"},
    ("DELETE", "/v1/keys/<uuid:key_id>"): {"admin"},
    ("GET", "/v1/audit/events"): {"auditor"},
    ("GET", "/v1/audit/export"): {"auditor"},
    ("GET", "/v1/audit/events/<int:seq>"): {"auditor"},
    ("GET", "/v1/audit/checkpoint"): {"auditor"},
    ("GET", "/v1/audit/checkpoints"): {"auditor"},
    ("POST", "/v1/audit/cosignatures"): {"auditor"},
    ("POST", "/v1/audit/verifications"): {"auditor"},
    ("GET", "/v1/audit/verifications/<uuid:verification_id>"): {"auditor"},
    ("GET", "/v1/audit/proof/inclusion"): {"auditor"},
    ("GET", "/v1/audit/proof/consistency"): {"auditor"},
    ("GET", "/v1/audit/public-key"): {"auditor"},
    ("GET", "/v1/audit/verify"): {"auditor"},
    ("POST", "/v1/analyze"): {"moderator"},
    ("POST", "/v1/redact"): {"moderator"},
    ("POST", "/v1/redact/batch"): {"moderator"},
    ("POST", "/v1/decrypt"): {"privacy_officer"},
    ("GET", "/v1/entities"): {"moderator", "privacy_officer", "auditor"},
    ("GET", "/v1/requests"): {"privacy_officer"},
    ("POST", "/v1/requests"): {"privacy_officer"},
    ("GET", "/v1/requests/<uuid:request_id>"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/verify"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/acknowledge"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/extend"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/deny"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/cancel"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/execute"): {"privacy_officer"},
    ("GET", "/v1/requests/<uuid:request_id>/package"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/request-information"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/information-received"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/lift"): {"privacy_officer"},
    ("GET", "/v1/requests/<uuid:request_id>/notices"): {"privacy_officer"},
    ("GET", "/v1/requests/<uuid:request_id>/package-links"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/package-links"): {"privacy_officer"},
    ("DELETE", "/v1/requests/<uuid:request_id>/package-links/<uuid:link_id>"): {"privacy_officer"},
    ("GET", "/p/<token>"): PUBLIC,
    ("GET", "/v1/recipients"): {"privacy_officer"},
    ("POST", "/v1/recipients"): {"privacy_officer"},
    ("GET", "/v1/recipients/<uuid:recipient_id>"): {"privacy_officer"},
    ("PATCH", "/v1/recipients/<uuid:recipient_id>"): {"privacy_officer"},
    ("DELETE", "/v1/recipients/<uuid:recipient_id>"): {"privacy_officer"},
    ("GET", "/v1/requests/<uuid:request_id>/tasks"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/tasks/<uuid:task_id>/resolve"): {"privacy_officer"},
    ("POST", "/v1/requests/<uuid:request_id>/tasks/<uuid:task_id>/send"): {"privacy_officer"},
    ("GET", "/v1/holds"): {"privacy_officer"},
    ("POST", "/v1/holds"): {"privacy_officer"},
    ("GET", "/v1/holds/<uuid:hold_id>"): {"privacy_officer"},
    ("DELETE", "/v1/holds/<uuid:hold_id>"): {"privacy_officer"},
    ("GET", "/v1/reports/dsr-metrics"): {"privacy_officer"},
    ("GET", "/v1/reports/dsr-records"): {"privacy_officer"},
    ("GET", "/v1/feedback"): {"privacy_officer"},
    ("POST", "/v1/feedback"): {"privacy_officer"},
    ("GET", "/v1/feedback/<uuid:item_id>"): {"privacy_officer"},
    ("GET", "/v1/feedback/<uuid:item_id>/public"): {"moderator", "privacy_officer"},
    ("POST", "/v1/scans"): {"privacy_officer"},
    ("GET", "/v1/scans/<uuid:scan_id>"): {"privacy_officer"},
    ("POST", "/v1/replies/check"): {"moderator", "privacy_officer"},
    ("GET", "/v1/triage/queue"): {"privacy_officer"},
    ("POST", "/v1/feedback/<uuid:item_id>/review"): {"privacy_officer"},
    ("GET", "/v1/triage/rules"): {"privacy_officer"},
    ("PUT", "/v1/triage/rules"): {"admin"},
    ("GET", "/v1/policies/<platform>"): {"admin"},
    ("PUT", "/v1/policies/<platform>"): {"admin"},
}

_PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


def app_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        # Console pages take a session, not a key, and the subject portal neither:
        # tests/console/test_roles.py has their table.
        if rule.endpoint == "static" or rule.endpoint.startswith(("console.", "portal.")):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, rule.rule))
    return routes


def concrete_path(rule: str) -> str:
    def fill(match: re.Match) -> str:
        converter = match.group(1)
        if converter == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        if converter == "int":
            return "1"
        return "index.css" if match.group(2) == "filename" else "x"

    return _PLACEHOLDER.sub(fill, rule)


def test_every_route_has_an_entry(app):
    missing = app_routes(app) - set(ROUTE_ROLES)
    stale = set(ROUTE_ROLES) - app_routes(app)
    assert not missing, f"routes without an authorization entry: {sorted(missing)}"
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


def _call(client, method: str, path: str, headers: dict):
    kwargs = {"headers": headers}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    response = client.open(path, method=method, **kwargs)
    response.close()  # file responses (docs assets) hold the file open until closed
    return response


@pytest.fixture
def revoked_header(client, make_key, conn):
    raw = make_key("admin", "to revoke")
    conn.execute("UPDATE api_keys SET revoked_at = now() WHERE name = 'to revoke'")
    return {"Authorization": f"Bearer {raw}"}


def test_authorization_table(client, auth, revoked_header):
    failures = []
    for (method, rule), allowed in sorted(ROUTE_ROLES.items()):
        path = concrete_path(rule)
        cases = {"no key": {}, "revoked key": revoked_header}
        cases.update({role: auth(role) for role in ALL_ROLES})
        for who, headers in cases.items():
            status = _call(client, method, path, headers).status_code
            if allowed == PUBLIC:
                ok = status not in (401, 403)
            elif who in ("no key", "revoked key"):
                ok = status == 401
            elif who in allowed or who == "admin":
                ok = status not in (401, 403)
            else:
                ok = status == 403
            if not ok:
                failures.append(f"{method} {rule} as {who}: {status}")
    assert not failures, "\n".join(failures)
