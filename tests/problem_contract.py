"""Check error responses against the OpenAPI document of the app that sent them."""

from __future__ import annotations

import weakref
from typing import Any

import jsonschema
from flask import Flask, Request, Response
from flask_smorest.spec.plugins import FlaskPlugin

PROBLEM = "application/problem+json"

_documents: weakref.WeakKeyDictionary[Flask, dict] = weakref.WeakKeyDictionary()


def openapi_document(app: Flask) -> dict[str, Any]:
    """Return the app's OpenAPI document (built once per app)."""
    document = _documents.get(app)
    if document is None:
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        document = _documents[app] = api.spec.to_dict()
    return document


def resolve(node: Any, document: dict[str, Any]) -> Any:
    """Return a part of the document with every local `$ref` replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, document)
        return {key: resolve(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, document) for item in node]
    return node


def error_contract_violations(app: Flask, request: Request, response: Response) -> list[str]:
    """Return how an error response departs from what the document declares (empty: it keeps it)."""
    if request.blueprint in app.extensions.get("privacy.html_blueprints", ()):
        # Pages for people (the console) answer errors with a page; their tests check them.
        return []
    where = f"{request.method} {request.path} -> {response.status_code}"
    if response.mimetype != PROBLEM:
        return [f"{where}: sent {response.mimetype}, not {PROBLEM}"]
    document = openapi_document(app)
    body = response.get_json(force=True, silent=True)
    schema = document["components"]["schemas"]["Problem"]
    rule = request.url_rule
    operation = None
    if rule is not None:
        path = document["paths"].get(FlaskPlugin.flaskpath2openapi(rule.rule))
        method = "get" if request.method == "HEAD" else request.method.lower()
        operation = (path or {}).get(method)
    if operation is not None:
        declared = resolve(operation["responses"], document)
        answer = declared.get(str(response.status_code)) or declared.get("default")
        if answer is None:
            return [f"{where}: status not documented (documented: {sorted(declared)})"]
        content = answer.get("content", {})
        if PROBLEM not in content:
            return [f"{where}: documented as {sorted(content)}, not {PROBLEM}"]
        schema = content[PROBLEM]["schema"]
    try:
        jsonschema.validate(body, resolve(schema, document))
    except jsonschema.ValidationError as exc:
        return [f"{where}: body does not match the documented schema: {exc.message}"]
    return []
