"""HTTP resources: one flask-smorest Blueprint per module, on the Api and Blueprint below."""

from __future__ import annotations

import functools
import http
from collections.abc import Callable
from typing import Any

import flask_smorest
from flask.views import MethodView
from flask_smorest.utils import prepare_response
from marshmallow import RAISE, Schema, ValidationError
from webargs.flaskparser import FlaskParser

from schemas.problems import ProblemSchema
from service.auth import PUBLIC
from service.errors import (
    ERRORS,
    PROBLEM_MIMETYPE,
    DomainError,
    ProblemType,
    problem_type_for_status,
)

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
    """Parse request arguments, refusing strings the database cannot store (a 422, not a 500).

    Unknown query parameters are refused like unknown body fields: webargs would drop them, and
    a mistyped filter must never widen a result.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def _raw_load_json(self, req):
        data = super()._raw_load_json(req)
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


class _NoQuery(Schema):
    class Meta:
        unknown = RAISE


_BODY_LOCATIONS = {"json", "json_or_form", "form", "files"}
_QUERY_LOCATIONS = {"query", "querystring"}


def _argument_locations(func: Callable) -> set[str]:
    parameters = getattr(func, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return {parameter["in"] for parameter in parameters}


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest Blueprint: storable text only, no unknown query parameters, and every
    error an operation can answer documented as problem+json.

    The errors every operation shares follow from the view: 401, 403, 429 and 503 when it needs a
    key, 400, 413 and 415 when it takes a body, 404 when its path holds an id, 422 always
    (unknown query parameters). Others (409, 410, ...) a view declares with `problems`.
    """

    ARGUMENTS_PARSER = _Parser()

    def problems(self, *answers: int | type[DomainError]) -> Callable:
        """Document further problem+json answers of a view (e.g. 409 for a state conflict).

        An answer is a status (its general problem type) or a kind of domain error with a
        problem type of its own (`UnreviewedLegalFlags`); a status with several types lists
        each type's URI and explanation.
        """
        by_status: dict[int, list[ProblemType]] = {}
        for answer in answers:
            problem = problem_type_for_status(answer) if isinstance(answer, int) else ERRORS[answer]
            by_status.setdefault(problem.status, []).append(problem)

        def decorator(func: Callable) -> Callable:
            for status, problems in by_status.items():
                if problems == [problem_type_for_status(status)]:
                    func = self.alt_response(status, response=http.HTTPStatus(status).name)(func)
                    continue
                description = " ".join(
                    f"`{problem.uri}`: {problem.explanation}" for problem in problems
                )
                func = self.alt_response(
                    status,
                    schema=ProblemSchema,
                    content_type=PROBLEM_MIMETYPE,
                    description=description,
                )(func)
            return func

        return decorator

    def add_url_rule(self, rule, endpoint=None, view_func=None, *args, **kwargs):
        if isinstance(view_func, type(MethodView)):
            for method in view_func.methods or ():
                func = getattr(view_func, method.lower())
                if not _argument_locations(func) & _QUERY_LOCATIONS:
                    setattr(view_func, method.lower(), self._refusing_query(func))
        super().add_url_rule(rule, endpoint, view_func, *args, **kwargs)
        docs = self._docs[self._endpoints[-1]]
        for method, doc in docs.items():
            if method == "parameters":
                continue
            handler = getattr(view_func, method, view_func)
            responses = doc.setdefault("response", {}).setdefault("responses", {})
            for status in self._shared_problems(rule, handler):
                if status not in responses:
                    responses[status] = [http.HTTPStatus(status).name]

    @staticmethod
    def _shared_problems(rule: str, handler: Callable) -> list[int]:
        statuses = [422]
        if getattr(handler, "required_roles", None) != PUBLIC:
            statuses += [401, 403, 429, 503]
        if _argument_locations(handler) & _BODY_LOCATIONS:
            statuses += [400, 413, 415]
        if "<" in rule:
            statuses.append(404)
        return sorted(statuses)

    def _refusing_query(self, func: Callable) -> Callable:
        """Wrap a view that takes no query parameters so that any query parameter is a 422."""
        parser = self.ARGUMENTS_PARSER

        @functools.wraps(func)
        def view(*args, **kwargs):
            from flask import request

            if request.args:
                parser.parse(_NoQuery(), request, location="query")
            return func(*args, **kwargs)

        return view


class Api(flask_smorest.Api):
    """A flask-smorest Api whose documented errors are problem+json `Problem` documents."""

    ERROR_SCHEMA = ProblemSchema
    # Every operation lists the errors it can answer; no catch-all `default` response.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        # service.errors renders every error; flask-smorest's own `Error` shape is never sent.
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            if status < 400:
                continue
            problem = problem_type_for_status(status)
            response = {
                "description": problem.explanation or status.phrase,
                "schema": ProblemSchema,
            }
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
