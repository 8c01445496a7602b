"""Personal data sent through the API never reaches the audit log or its exports.

PII_CALLS sends the same person's data through every endpoint that takes free text or
identifiers; a new endpoint that does should get a row. Every route is also called with the data
in its query string.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import psycopg
from psycopg.rows import dict_row

from service.audit import SYSTEM, record_event
from service.logs import JsonFormatter
from tests.audit.helpers import assert_no_pii_in_audit
from tests.audit.test_coverage import Probe

NAME = "Marieke Verhoeven-Jansen"
EMAIL = "marieke.verhoeven@example.org"
PHONE = "+31 6 4567 8912"
HANDLE = "mvjansen1987"
IBAN = "NL91ABNA0417164300"
NEEDLES = (NAME, EMAIL, PHONE, PHONE.replace(" ", ""), HANDLE, IBAN, "Verhoeven")
TEXT = f"Hi, I'm {NAME} (@{HANDLE}), mail {EMAIL} or call {PHONE}. IBAN {IBAN}."


def _feedback() -> dict:
    return {
        "items": [
            {
                "external_id": "pii-1",
                "platform": "x",
                "kind": "comment",
                "visibility": "public",
                "author": {
                    "handle": HANDLE,
                    "display_name": NAME,
                    "email": EMAIL,
                    "phone": PHONE,
                },
                "text": TEXT,
                "created_at": "2026-01-01T12:00:00Z",
            }
        ]
    }


def _dsr_request() -> dict:
    return {
        "type": "access",
        "regime": "gdpr",
        "subject": {
            "handles": [{"platform": "x", "handle": "@" + HANDLE}],
            "emails": [EMAIL],
            "phones": [PHONE],
            "names": [NAME],
        },
        "requester": {"kind": "authorized_agent", "name": NAME, "proof": TEXT},
    }


def _request_then(action: str, body: dict) -> Callable[[Probe], None]:
    def call(probe: Probe) -> None:
        filed = probe.call("POST", "/v1/requests", "privacy_officer", _dsr_request())
        probe.call("POST", f"/v1/requests/{filed['id']}/{action}", "privacy_officer", body)

    return call


def _hold(probe: Probe) -> None:
    item = probe.call("POST", "/v1/feedback", "privacy_officer", _feedback())["items"][0]
    body = {"feedback_id": item["id"], "basis": "legal_claims", "reason": TEXT}
    probe.call("POST", "/v1/holds", "privacy_officer", body)


def _simple(method: str, path: str, role: str, body: dict) -> Callable[[Probe], None]:
    return lambda probe: probe.call(method, path, role, body)


PII_CALLS: dict[str, Callable[[Probe], None]] = {
    "key name": _simple("POST", "/v1/keys", "admin", {"name": TEXT[:200], "role": "moderator"}),
    "analyze": _simple("POST", "/v1/analyze", "moderator", {"text": TEXT}),
    "redact": _simple(
        "POST",
        "/v1/redact",
        "moderator",
        {"text": TEXT, "deny_list": [HANDLE], "operators": {"PERSON": {"type": "encrypt"}}},
    ),
    "redact batch": _simple(
        "POST", "/v1/redact/batch", "moderator", {"items": [{"id": EMAIL, "text": TEXT}]}
    ),
    "decrypt": _simple("POST", "/v1/decrypt", "privacy_officer", {"text": TEXT}),
    "feedback": _simple("POST", "/v1/feedback", "privacy_officer", _feedback()),
    "reply check": _simple(
        "POST", "/v1/replies/check", "moderator", {"text": TEXT, "visibility": "public"}
    ),
    "dsr request": _simple("POST", "/v1/requests", "privacy_officer", _dsr_request()),
    "dsr verify": _request_then("verify", {"method": "other", "notes": TEXT}),
    "dsr deny": _request_then("deny", {"reason": TEXT, "basis": "other"}),
    "dsr cancel": _request_then("cancel", {"reason": TEXT}),
    "legal hold": _hold,
}

_PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _sweep_query_strings(app, client, auth) -> None:
    """Call every route with the personal data in its query string, as an admin."""
    for rule in app.url_map.iter_rules():
        path = _PLACEHOLDER.sub(
            lambda m: "00000000-0000-4000-8000-000000000000" if m.group(1) == "uuid" else "x",
            rule.rule,
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            query = {"q": TEXT, "email": EMAIL, "name": NAME}
            response = client.open(
                path, method=method, query_string=query, headers=auth("admin"), json={}
            )
            response.close()


def test_personal_data_never_reaches_the_audit_log_or_the_logs(
    app, client, auth, conn, caplog, integrate_audit
):
    caplog.set_level(logging.DEBUG)
    probe = Probe(client=client, auth=auth, conn=conn)
    for name, call in PII_CALLS.items():
        try:
            call(probe)
        except AssertionError as exc:
            raise AssertionError(f"the {name!r} call in PII_CALLS did not succeed: {exc}") from exc
    _sweep_query_strings(app, client, auth)
    app.extensions["privacy.audit_aggregate"].flush()
    actions = {row["action"] for row in conn.execute("SELECT DISTINCT action FROM audit_events")}
    assert {"key.created", "redact.performed", "dsr.created", "hold.placed"} <= actions
    assert_no_pii_in_audit(conn, client, auth, NEEDLES, integrate_audit)
    # Every log line, as the JSON formatter writes it, at every level.
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any('"msg": "request"' in line for line in lines)
    for needle in NEEDLES:
        leaks = [line for line in lines if needle.lower() in line.lower()]
        assert not leaks, f"{needle!r} in the logs: {leaks[:2]}"


def test_the_helper_finds_personal_data_where_it_is(
    app, client, auth, conn, db_url, integrate_audit
):
    with psycopg.connect(db_url, row_factory=dict_row) as own:
        record_event(own, SYSTEM, "test.leaky", details={"note": f"wrote to {EMAIL}"})
    try:
        assert_no_pii_in_audit(conn, client, auth, [EMAIL.upper()], integrate_audit)
    except AssertionError as exc:
        assert "audit_events row 1" in str(exc) and "jsonl leaves" in str(exc)
    else:
        raise AssertionError("the helper missed an e-mail address in the details")
