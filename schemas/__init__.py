"""Marshmallow schemas: request validation, response shape and OpenAPI documentation."""
