"""Signed webhooks: a JSON body POSTed with an HMAC-SHA256 signature the receiver can check.

The signature header is ``X-Privacy-Signature: t=<unix time>,v1=<hex>``, where ``hex`` is
HMAC-SHA256 over ``<unix time>.<body>`` with the shared secret: a receiver recomputes it and
refuses a stale time, so a captured call cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

SIGNATURE_HEADER = "X-Privacy-Signature"
DEFAULT_TIMEOUT_SECONDS = 10.0


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


def post_signed(
    url: str, payload: dict[str, Any], secret: bytes, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> int:
    """POST ``payload`` as signed JSON; return the HTTP status; raise OSError when unreachable."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("a webhook URL must be http(s)")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
