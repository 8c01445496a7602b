"""The report, witness and admin pages: what an officer, auditor or admin sees and downloads."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.audit import merkle
from service.audit.note import Checkpoint, Signer, sign_note
from service.audit.signing import load_signer_settings
from service.audit.witness import witness_once
from service.console import i18n_admin
from service.console.i18n import DUTCH, ENGLISH
from service.logs import JsonFormatter
from tests.audit.helpers import fill
from tests.console.conftest import post_form
from tests.console.report_data import file_year_of_requests

TEMPLATES = Path(__file__).parents[2] / "service/console/templates/console"
MY_TEMPLATES = (
    "reports.html",
    "_witnesses.html",
    "keys.html",
    "key_revoke.html",
    "policies.html",
    "policy_edit.html",
    "recipients.html",
    "recipient_edit.html",
    "_recipient_fields.html",
)


@pytest.fixture
def year_of_requests(client, auth, conn) -> dict:
    """Requests of 2025 with known outcomes (see report_data); returns an officer's key header."""
    officer = auth("privacy_officer")
    file_year_of_requests(client, officer, conn)
    return officer


def _bars(page: str) -> dict[str, int]:
    return {
        label: int(count)
        for label, count in re.findall(r'class="bar" data-label="(\w+)" data-count="(\d+)"', page)
    }


def _widths(page: str) -> list[float]:
    return [float(width) for width in re.findall(r'class="bar-fill"[^>]* width="([\d.]+)"', page)]


def test_the_report_shows_the_apis_metrics_with_a_chart_of_the_counts(
    client, make_user, sign_in, year_of_requests
):
    sign_in(make_user("privacy_officer"))
    response = client.get("/console/reports?regime=gdpr&year=2025")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    api = client.get(
        "/v1/reports/dsr-metrics?regime=gdpr&year=2025", headers=year_of_requests
    ).get_json()

    # One bar per type, its count the API's, its length in proportion.
    bars = _bars(page)
    assert bars == {row["type"]: row["received"] for row in api["by_type"]}
    assert bars["access"] == 3 and bars["erasure"] == 2 and bars["opt_out"] == 0
    widths = dict(zip(bars, _widths(page), strict=True))
    assert widths["erasure"] == pytest.approx(widths["access"] * 2 / 3, abs=0.2)
    assert widths["opt_out"] == 0
    # The figures: mean and median days of the denied erasures (4 and 12 days).
    erasure = page.split('data-row="erasure"')[1].split("</tr>")[0]
    assert 'class="mean" data-label="Mean days to respond">8.0<' in erasure
    assert 'class="median" data-label="Median days to respond">8.0<' in erasure
    totals = page.split('data-row="total"')[1].split("</tr>")[0]
    assert ">5</td>" in totals  # received in 2025 under the GDPR
    assert "by-category" not in page  # categories are CCPA's
    assert "<script" not in page and "style=" not in page  # nothing the CSP forbids


def test_a_ccpa_report_has_the_categories_and_regime_is_required(
    client, make_user, sign_in, year_of_requests
):
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/reports?regime=ccpa&year=2025").get_data(as_text=True)
    bars = _bars(page)
    assert bars == {"know": 1, "delete": 0, "correct": 0, "opt_out": 1, "limit": 0}
    assert 'id="by-category"' in page and "Requests received per CCPA category" in page

    no_regime = client.get("/console/reports?year=2025")
    assert no_regime.status_code == 200
    text = no_regime.get_data(as_text=True)
    assert 'id="choose-regime"' in text and 'id="report-chart"' not in text
    bad = client.get("/console/reports?regime=hipaa&year=2025")
    assert bad.status_code == 400 and "Check the report" in bad.get_data(as_text=True)


def test_the_records_csv_holds_the_apis_records(client, make_user, sign_in, year_of_requests):
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/reports?regime=gdpr&year=2025").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="records-csv"', page).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    query = link.split("?", 1)[1]
    api = client.get(f"/v1/reports/dsr-records?{query}", headers=year_of_requests).get_json()
    assert len(rows) == len(api["items"]) == 5
    by_id = {row["id"]: row for row in rows}
    for record in api["items"]:
        row = by_id[record["id"]]
        assert set(row) == set(record)
        for field, value in record.items():
            expected = (
                ""
                if value is None
                else str(value).lower()
                if value in (True, False)
                else str(value)
            )
            assert row[field] == expected, (field, row[field], value)
    denied = [row for row in rows if row["nature_of_response"] == "denied"]
    assert {row["denial_basis"] for row in denied} == {"identity_not_verified"}
    empty = client.get(
        "/console/reports/records.csv?regime=gdpr&received_from=2025-02-01&received_before=2025-01-01"
    )
    assert empty.status_code == 400


def test_a_moderator_and_an_auditor_may_not_open_the_reports(client, make_user, sign_in):
    for role in ("moderator", "auditor"):
        sign_in(make_user(role))
        assert client.get("/console/reports?regime=gdpr&year=2025").status_code == 403
        assert client.get("/console/reports/records.csv?regime=gdpr").status_code == 403


def test_the_report_reads_in_dutch(client, make_user, sign_in, year_of_requests):
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/reports?regime=ccpa&year=2025&lang=nl").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Rapportages" in page and "Registraties als CSV" in page
    assert "Gemiddeld aantal dagen tot antwoord" in page


def test_every_label_of_these_pages_has_a_dutch_translation():
    label = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)"|_\(\s*'((?:[^'\\]|\\.)*)'""")
    missing = set()
    for name in MY_TEMPLATES:
        for double, single in label.findall((TEMPLATES / name).read_text()):
            text = double or single
            if not text.endswith(":") and text not in DUTCH:  # prefixes are joined
                missing.add(text)
    prefixed = [key for key in i18n_admin.DUTCH if ":" in key.split(" ")[0]]
    assert all(key in ENGLISH for key in prefixed)
    assert not missing, sorted(missing)


# --- Witnesses on the checkpoints page ---------------------------------------------------


@pytest.fixture
def signer(app_config):
    """The test log's signer settings (its key signs the checkpoints)."""
    return load_signer_settings(app_config)


def _run_witness(client, headers: dict, state: Path, signer, *, cosign: bool = True):
    """Run the real witness once against the API through the test client."""

    def fetch(path: str) -> tuple[int, str]:
        response = client.get(path, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    def post(path: str, body: dict) -> tuple[int, str]:
        response = client.post(path, json=body, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    cosigner = Signer("auditor.example/w1", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    return witness_once(
        fetch,
        state,
        [signer.verifier],
        post=post if cosign else None,
        cosigner=cosigner if cosign else None,
    )


def _upload(client, state_bytes: bytes):
    page = client.get("/console/audit/checkpoints").get_data(as_text=True)
    token = page.split('action="/console/audit/witness-state"')[1]
    token = re.search(r'name="csrf_token" value="([^"]+)"', token).group(1)
    return client.post(
        "/console/audit/witness-state",
        data={"csrf_token": token, "state": (io.BytesIO(state_bytes), "witness.json")},
        content_type="multipart/form-data",
    )


def _field(page: str, block_id: str, css: str) -> str:
    block = page.split(f'id="{block_id}"')[1].split("</dl>")[0]
    return re.search(rf'class="[^"]*{css}[^"]*">([^<]*)<', block).group(1)


def test_the_checkpoints_page_shows_what_the_witness_last_saw(
    client, make_user, sign_in, db_url, integrate_audit, auth, signer, tmp_path
):
    auditor_key = auth("auditor")
    sign_in(make_user("auditor"))
    fill(db_url, 3)
    integrate_audit()
    state = tmp_path / "witness.json"
    result = _run_witness(client, auditor_key, state, signer)
    assert result.cosigned
    witnessed = json.loads(state.read_text())["checkpoints"][-1]
    fill(db_url, 4)  # the log grows after the witness ran
    integrate_audit()

    page = client.get("/console/audit/checkpoints").get_data(as_text=True)
    assert 'data-witness="auditor.example/w1"' in page
    assert _field(page, "witness-1", "witnessed-size") == str(witnessed["size"])
    assert _field(page, "witness-1", "witnessed-root") == witnessed["root"]
    assert _field(page, "witness-1", "witnessed-fingerprint") == signer.verifier.fingerprint
    consistency = page.split('id="witness-1"')[1].split("</dl>")[0]
    assert '<span class="ok">OK</span>' in consistency and "ALARM" not in consistency

    # The auditor's own state file, handed in: the same view, checked against the log now.
    response = _upload(client, state.read_bytes())
    assert response.status_code == 200
    checked = response.get_data(as_text=True)
    assert 'id="state-check"' in checked
    assert _field(checked, "state-witnessed", "witnessed-size") == str(witnessed["size"])
    assert _field(checked, "state-witnessed", "witnessed-root") == witnessed["root"]
    latest = checked.split('id="state-witnessed"')[1].split("</dl>")[0]
    assert "OK" in latest and "extends it" in latest


def test_a_rewritten_log_shows_the_witness_alarm(
    client, make_user, sign_in, db_url, integrate_audit, auth, signer, tmp_path, conn
):
    auditor_key = auth("auditor")
    sign_in(make_user("auditor"))
    fill(db_url, 3)
    integrate_audit()
    state = tmp_path / "witness.json"
    _run_witness(client, auditor_key, state, signer)
    size = json.loads(state.read_text())["checkpoints"][-1]["size"]
    fill(db_url, 3)
    integrate_audit()
    # Someone with the log key signs another tree of the latest size: it cannot extend
    # what the witness saw.
    [latest] = conn.execute("SELECT max(tree_size) AS n FROM audit_checkpoints").fetchone().values()
    other = merkle.MemoryHashes()
    for n in range(latest):
        other.append(merkle.leaf_hash(f"forged {n}".encode()))
    forged = Checkpoint(signer.audit.origin, latest, other.frontier.root())
    conn.execute("SET session_replication_role = replica")
    conn.execute(
        "UPDATE audit_checkpoints SET note = %s WHERE tree_size = %s",
        [sign_note(forged.text(), signer.signer).encode(), latest],
    )
    page = client.get("/console/audit/checkpoints").get_data(as_text=True)
    block = page.split('id="witness-1"')[1].split("</dl>")[0]
    assert "ALARM (fork)" in block and "does not extend the tree of" in block
    assert _field(page, "witness-1", "witnessed-size") == str(size)

    checked = _upload(client, state.read_bytes()).get_data(as_text=True)
    assert "ALARM (fork)" in checked.split('id="state-witnessed"')[1].split("</dl>")[0]
    # Dutch: the alarm's name is translated.
    nl = client.get("/console/audit/checkpoints?lang=nl").get_data(as_text=True)
    assert "ALARM (vork)" in nl and "Getuigen" in nl


def test_a_file_that_is_no_witness_state_is_refused(client, make_user, sign_in, integrate_audit):
    sign_in(make_user("auditor"))
    integrate_audit()
    page = client.get("/console/audit/checkpoints").get_data(as_text=True)
    assert 'id="no-witness"' in page
    for content, message in (
        (b"not json", "The file is not JSON"),
        (b'{"checkpoints": []}', "holds no checkpoint yet"),
    ):
        response = _upload(client, content)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert _upload(client, b"").status_code == 400


# --- API keys ------------------------------------------------------------------------------


def test_an_admin_creates_a_key_that_works_and_revokes_it_after_confirming(
    client, make_user, sign_in, conn
):
    admin = make_user("admin")
    sign_in(admin)
    created = post_form(
        client, "/console/keys", {"name": "Helpdesk sync", "role": "privacy_officer"}
    )
    assert created.status_code == 201
    page = created.get_data(as_text=True)
    secret = re.search(r'id="new-key">([^<]+)<', page).group(1)
    assert "shown only once" in page
    # The key works against the API, for its role only.
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/requests", headers=headers).status_code == 200
    assert client.get("/v1/keys", headers=headers).status_code == 403
    # The list shows it with role, creation and last use, never the key again.
    listing = client.get("/console/keys").get_data(as_text=True)
    assert secret not in listing
    [row] = [r for r in listing.split("<tr ")[1:] if "Helpdesk sync" in r]
    assert "privacy_officer" in row and "UTC" in row and "never" not in row.split("</td>")[3]
    key_id = re.search(r'data-key="([^"]+)"', row).group(1)
    [event] = conn.execute(
        "SELECT actor_type, actor_key_id, details FROM audit_events WHERE action = 'key.created'"
        " AND target_id = %s",
        [key_id],
    ).fetchall()
    assert event["actor_type"] == "user" and str(event["actor_key_id"]) == str(admin.id)
    assert secret not in str(event["details"])

    # Revoking asks first; after confirming, the API refuses the key (the process that
    # revoked it forgets its cached key at once).
    confirm = client.get(f"/console/keys/{key_id}/revoke").get_data(as_text=True)
    assert "Revoke the key Helpdesk sync (privacy_officer)?" in confirm
    revoked = post_form(
        client, f"/console/keys/{key_id}/revoke", {}, from_page=f"/console/keys/{key_id}/revoke"
    )
    assert revoked.status_code == 303
    assert client.get("/v1/requests", headers=headers).status_code == 401
    after = client.get("/console/keys").get_data(as_text=True)
    assert "Revoked the key Helpdesk sync." in after
    [row] = [r for r in after.split("<tr ")[1:] if "Helpdesk sync" in r]
    assert ">revoked<" in row and "/revoke" not in row
    assert (
        conn.execute(
            "SELECT count(*) AS n FROM audit_events"
            " WHERE action = 'key.revoked' AND target_id = %s",
            [key_id],
        ).fetchone()["n"]
        == 1
    )


def test_a_key_form_needs_a_name_a_role_and_its_csrf_token(client, make_user, sign_in, conn):
    sign_in(make_user("admin"))
    bad = post_form(client, "/console/keys", {"name": "", "role": "overlord"})
    assert bad.status_code == 400 and "Check the fields" in bad.get_data(as_text=True)
    forged = client.post("/console/keys", data={"name": "x", "role": "admin", "csrf_token": "no"})
    assert forged.status_code == 400
    assert conn.execute("SELECT count(*) AS n FROM api_keys").fetchone()["n"] == 0


def test_a_new_key_never_reaches_a_log_and_a_revoked_one_is_not_asked_again(
    client, make_user, sign_in, caplog
):
    caplog.set_level(logging.DEBUG)
    sign_in(make_user("admin"))
    page = post_form(client, "/console/keys", {"name": "Nightly export", "role": "auditor"})
    secret = re.search(r'id="new-key">([^<]+)<', page.get_data(as_text=True)).group(1)
    [row] = [r for r in page.get_data(as_text=True).split("<tr ")[1:] if "Nightly export" in r]
    key_id = re.search(r'data-key="([^"]+)"', row).group(1)
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert any('"msg": "request"' in line for line in lines)
    assert not [line for line in lines if secret in line]

    path = f"/console/keys/{key_id}/revoke"
    assert post_form(client, path, {}).status_code == 303
    again = client.get(path).get_data(as_text=True)
    assert "The key Nightly export is already revoked." in again
    assert 'id="confirm-revoke"' not in again
    unknown = "/console/keys/00000000-0000-4000-8000-000000000000/revoke"
    assert client.get(unknown).status_code == 404
    assert post_form(client, unknown, {}, from_page="/console/keys").status_code == 404


# --- Reply policies ------------------------------------------------------------------------


def test_an_admin_edits_a_platforms_reply_policy(client, make_user, sign_in, auth, conn):
    sign_in(make_user("admin"))
    listing = client.get("/console/policies").get_data(as_text=True)
    row = listing.split('data-platform="x"')[1].split("</tr>")[0]
    assert "built-in default" in row and "PHONE_NUMBER" in row.split('class="blocked"')[1]

    form_page = client.get("/console/policies/twitter")  # an alias finds the platform
    assert form_page.status_code == 200
    page = form_page.get_data(as_text=True)
    assert 'name="public.entity.PHONE_NUMBER"' in page
    fields = {
        "public.default": "pass",
        "public.entity.PHONE_NUMBER": "redact",
        "public.entity.EMAIL_ADDRESS": "block",
        "private.default": "pass",
        "private.entity.CREDIT_CARD": "block",
        "greet_customer_by": "first_name",
        "allow_values": "support@brand.example\n\n@brand\n",
    }
    saved = post_form(client, "/console/policies/x", fields)
    assert saved.status_code == 303
    api = client.get("/v1/policies/x", headers=auth("admin")).get_json()
    assert api["source"] == "custom"
    assert api["policy"]["public"]["entities"] == {
        "PHONE_NUMBER": "redact",
        "EMAIL_ADDRESS": "block",
    }
    assert api["policy"]["private"]["entities"] == {"CREDIT_CARD": "block"}
    assert api["policy"]["greet_customer_by"] == ["first_name"]
    assert api["policy"]["allow_values"] == ["support@brand.example", "@brand"]
    [event] = conn.execute(
        "SELECT actor_type, details FROM audit_events WHERE action = 'policy.updated'"
    ).fetchall()
    assert event["actor_type"] == "user" and event["details"]["allow_values"] == 2
    assert "support@brand.example" not in str(event["details"])
    # The form shows the stored policy back.
    again = client.get("/console/policies/x").get_data(as_text=True)
    assert "own policy" in again
    chosen = again.split('name="public.entity.PHONE_NUMBER"')[1].split("</select>")[0]
    assert '<option value="redact" selected>' in chosen

    unknown = post_form(
        client, "/console/policies/x", {**fields, "public.entity.SHOE_SIZE": "block"}
    )
    assert unknown.status_code == 422
    shown = unknown.get_data(as_text=True)
    assert "SHOE_SIZE" in shown.split('id="error"')[1].split("</p>")[0]
    # The form comes back with what was entered, the unknown type included.
    kept = shown.split('name="public.entity.SHOE_SIZE"')[1].split("</select>")[0]
    assert '<option value="block" selected>' in kept
    bad_action = post_form(client, "/console/policies/x", {**fields, "public.default": "shout"})
    assert bad_action.status_code == 400
    assert "public.default" in bad_action.get_data(as_text=True).split('id="error"')[1]
    # Neither refused form changed the stored policy.
    assert client.get("/v1/policies/x", headers=auth("admin")).get_json() == api
    assert client.get("/console/policies/myspace").status_code == 404
    assert (
        post_form(
            client, "/console/policies/myspace", fields, from_page="/console/policies"
        ).status_code
        == 404
    )


# --- Recipients ----------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict, request) -> dict:
    """The test app's settings; with ``private_webhooks`` a webhook may be on a private address
    (this machine's), which is refused by default."""
    if "private_webhooks" in request.fixturenames:
        return {**app_config, "PRIVACY_WEBHOOK_ALLOW_PRIVATE": "true"}
    return app_config


@pytest.fixture
def private_webhooks() -> str:
    """A webhook URL on this machine (never called here: the register only checks it)."""
    return "https://127.0.0.1:9/privacy"


def test_an_officer_keeps_the_register_of_recipients(
    client, make_user, sign_in, auth, conn, private_webhooks
):
    sign_in(make_user("privacy_officer"))
    added = post_form(
        client,
        "/console/recipients",
        {
            "name": "Mailhouse BV",
            "kind": "processor",
            "contact_email": "privacy@mailhouse.example",
            "data_categories": "e-mail addresses\norder history",
            "purposes": "newsletters",
        },
    )
    assert added.status_code == 303
    officer = auth("privacy_officer")
    [recipient] = client.get("/v1/recipients", headers=officer).get_json()["items"]
    assert recipient["name"] == "Mailhouse BV"
    assert recipient["data_categories"] == ["e-mail addresses", "order history"]
    assert recipient["sale_or_sharing"] is False
    listing = client.get("/console/recipients").get_data(as_text=True)
    assert "Added Mailhouse BV to the register." in listing
    assert "privacy@mailhouse.example" in listing and "e-mail addresses, order history" in listing

    unreachable = post_form(
        client, "/console/recipients", {"name": "Nowhere Ltd", "kind": "controller"}
    )
    assert unreachable.status_code == 400
    assert "must be reachable" in unreachable.get_data(as_text=True)
    assert len(client.get("/v1/recipients", headers=officer).get_json()["items"]) == 1

    # Edit: a webhook instead of e-mail, and now told of opt-outs.
    edit_path = f"/console/recipients/{recipient['id']}"
    form = client.get(edit_path).get_data(as_text=True)
    assert 'value="privacy@mailhouse.example"' in form
    edit = {
        "name": "Mailhouse BV",
        "kind": "third_party",
        "contact_email": "",
        "webhook_url": "https://hooks.mailhouse.invalid/privacy",
        "data_categories": "e-mail addresses",
        "purposes": "newsletters",
        "sale_or_sharing": "yes",
    }
    # A webhook the service could not call (its host does not resolve) is refused on the form.
    refused = post_form(client, edit_path, edit, from_page=edit_path)
    assert refused.status_code == 400
    assert "hooks.mailhouse.invalid does not resolve" in refused.get_data(as_text=True)
    unchanged = client.get(f"/v1/recipients/{recipient['id']}", headers=officer).get_json()
    assert unchanged["webhook_url"] is None and unchanged["kind"] == "processor"
    saved = post_form(client, edit_path, {**edit, "webhook_url": private_webhooks})
    assert saved.status_code == 303
    changed = client.get(f"/v1/recipients/{recipient['id']}", headers=officer).get_json()
    assert changed["kind"] == "third_party" and changed["contact_email"] is None
    assert changed["webhook_url"] == private_webhooks
    assert changed["sale_or_sharing"] is True
    [event] = conn.execute(
        "SELECT actor_type, details FROM audit_events WHERE action = 'recipient.updated'"
    ).fetchall()
    assert event["actor_type"] == "user"
    assert event["details"]["fields"] == [
        "contact_email",
        "data_categories",
        "kind",
        "sale_or_sharing",
        "webhook_url",
    ]
    assert "mailhouse" not in str(event["details"])
    no_contact = post_form(
        client, edit_path, {"name": "Mailhouse BV", "kind": "processor"}, from_page=edit_path
    )
    assert no_contact.status_code == 400 and "must be reachable" in no_contact.get_data(
        as_text=True
    )

    missing = "/console/recipients/00000000-0000-4000-8000-000000000000"
    assert client.get(missing).status_code == 404
    assert post_form(client, missing, {}, from_page="/console/recipients").status_code == 404

    # Archive (disable): gone from the list and from the API's active register.
    archived = post_form(client, f"{edit_path}/archive", {}, from_page="/console/recipients")
    assert archived.status_code == 303
    assert client.get("/v1/recipients", headers=officer).get_json()["items"] == []
    active = client.get("/console/recipients").get_data(as_text=True)
    assert "The register is empty." in active
    everything = client.get("/console/recipients?include_archived=1").get_data(as_text=True)
    assert 'class="recipient-state">archived<' in everything


# --- Every admin page ----------------------------------------------------------------------


def test_a_moderator_opens_none_of_the_admin_pages(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    for path in (
        "/console/keys",
        "/console/policies",
        "/console/policies/x",
        "/console/recipients",
    ):
        assert client.get(path).status_code == 403, path


def test_an_admin_sees_the_pages_in_the_navigation_and_in_dutch(client, make_user, sign_in):
    sign_in(make_user("admin"))
    home = client.get("/console/").get_data(as_text=True)
    for path in ("/console/reports", "/console/keys", "/console/policies", "/console/recipients"):
        assert f'href="{path}"' in home, path
    nl = client.get("/console/keys?lang=nl").get_data(as_text=True)
    assert "API-sleutels" in nl and "Nieuwe API-sleutel" in nl
    nl = client.get("/console/recipients?lang=nl").get_data(as_text=True)
    assert "Ontvangers en verwerkers" in nl
    nl = client.get("/console/policies/x?lang=nl").get_data(as_text=True)
    assert "Openbare antwoorden" in nl and "tegenhouden" in nl


def test_the_admin_forms_refuse_a_forged_token_and_change_nothing(client, make_user, sign_in, conn):
    sign_in(make_user("admin"))
    recipient = post_form(
        client,
        "/console/recipients",
        {"name": "Archive Co", "kind": "processor", "contact_email": "dpo@archive.example"},
    )
    assert recipient.status_code == 303
    [row] = conn.execute("SELECT id FROM dsr_recipients").fetchall()
    key = post_form(client, "/console/keys", {"name": "Kept", "role": "moderator"})
    [key_row] = conn.execute("SELECT id FROM api_keys").fetchall()
    assert key.status_code == 201
    before = conn.execute("SELECT count(*) AS n FROM audit_events").fetchone()["n"]
    forms = {
        "/console/keys": {"name": "Forged", "role": "admin"},
        f"/console/keys/{key_row['id']}/revoke": {},
        "/console/policies/x": {"public.default": "block", "private.default": "block"},
        "/console/recipients": {"name": "Forged", "kind": "processor", "contact_email": "a@b.nl"},
        f"/console/recipients/{row['id']}": {"name": "Forged", "kind": "controller"},
        f"/console/recipients/{row['id']}/archive": {},
    }
    for path, data in forms.items():
        response = client.post(path, data={**data, "csrf_token": "forged"})
        assert response.status_code == 400, path
    assert conn.execute("SELECT count(*) AS n FROM audit_events").fetchone()["n"] == before
    assert conn.execute("SELECT name, archived_at FROM dsr_recipients").fetchone() == {
        "name": "Archive Co",
        "archived_at": None,
    }
    assert conn.execute("SELECT revoked_at FROM api_keys").fetchone()["revoked_at"] is None
