"""Strict JSON bodies: bounded nesting and number size, no duplicate keys, whole bodies only."""

from __future__ import annotations

import json
from typing import Any

from service.errors import PayloadTooLarge, Unprocessable

# Deeper than any body the API documents (policies nest four levels); far below the depth at
# which Python's parser runs out of stack.
MAX_JSON_DEPTH = 32
# Longer number literals are refused before conversion (Python refuses integers of more than
# 4,300 digits with an error; no field of the API needs more than a few digits).
MAX_NUMBER_CHARS = 100


class JsonBodyError(Unprocessable):
    """A body that is valid JSON but outside what the API accepts."""


def _depth_error() -> JsonBodyError:
    message = f"The body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels."
    return JsonBodyError(message, errors={"body": [message]}, extra={"limit": MAX_JSON_DEPTH})


def _number_error() -> JsonBodyError:
    message = f"A number in the body is longer than {MAX_NUMBER_CHARS} characters."
    return JsonBodyError(message, errors={"body": [message]}, extra={"limit": MAX_NUMBER_CHARS})


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _number_error()
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _number_error()
    return float(literal)


def _parse_constant(name: str) -> float:
    # Python's parser accepts NaN and Infinity, which JSON (RFC 8259) does not.
    message = f"`{name}` is not a JSON value."
    raise JsonBodyError(message, errors={"body": [message]})


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        message = f"The key `{duplicate[:100]}` appears twice in one object."
        raise JsonBodyError(message, errors={"body": [message]})
    return result


def _check_depth(value: Any) -> None:
    """Raise when arrays and objects nest deeper than MAX_JSON_DEPTH."""
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        children = []
        for node in level:
            if isinstance(node, dict):
                children.extend(v for v in node.values() if isinstance(v, dict | list))
            elif isinstance(node, list):
                children.extend(v for v in node if isinstance(v, dict | list))
        if not children:
            return
        level = children
    raise _depth_error()


def loads(data: bytes | str) -> Any:
    """Parse a JSON body under the API's rules; raise JsonBodyError (422) for what it refuses.

    Syntax errors are raised as json.JSONDecodeError / UnicodeDecodeError, for a 400.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        raise _depth_error() from None
    _check_depth(value)
    return value


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
