"""Flask's JSON provider: orjson to encode, a strict standard parser to decode.

Encoding uses orjson, a faster encoder than the standard library's json. Decoding stays on the
standard parser, held to the API's rules: nesting at most ``MAX_JSON_DEPTH`` levels, number
literals of at most ``MAX_NUMBER_CHARS`` characters, no NaN/Infinity and no key twice in one
object. What breaks a rule is a 422 naming it (`StrictJsonError`); a syntax error stays a
``ValueError`` (a 400).
"""

from __future__ import annotations

import dataclasses
import decimal
import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

from service.errors import Unprocessable

# Deeper than any body the API documents (policies nest four levels); far below the depth at
# which Python's parser runs out of stack.
MAX_JSON_DEPTH = 32
# Longer number literals are refused before conversion (Python refuses integers of more than
# 4,300 digits with an error; no field of the API needs more than a few digits).
MAX_NUMBER_CHARS = 100


class StrictJsonError(Unprocessable):
    """A body that is valid JSON but outside what the API accepts."""

    def __init__(self, message: str, **extra: Any):
        super().__init__(message, errors={"body": [message]}, extra=extra or None)


def _depth_error() -> StrictJsonError:
    return StrictJsonError(
        f"The body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels.",
        limit=MAX_JSON_DEPTH,
    )


def _number_error() -> StrictJsonError:
    return StrictJsonError(
        f"A number in the body is longer than {MAX_NUMBER_CHARS} characters.",
        limit=MAX_NUMBER_CHARS,
    )


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
    raise StrictJsonError(f"`{name}` is not a JSON value.")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise StrictJsonError(f"The key `{duplicate[:100]}` appears twice in one object.")
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


def strict_loads(data: bytes | str) -> Any:
    """Parse JSON under the API's rules; raise StrictJsonError (422) for what they refuse.

    Syntax errors are raised as json.JSONDecodeError / UnicodeDecodeError (ValueErrors).
    """
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
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


def _default(value: Any) -> Any:
    """Encode what orjson does not know natively, as Flask's default provider would."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encode(obj: Any) -> bytes:
    return orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS)


class JsonProvider(DefaultJSONProvider):
    """Encode with orjson; decode with the strict standard parser (`strict_loads`)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:
            # A caller asked for json.dumps options (indent, sort_keys...): honour them exactly.
            return super().dumps(obj, **kwargs)
        return _encode(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:
            return super().loads(s, **kwargs)
        return strict_loads(s)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(_encode(obj), mimetype=self.mimetype)
