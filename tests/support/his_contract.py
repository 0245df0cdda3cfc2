"""Validators of the HIS gateway's answers against its own OpenAPI document (JSON Schema 2020-12),
shared by the unit tests (aiohttp's test client) and the end-to-end test (curl against the stack)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

_URI = "urn:bhyt:his-openapi"


def schema_validator(document: dict[str, Any], schema_name: str) -> Draft202012Validator:
    """A validator of one component schema of `document` (as served), its $refs resolved in it."""
    registry: Registry[Any] = Registry().with_resource(_URI, DRAFT202012.create_resource(document))
    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=registry)
