"""HTTP resources: one flask-smorest Blueprint per module, all built on the Blueprint below."""

from __future__ import annotations

from typing import Any

import flask_smorest
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from service.api import body

UNSTORABLE = "Contains a NUL character or an unpaired surrogate."


def unstorable_strings(value: Any, path: str = "") -> list[str]:
    """Return the paths of strings that PostgreSQL cannot store (NUL, unpaired surrogates)."""
    if isinstance(value, str):
        if "\x00" in value:
            return [path or "body"]
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return [path or "body"]
        return []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += unstorable_strings(key, child) + unstorable_strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += unstorable_strings(item, f"{path}.{index}" if path else str(index))
    return found


class _Parser(FlaskParser):
    """Parse request arguments, refusing strings the database cannot store (a 422, not a 500)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        # Syntax errors propagate to webargs' load_json (an empty body is "missing", else 400).
        data = body.loads(body.read_whole_body(req))
        problems = unstorable_strings(data) if isinstance(data, dict | list | str) else []
        if problems:
            raise ValidationError({path: [UNSTORABLE] for path in problems[:20]})
        return data

    def load_querystring(self, req, schema):
        problems = [
            name
            for name, value in req.args.items(multi=True)
            if unstorable_strings(name) or unstorable_strings(value)
        ]
        if problems:
            raise ValidationError({name: [UNSTORABLE] for name in problems[:20]})
        return super().load_querystring(req, schema)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest Blueprint whose JSON bodies are strict and hold only storable text."""

    ARGUMENTS_PARSER = _Parser()
