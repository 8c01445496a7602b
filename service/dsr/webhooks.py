"""Signed webhooks: a JSON body POSTed with an HMAC-SHA256 signature the receiver can check.

The signature header is ``X-Privacy-Signature: t=<unix time>,v1=<hex>``, where ``hex`` is
HMAC-SHA256 over ``<unix time>.<body>`` with the shared secret: a receiver recomputes it and
refuses a stale time, so a captured call cannot be replayed later.

Webhook URLs are given by officers, so the service must not become a way to reach what only
it can reach (SSRF): a URL must be ``https`` and its host must resolve only to public
addresses (not loopback, private, link-local, shared, multicast, reserved or unspecified ones).
It is checked when it is registered and again at every call: the host is resolved, every
address checked, and the connection made to the checked address itself, so a name that
resolves differently the second time (DNS rebinding) cannot slip through. TLS still verifies
the certificate against the host name of the URL; redirects are never followed (a 3xx is a
failed delivery). ``PRIVACY_WEBHOOK_ALLOW_HTTP`` and ``PRIVACY_WEBHOOK_ALLOW_PRIVATE`` lift
the two rules, for a receiver on a private network or a local test.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Privacy-Signature"
DELIVERY_HEADER = "X-Privacy-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class WebhookPolicy:
    """Which webhook URLs may be called (see the module's docstring)."""

    allow_http: bool = False
    allow_private: bool = False


class WebhookRefused(ValueError):
    """A webhook URL the policy does not allow; ``category`` says why (no URL in it)."""

    def __init__(self, message: str, category: str):
        super().__init__(message)
        self.category = category


class DeliveryFailed(Exception):
    """A webhook call that did not succeed; ``category`` is all that is recorded of it."""

    def __init__(self, category: str):
        super().__init__(category)
        self.category = category


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """Return the signature header value of a body sent at ``timestamp``."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: bytes, header: str, body: bytes, *, max_age: int = 300) -> bool:
    """Tell whether a signature header is valid for the body and recent (receiver side)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > max_age:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def _address_allowed(address: str, policy: WebhookPolicy) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return False
    return policy.allow_private or ip.is_global


def resolve_webhook_url(url: str, policy: WebhookPolicy) -> tuple[str, int, list[str]]:
    """Return (host, port, addresses to connect to) of an allowed URL; raise WebhookRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused("The webhook URL is not a valid URL.", "invalid_url") from exc
    allowed_schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise WebhookRefused("A webhook URL must be https://host/...", "invalid_url")
    if parts.username or parts.password:
        raise WebhookRefused("A webhook URL may not carry a user or password.", "invalid_url")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(f"The webhook's host {host} does not resolve.", "dns") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise WebhookRefused(f"The webhook's host {host} does not resolve.", "dns")
    # Every address must be allowed: a name resolving to one public and one private address
    # could otherwise reach the private one.
    if not all(_address_allowed(address, policy) for address in addresses):
        raise WebhookRefused(
            f"The webhook's host {host} resolves to a loopback, private, link-local, multicast "
            "or reserved address; give a public https address.",
            "address_refused",
        )
    return host, port, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address, with the URL's host in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; the certificate is checked for the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def failure_category(exc: BaseException) -> str:
    """Return the category recorded for a failed call (never its message)."""
    if isinstance(exc, WebhookRefused | DeliveryFailed):
        return exc.category
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, socket.gaierror):
        return "dns"
    return "connection_error"


def status_category(status: int) -> str | None:
    """Return the failure category of an HTTP status, or None for a 2xx."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return "redirect"
    if 400 <= status < 500:
        return "http_4xx"
    return "http_5xx"


def post_signed(
    url: str,
    payload: Mapping[str, Any],
    secret: bytes,
    *,
    policy: WebhookPolicy,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> int:
    """POST ``payload`` as signed JSON to an allowed URL; return the HTTP status.

    Raise WebhookRefused for a URL the policy refuses (checked now, on a fresh resolution),
    OSError or http.client.HTTPException when no answer came. Redirects are not followed.
    """
    host, port, addresses = resolve_webhook_url(url, policy)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": "privacy-service-webhook/1",
        **(headers or {}),
        SIGNATURE_HEADER: signature(secret, int(time.time()), body),
    }
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    last_error: BaseException | None = None
    for address in addresses:
        connection = connection_class(host, port, address, timeout)
        try:
            try:
                connection.connect()
            except ConnectionRefusedError as exc:
                # Try the host's next address; the last refusal is the error.
                last_error = exc
                continue
            connection.request("POST", target, body=body, headers=all_headers)
            response = connection.getresponse()
            response.read(64 * 1024)  # drain a little; the body is never kept
            return response.status
        finally:
            connection.close()
    assert last_error is not None
    raise last_error


def deliver(
    url: str,
    payload: Mapping[str, Any],
    secret: bytes,
    *,
    policy: WebhookPolicy,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> str | None:
    """POST a signed payload; return None when a 2xx answered, else the failure's category."""
    try:
        status = post_signed(url, payload, secret, policy=policy, headers=headers, timeout=timeout)
    except (OSError, http.client.HTTPException, WebhookRefused) as exc:
        return failure_category(exc)
    return status_category(status)
