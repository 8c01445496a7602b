"""Every route that changes state writes an audit event: one row per mutating route below.

A new POST/PUT/PATCH/DELETE route fails `test_every_mutating_route_writes_its_audit_event` until
it has a row in AUDITED_ROUTES: the audit action it records, a role allowed to call it, and a
minimal request that succeeds (`body`, or `prepare` when it needs something to act on first).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Probe:
    """What a `prepare` function may use: the test client, keys of any role, the database."""

    client: Any
    auth: Callable[[str], dict]
    conn: Any

    def call(self, method: str, path: str, role: str, body: dict | None = None) -> dict:
        """Make a call that must succeed and return its JSON body."""
        response = self.client.open(path, method=method, json=body, headers=self.auth(role))
        assert response.status_code < 300, (method, path, response.get_json())
        return response.get_json()


@dataclass(frozen=True)
class Prepared:
    """URL values (by placeholder name) and, when it depends on them, the body to send."""

    values: dict[str, str] = field(default_factory=dict)
    body: dict | None = None


@dataclass(frozen=True)
class AuditedRoute:
    """The audit action a mutating route must record, and how to call it successfully."""

    action: str
    role: str = "admin"
    body: dict | None = None
    prepare: Callable[[Probe], Prepared] | None = None


def _new_key(probe: Probe) -> Prepared:
    key = probe.call("POST", "/v1/keys", "admin", {"name": "to revoke", "role": "moderator"})
    return Prepared({"key_id": key["id"]})


def _cosignature(probe: Probe) -> Prepared:
    """Sign the log now and cosign its checkpoint as a witness would."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from service.audit.note import COSIGNATURE_V1, Signer, Verifier, cosign, parse_note
    from service.audit.signer import integrate_now
    from service.audit.signing import load_signer_settings

    integrate_now(probe.conn.info.dsn, load_signer_settings(probe.client.application.config))
    row = probe.conn.execute("SELECT tree_size, note FROM audit_checkpoints").fetchone()
    witness = Signer("witness.example/w", Ed25519PrivateKey.generate())
    line = cosign(parse_note(row["note"]), witness, 1_800_000_000)
    key = Verifier(witness.name, witness.private_key.public_key(), COSIGNATURE_V1)
    return Prepared(
        body={
            "tree_size": row["tree_size"],
            "verifier_key": key.verifier_key,
            "signature_line": line.line(),
        }
    )


FEEDBACK = {
    "items": [
        {
            "external_id": "coverage-1",
            "platform": "x",
            "kind": "comment",
            "visibility": "public",
            "author": {"handle": "coverage_author"},
            "text": "Great service, thanks!",
            "created_at": "2026-01-01T12:00:00Z",
        }
    ]
}
DSR_REQUEST = {
    "type": "access",
    "regime": "gdpr",
    "subject": {"handles": [{"platform": "x", "handle": "@coverage"}]},
    "received_at": datetime.now(UTC).isoformat(),
}


def _feedback_hold(probe: Probe) -> Prepared:
    item = probe.call("POST", "/v1/feedback", "privacy_officer", FEEDBACK)["items"][0]
    return Prepared(body={"feedback_id": item["id"], "basis": _a_hold_basis(), "reason": "claim"})


def _ingested_item(probe: Probe) -> Prepared:
    item = probe.call("POST", "/v1/feedback", "privacy_officer", FEEDBACK)["items"][0]
    return Prepared({"item_id": item["id"]})


def _placed_hold(probe: Probe) -> Prepared:
    prepared = _feedback_hold(probe)
    hold = probe.call("POST", "/v1/holds", "privacy_officer", prepared.body)
    return Prepared({"hold_id": hold["id"]})


def _a_hold_basis() -> str:
    from service.dsr.holds import HOLD_BASES

    return sorted(HOLD_BASES)[0]


def _filed_request(probe: Probe) -> Prepared:
    filed = probe.call("POST", "/v1/requests", "privacy_officer", DSR_REQUEST)
    return Prepared({"request_id": filed["id"]})


def _verified_request(probe: Probe) -> Prepared:
    prepared = _filed_request(probe)
    path = f"/v1/requests/{prepared.values['request_id']}/verify"
    probe.call("POST", path, "privacy_officer", {"method": "other"})
    return prepared


def _filed_ccpa_request(probe: Probe) -> Prepared:
    body = {**DSR_REQUEST, "regime": "ccpa"}
    filed = probe.call("POST", "/v1/requests", "privacy_officer", body)
    return Prepared({"request_id": filed["id"]})


def _paused_request(probe: Probe) -> Prepared:
    prepared = _filed_request(probe)
    path = f"/v1/requests/{prepared.values['request_id']}/request-information"
    probe.call("POST", path, "privacy_officer", {"what": "ID", "reason": "two accounts"})
    return prepared


def _completed_restriction(probe: Probe) -> Prepared:
    body = {**DSR_REQUEST, "type": "restriction"}
    filed = probe.call("POST", "/v1/requests", "privacy_officer", body)
    probe.call("POST", f"/v1/requests/{filed['id']}/execute", "privacy_officer", {})
    return Prepared({"request_id": filed["id"]})


def _executed_access(probe: Probe) -> Prepared:
    prepared = _verified_request(probe)
    probe.call(
        "POST", f"/v1/requests/{prepared.values['request_id']}/execute", "privacy_officer", {}
    )
    return prepared


RECIPIENT = {"name": "Coverage Ltd", "kind": "processor", "contact_email": "dpo@cov.example"}


def _recipient(probe: Probe) -> Prepared:
    recipient = probe.call("POST", "/v1/recipients", "privacy_officer", RECIPIENT)
    return Prepared({"recipient_id": recipient["id"]})


def _recipient_task(probe: Probe) -> Prepared:
    """A restriction of an archive author carried out with one recipient to tell (unsent)."""
    probe.call("POST", "/v1/feedback", "privacy_officer", FEEDBACK)
    recipient_id = _recipient(probe).values["recipient_id"]
    subject = {"handles": [{"platform": "x", "handle": "coverage_author"}]}
    body = {**DSR_REQUEST, "type": "restriction", "subject": subject}
    filed = probe.call("POST", "/v1/requests", "privacy_officer", body)
    probe.call("POST", f"/v1/requests/{filed['id']}/execute", "privacy_officer", {})
    tasks = probe.call("GET", f"/v1/requests/{filed['id']}/tasks", "privacy_officer")["items"]
    [task] = [task for task in tasks if task["recipient_id"] == recipient_id]
    return Prepared({"request_id": filed["id"], "task_id": task["id"]})


def _package_link(probe: Probe) -> Prepared:
    prepared = _executed_access(probe)
    request_id = prepared.values["request_id"]
    link = probe.call(
        "POST", f"/v1/requests/{request_id}/package-links", "privacy_officer", {"notify": False}
    )
    return Prepared({"request_id": request_id, "link_id": link["id"]})


AUDITED_ROUTES: dict[tuple[str, str], AuditedRoute] = {
    ("POST", "/v1/audit/verifications"): AuditedRoute(
        "audit.verification_requested", role="auditor", body={}
    ),
    ("POST", "/v1/audit/cosignatures"): AuditedRoute(
        "audit.cosigned", role="auditor", prepare=_cosignature
    ),
    ("POST", "/v1/keys"): AuditedRoute("key.created", body={"name": "c", "role": "moderator"}),
    ("DELETE", "/v1/keys/<uuid:key_id>"): AuditedRoute("key.revoked", prepare=_new_key),
    ("POST", "/v1/analyze"): AuditedRoute(
        "redact.analyzed", role="moderator", body={"text": "See you at noon."}
    ),
    ("POST", "/v1/redact"): AuditedRoute(
        "redact.performed", role="moderator", body={"text": "See you at noon."}
    ),
    ("POST", "/v1/redact/batch"): AuditedRoute(
        "redact.batch_performed",
        role="moderator",
        body={"items": [{"id": "1", "text": "See you at noon."}]},
    ),
    ("POST", "/v1/decrypt"): AuditedRoute(
        "redact.decrypted", role="privacy_officer", body={"text": "Nothing to decrypt."}
    ),
    ("POST", "/v1/feedback"): AuditedRoute(
        "feedback.ingested", role="privacy_officer", body=FEEDBACK
    ),
    ("POST", "/v1/holds"): AuditedRoute(
        "hold.placed", role="privacy_officer", prepare=_feedback_hold
    ),
    ("DELETE", "/v1/holds/<uuid:hold_id>"): AuditedRoute(
        "hold.released", role="privacy_officer", prepare=_placed_hold
    ),
    ("POST", "/v1/feedback/<uuid:item_id>/review"): AuditedRoute(
        "triage.reviewed",
        role="privacy_officer",
        body={"decision": "escalated"},
        prepare=_ingested_item,
    ),
    ("PUT", "/v1/triage/rules"): AuditedRoute(
        "triage.rules_updated", body={"rules": [], "disabled": []}
    ),
    ("PUT", "/v1/policies/<platform>"): AuditedRoute(
        "policy.updated",
        body={"public": {}, "private": {}},
        prepare=lambda probe: Prepared({"platform": "x"}),
    ),
    ("POST", "/v1/replies/check"): AuditedRoute(
        "reply.checked",
        role="moderator",
        body={"text": "Thanks for the feedback!", "visibility": "public"},
    ),
    ("POST", "/v1/scans"): AuditedRoute("scan.requested", role="privacy_officer", body={}),
    ("POST", "/v1/requests"): AuditedRoute("dsr.created", role="privacy_officer", body=DSR_REQUEST),
    ("POST", "/v1/requests/<uuid:request_id>/verify"): AuditedRoute(
        "dsr.verified", role="privacy_officer", body={"method": "other"}, prepare=_filed_request
    ),
    ("POST", "/v1/requests/<uuid:request_id>/acknowledge"): AuditedRoute(
        "dsr.acknowledged", role="privacy_officer", body={}, prepare=_filed_ccpa_request
    ),
    ("POST", "/v1/requests/<uuid:request_id>/extend"): AuditedRoute(
        "dsr.extended",
        role="privacy_officer",
        body={"months": 1, "reason": "Many sources to search."},
        prepare=_filed_request,
    ),
    ("POST", "/v1/requests/<uuid:request_id>/deny"): AuditedRoute(
        "dsr.denied",
        role="privacy_officer",
        body={"reason": "Could not verify.", "basis": "identity_not_verified"},
        prepare=_filed_request,
    ),
    ("POST", "/v1/requests/<uuid:request_id>/cancel"): AuditedRoute(
        "dsr.cancelled",
        role="privacy_officer",
        body={"reason": "Withdrawn by the subject."},
        prepare=_filed_request,
    ),
    ("POST", "/v1/requests/<uuid:request_id>/execute"): AuditedRoute(
        "dsr.completed", role="privacy_officer", body={}, prepare=_verified_request
    ),
    ("POST", "/v1/requests/<uuid:request_id>/request-information"): AuditedRoute(
        "dsr.information_requested",
        role="privacy_officer",
        body={"what": "A copy of your ID", "reason": "Two accounts share this name."},
        prepare=_filed_request,
    ),
    ("POST", "/v1/requests/<uuid:request_id>/information-received"): AuditedRoute(
        "dsr.information_received", role="privacy_officer", body={}, prepare=_paused_request
    ),
    ("POST", "/v1/recipients"): AuditedRoute(
        "recipient.registered", role="privacy_officer", body=RECIPIENT
    ),
    ("DELETE", "/v1/recipients/<uuid:recipient_id>"): AuditedRoute(
        "recipient.archived", role="privacy_officer", prepare=_recipient
    ),
    ("POST", "/v1/requests/<uuid:request_id>/tasks/<uuid:task_id>/resolve"): AuditedRoute(
        "dsr.recipient_task_resolved",
        role="privacy_officer",
        body={"resolution": "impossible", "reason": "the recipient has closed down"},
        prepare=_recipient_task,
    ),
    ("POST", "/v1/requests/<uuid:request_id>/tasks/<uuid:task_id>/send"): AuditedRoute(
        "dsr.recipient_task_queued", role="privacy_officer", prepare=_recipient_task
    ),
    ("PATCH", "/v1/recipients/<uuid:recipient_id>"): AuditedRoute(
        "recipient.updated",
        role="privacy_officer",
        body={"purposes": ["order support"]},
        prepare=_recipient,
    ),
    ("POST", "/v1/requests/<uuid:request_id>/package-links"): AuditedRoute(
        "dsr.package_link_created", role="privacy_officer", body={}, prepare=_executed_access
    ),
    ("DELETE", "/v1/requests/<uuid:request_id>/package-links/<uuid:link_id>"): AuditedRoute(
        "dsr.package_link_revoked", role="privacy_officer", prepare=_package_link
    ),
    ("POST", "/v1/requests/<uuid:request_id>/lift"): AuditedRoute(
        "dsr.lifted",
        role="privacy_officer",
        body={"reason": "Accuracy verified."},
        prepare=_completed_restriction,
    ),
}

_PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")


def mutating_routes(app) -> set[tuple[str, str]]:
    """Return (method, rule) of every route that may change state."""
    # Console and portal forms call the same domain functions, which write the events; the
    # console's own tests check the events of its forms (tests/console/test_roles.py lists them).
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & MUTATING
        if not rule.endpoint.startswith(("console.", "portal."))
    }


def _missing_row_message(method: str, rule: str) -> str:
    return (
        f"{method} {rule} has no row in AUDITED_ROUTES (tests/audit/test_coverage.py). Add "
        "AuditedRoute(action=<the audit action it records>, role=<a role allowed to call it>, "
        "body=<a minimal valid body>, prepare=<a function creating what it acts on, if needed>). "
        "A call that changes state must record its audit event (service.audit.record_event) "
        "in the same transaction."
    )


def test_every_mutating_route_writes_its_audit_event(app, client, auth, conn):
    probe = Probe(client=client, auth=auth, conn=conn)
    failures = []
    for method, rule in sorted(mutating_routes(app)):
        expected = AUDITED_ROUTES.get((method, rule))
        if expected is None:
            failures.append(_missing_row_message(method, rule))
            continue
        prepared = expected.prepare(probe) if expected.prepare else Prepared()
        path = _PLACEHOLDER.sub(lambda m, v=prepared.values: str(v[m.group(1)]), rule)
        body = prepared.body if prepared.body is not None else expected.body
        before = conn.execute("SELECT coalesce(max(id), 0) AS id FROM audit_events").fetchone()
        headers = auth(expected.role)
        response = client.open(path, method=method, json=body, headers=headers)
        if response.status_code >= 300:
            failures.append(
                f"{method} {rule} answered {response.status_code} to the request in its "
                f"AUDITED_ROUTES row, so nothing was checked: {response.get_data(as_text=True)}"
            )
            continue
        # High-volume calls are counted in the process and written once per interval.
        app.extensions["privacy.audit_aggregate"].flush()
        actions = [
            row["action"]
            for row in conn.execute(
                "SELECT action FROM audit_events WHERE id > %s ORDER BY id", [before["id"]]
            )
        ]
        if expected.action not in actions:
            failures.append(
                f"{method} {rule} succeeded but recorded {actions or 'no audit event'}, "
                f"not {expected.action!r}"
            )
    assert not failures, "\n".join(failures)


def test_no_row_for_a_route_that_is_gone(app):
    stale = set(AUDITED_ROUTES) - mutating_routes(app)
    assert not stale, f"AUDITED_ROUTES rows for routes that no longer exist: {sorted(stale)}"
