"""Webhook URLs cannot be used to reach what only the service can reach (SSRF).

At registration a URL must be https and resolve to public addresses; at every call the host is
resolved again and checked, the connection goes to the checked address, redirects are not
followed, and TLS checks the certificate against the URL's host name.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service import create_app
from service.dsr.webhooks import (
    WebhookPolicy,
    WebhookRefused,
    deliver,
    post_signed,
    resolve_webhook_url,
)
from tests.archive.conftest import run_worker_once

LOCAL = WebhookPolicy(allow_http=True, allow_private=True)

REFUSED = [
    ("http://93.184.215.14/hook", "https"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://localhost:8443/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://192.168.0.10/hook", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://100.64.0.1/hook", "reserved"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://0.0.0.0/hook", "reserved"),
    ("https://no-such-host.invalid/hook", "does not resolve"),
    ("https://user:pw@93.184.215.14/hook", "user or password"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_registration_refuses_urls_the_service_must_not_call(client, auth, url, why):
    response = client.post(
        "/v1/recipients",
        json={"name": "Helpdesk Ltd", "kind": "processor", "webhook_url": url},
        headers=auth("privacy_officer"),
    )

    assert response.status_code == 422, response.get_json()
    assert response.content_type.startswith("application/problem+json")
    [message] = response.get_json()["errors"]["webhook_url"]
    if why in ("https", "does not resolve", "user or password"):
        assert why in message
    else:
        assert "public https address" in message


@pytest.mark.parametrize(
    "url", ["https://[::ffff:10.0.0.1]/", "https://[fe80::1]/", "https://[fc00::5]/"]
)
def test_ipv6_forms_of_private_addresses_are_refused(url):
    with pytest.raises(WebhookRefused) as refused:
        resolve_webhook_url(url, WebhookPolicy())

    assert refused.value.category == "address_refused"


def test_a_public_https_url_is_registered_and_an_update_is_checked_too(client, auth):
    officer = auth("privacy_officer")
    created = client.post(
        "/v1/recipients",
        json={
            "name": "Helpdesk Ltd",
            "kind": "processor",
            "webhook_url": "https://93.184.215.14/h",
        },
        headers=officer,
    )
    recipient = created.get_json()
    to_private = client.patch(
        f"/v1/recipients/{recipient['id']}",
        json={"webhook_url": "https://10.0.0.8/h"},
        headers=officer,
    )
    renamed = client.patch(
        f"/v1/recipients/{recipient['id']}",
        json={"name": "Helpdesk BV", "contact_email": "dpo@helpdesk.example"},
        headers=officer,
    )
    cleared = client.patch(
        f"/v1/recipients/{recipient['id']}",
        json={"webhook_url": None},
        headers=officer,
    )
    unreachable = client.patch(
        f"/v1/recipients/{recipient['id']}",
        json={"contact_email": None},
        headers=officer,
    )

    assert created.status_code == 201, recipient
    assert to_private.status_code == 422 and "webhook_url" in to_private.get_json()["errors"]
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["name"] == "Helpdesk BV"
    assert renamed.get_json()["webhook_url"] == "https://93.184.215.14/h"
    assert cleared.status_code == 200 and cleared.get_json()["webhook_url"] is None
    assert unreachable.status_code == 422
    assert client.get(f"/v1/recipients/{recipient['id']}", headers=officer).get_json()[
        "contact_email"
    ] == ("dpo@helpdesk.example")


def test_the_settings_allow_a_local_receiver(app_config, make_key, hooks):
    """The two settings are what lets a test (or a private network) use http://127.0.0.1."""
    config = {k: v for k, v in app_config.items() if not k.startswith("PRIVACY_WEBHOOK_ALLOW")}
    strict = create_app(config)
    allowed = create_app(app_config)
    try:
        headers = {"Authorization": f"Bearer {make_key('privacy_officer')}"}
        body = {"name": "Local", "kind": "processor", "webhook_url": hooks.url}
        refused = strict.test_client().post("/v1/recipients", json=body, headers=headers)
        accepted = allowed.test_client().post("/v1/recipients", json=body, headers=headers)
    finally:
        strict.extensions["privacy"].close()
        allowed.extensions["privacy"].close()

    assert refused.status_code == 422 and "https" in refused.get_json()["errors"]["webhook_url"][0]
    assert accepted.status_code == 201


def test_the_address_is_checked_again_when_the_task_is_sent(
    app_config, make_key, archive, hooks, conn
):
    """A URL that passed once (or a name whose DNS now answers a private address) is refused
    at sending time by a worker with the default settings: the receiver gets nothing."""
    app = create_app(app_config)  # allows the local receiver: registration passes
    try:
        client = app.test_client()
        officer = {"Authorization": f"Bearer {make_key('privacy_officer')}"}
        archive.subject(handles=[("x", "@anna_j")])
        port = hooks.server.server_address[1]
        registered = client.post(
            "/v1/recipients",
            json={
                "name": "Helpdesk Ltd",
                "kind": "processor",
                "webhook_url": f"http://localhost:{port}/hook",
            },
            headers=officer,
        )
        assert registered.status_code == 201, registered.get_json()
        filed = client.post(
            "/v1/requests",
            json={
                "type": "restriction",
                "regime": "gdpr",
                "subject": {"handles": [{"platform": "x", "handle": "@anna_j"}]},
                "received_at": dt.datetime.now(dt.UTC).isoformat(),
            },
            headers=officer,
        ).get_json()
        executed = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)
        assert executed.status_code == 200, executed.get_json()
        strict = {
            **app_config,
            "PRIVACY_WEBHOOK_ALLOW_HTTP": "true",
            "PRIVACY_WEBHOOK_ALLOW_PRIVATE": "false",
            "PRIVACY_DSR_SEND_RETRY_SECONDS": "none",
        }
        run_worker_once(strict)
        [task] = client.get(f"/v1/requests/{filed['id']}/tasks", headers=officer).get_json()[
            "items"
        ]
    finally:
        app.extensions["privacy"].close()

    assert (task["status"], task["last_error"]) == ("send_failed", "address_refused")
    assert hooks.calls == []


def test_a_redirect_is_not_followed(hooks):
    hooks.status = 307  # a receiver (or an attacker) pointing elsewhere

    error = deliver(hooks.url + "/hook", {"x": 1}, b"secret", policy=LOCAL)

    assert error == "redirect"
    assert [call["path"] for call in hooks.calls] == ["/hook"]


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(hooks):
    port = hooks.server.server_address[1]

    status = post_signed(f"http://localhost:{port}/hook?a=1", {"x": 1}, b"s", policy=LOCAL)

    assert status == 200
    [call] = hooks.calls
    assert call["path"] == "/hook?a=1"
    assert call["headers"]["Host"] == f"localhost:{port}"


@pytest.fixture
def tls_receiver(tmp_path: Path):
    """Run an HTTPS receiver on 127.0.0.1 whose certificate names only ``localhost``; yield
    (port, path of the CA certificate that signed it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = tmp_path / "receiver.pem"
    key_file = tmp_path / "receiver.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    calls: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            calls.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert_file, calls
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_tls_verifies_the_certificate_against_the_host_name(tls_receiver, monkeypatch):
    port, ca_file, calls = tls_receiver
    untrusted = deliver(f"https://localhost:{port}/h", {"x": 1}, b"s", policy=LOCAL)
    # Trust the receiver's CA (OpenSSL reads SSL_CERT_FILE when a context loads its defaults).
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    trusted = deliver(f"https://localhost:{port}/h", {"x": 1}, b"s", policy=LOCAL)
    wrong_name = deliver(f"https://127.0.0.1:{port}/h", {"x": 1}, b"s", policy=LOCAL)

    assert untrusted == "tls"
    assert trusted is None  # delivered: connected to 127.0.0.1, verified as localhost
    assert wrong_name == "tls"  # the certificate does not name 127.0.0.1
    assert calls == ["/h"]
