"""Request bodies read whole: a chunked body over the route's limit is a 413, not cut JSON."""

from __future__ import annotations

from service.errors import PayloadTooLarge


def read_whole_body(request) -> bytes:
    """Return the request body; raise PayloadTooLarge when a body without a length is too long.

    With a Content-Length over the limit werkzeug refuses the request before reading it; a
    chunked body is cut at the limit instead, which would otherwise read as truncated JSON.
    """
    data = request.get_data(cache=True)
    limit = request.max_content_length
    if (
        limit is not None
        and request.content_length is None
        and len(data) >= limit
        and request.environ["wsgi.input"].read(1)
    ):
        raise PayloadTooLarge(
            f"The request body is larger than {limit} bytes.", extra={"limit": limit}
        )
    return data
