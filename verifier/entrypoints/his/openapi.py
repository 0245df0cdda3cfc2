"""The gateway's OpenAPI 3.1 document, served at /api/openapi.json.

3.1 because its schemas are plain JSON Schema (2020-12), so a test validates live answers against
them with an ordinary JSON Schema validator. Every answer field is required: the contract gives ""
rather than leaving a key out.
"""

from __future__ import annotations

from typing import Any

from verifier.entrypoints.his.answers import CARD_FIELDS

_STRING = {"type": "string"}
_DAY = {"type": "string", "pattern": r"^$|^\d{2}/\d{2}/\d{4}$"}
_DATES = {"gtTheTu", "gtTheDen", "ngayDu5Nam", "gtTheTuMoi", "gtTheDenMoi"}
_CODE = {"type": "string", "pattern": r"^[0-9]{3}$|^[A-Z][0-9]{2}$"}


def _card_properties() -> dict[str, Any]:
    properties: dict[str, Any] = {name: dict(_DAY if name in _DATES else _STRING) for name in CARD_FIELDS}
    properties["ngaySinh"] = {"type": "string", "pattern": r"^$|^\d{2}/\d{2}/\d{4}$|^\d{4}$"}
    properties["gioiTinh"] = {"enum": ["Nam", "Nữ", ""]}
    properties["maDKBD"] = {"type": "string", "pattern": "^$|^[0-9A-Z]{5}$"}
    return properties


def _query(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": _STRING, "description": description}


_LOOKUP_PARAMETERS = [
    _query("token", "access_token from /api/token/take", required=True),
    _query("id_token", "id_token from /api/token/take"),
    _query("username", "the account's username; when given, it must be the token's"),
    _query("password", "accepted for compatibility with HIS code and ignored: the token proves the account"),
]


def _lookup(summary: str, body_schema: str, *, form: bool) -> dict[str, Any]:
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{body_schema}"}}
    }
    if form:
        content["application/x-www-form-urlencoded"] = {
            "schema": {"$ref": f"#/components/schemas/{body_schema}"}
        }
    return {
        "post": {
            "summary": summary,
            "parameters": _LOOKUP_PARAMETERS,
            "requestBody": {"required": True, "content": content},
            "responses": {
                "200": {
                    "description": "the card's answer, or 401/205/054/055/500 in maKetQua",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CardAnswer"}}},
                },
                "default": {
                    "description": "unknown path, method not allowed, body too large",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
        }
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "BHYT card check, VSS gateway contract",
            "version": "2024",
            "description": (
                "VSS's card-check gateway contract as hospital information systems call it: a token, "
                "then KQNhanLichSuKCB2024 (with the checking staff member) or KQNhanLichSuKCB2019. "
                "Each lookup is judged like a kiosk check-in and recorded. Errors answer HTTP 200 with "
                "maKetQua, as the contract does."
            ),
        },
        "paths": {
            "/api/token/take": {
                "post": {
                    "summary": "a token for a HIS account (password: the MD5 hex string of the password)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Login"}},
                            "application/x-www-form-urlencoded": {
                                "schema": {"$ref": "#/components/schemas/Login"}
                            },
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "maKetQua 200 with APIKey, or 401 (ghiChu says when locked)",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/TokenAnswer"}}
                            },
                        }
                    },
                }
            },
            "/api/egw/KQNhanLichSuKCB2024": _lookup(
                "check a card, naming the staff member who checks", "Lookup2024", form=False
            ),
            "/api/egw/KQNhanLichSuKCB2019": _lookup("check a card (older contract)", "Lookup2019", form=True),
            "/api/openapi.json": {
                "get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
        "components": {"schemas": _schemas()},
    }


def _schemas() -> dict[str, Any]:
    lookup_2019 = {
        "maThe": {"type": "string", "description": "15-character card, 10-digit number or 12-digit CCCD"},
        "hoTen": _STRING,
        "ngaySinh": {"type": "string", "description": "dd/MM/yyyy or yyyy"},
    }
    history = {
        "type": "object",
        "required": ["userKT", "thoiGianKT", "thongBao", "maLoi"],
        "properties": {
            "userKT": _STRING,
            "thoiGianKT": {"type": "string", "pattern": r"^\d{12}$", "description": "yyyyMMddHHmm, Vietnam"},
            "thongBao": _STRING,
            "maLoi": _CODE,
        },
        "additionalProperties": False,
    }
    return {
        "Login": {
            "type": "object",
            "required": ["username", "password"],
            "properties": {"username": _STRING, "password": {"type": "string", "description": "MD5 hex"}},
        },
        "TokenAnswer": {
            "type": "object",
            "required": ["maKetQua"],
            "properties": {
                "maKetQua": {"enum": ["200", "401", "205", "500"]},
                "ghiChu": _STRING,
                "APIKey": {
                    "type": "object",
                    "required": ["access_token", "id_token", "token_type", "username", "expires_in"],
                    "properties": {
                        "access_token": _STRING,
                        "id_token": _STRING,
                        "token_type": {"const": "Bearer"},
                        "username": _STRING,
                        "expires_in": {
                            "type": "string",
                            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
                            "description": "expiry, ISO 8601 UTC",
                        },
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "Lookup2019": {"type": "object", "required": list(lookup_2019), "properties": lookup_2019},
        "Lookup2024": {
            "type": "object",
            "required": [*lookup_2019, "hoTenCb", "cccdCb"],
            "properties": {
                **lookup_2019,
                "hoTenCb": {"type": "string", "description": "the checking staff member's name"},
                "cccdCb": {"type": "string", "pattern": r"^\d{12}$", "description": "... and CCCD number"},
            },
        },
        "CardAnswer": {
            "type": "object",
            "required": ["maKetQua", "ghiChu", *CARD_FIELDS, "dsLichSuKCB2018", "dsLichSuKT2018"],
            "properties": {
                "maKetQua": _CODE,
                "ghiChu": _STRING,
                **_card_properties(),
                "dsLichSuKCB2018": {"type": "null", "description": "we hold no treatment history"},
                "dsLichSuKT2018": {"type": ["array", "null"], "items": history},
            },
            "additionalProperties": False,
        },
        "Problem": {
            "type": "object",
            "required": ["maKetQua", "ghiChu"],
            "properties": {"maKetQua": _STRING, "ghiChu": _STRING},
        },
    }
