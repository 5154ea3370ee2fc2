"""Schema checks on top of tests/webull/openapi_support.py (the patched published schemas).

``check`` validates a response body against the published schema and additionally refuses keys
the schema does not declare (the published schemas allow any extra key, which would let a typo
in the simulator pass). The option-chain page of the US reference was not obtainable
(openapi/index.md), so its item schema is written here from examples.json
(``trading.option_contracts``), with every field of the example required.
"""

from __future__ import annotations

from typing import Any

from openapi_schema_validator import OAS30Validator

from tests.webull.openapi_support import (
    load_examples,
    patched_operation,
    response_validator,
    validation_errors,
)


def _response_schema(op_file: str) -> dict[str, Any]:
    op = patched_operation(op_file)
    schema: dict[str, Any] = op["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


def undeclared_keys(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    """Paths of object keys that the schema does not declare."""
    found: list[str] = []
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        for key, item in value.items():
            sub = schema["properties"].get(key)
            if sub is None:
                found.append(f"{where}.{key}")
            else:
                found += undeclared_keys(sub, item, f"{where}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found += undeclared_keys(schema["items"], item, f"{where}[{i}]")
    return found


#: keys documented elsewhere than in the block: account_label is US-only (API.md §6.1) and the
#: only saved account-list block is the HK twin
DOCUMENTED_ELSEWHERE = {"accountList": {"account_label"}}


def check(op_file: str, body: Any) -> None:
    """Assert ``body`` is valid for the published (patched) schema and declares nothing extra."""
    errors = validation_errors(response_validator(op_file), body)
    assert errors == [], f"{op_file}: {errors[:5]}"
    allowed = DOCUMENTED_ELSEWHERE.get(op_file, set())
    extra = [k for k in undeclared_keys(_response_schema(op_file), body)
             if k.rsplit(".", 1)[-1] not in allowed]
    assert extra == [], f"{op_file}: undeclared keys {extra[:5]}"


def _option_item_schema() -> dict[str, Any]:
    example = load_examples()["trading"]["option_contracts"]["response"]["body"]["data"][0]
    properties: dict[str, Any] = {}
    for key, value in example.items():
        if isinstance(value, bool):
            properties[key] = {"type": "boolean"}
        elif isinstance(value, list):
            properties[key] = {"type": "array", "items": {"type": "string"}}
        else:
            properties[key] = {"type": "string"}
    properties["option_type"]["enum"] = ["CALL", "PUT"]
    properties["status"]["enum"] = ["LISTING", "DELISTING"]
    properties["style"]["enum"] = ["AMERICAN", "EUROPEAN"]
    return {"type": "object", "required": sorted(example), "properties": properties}


OPTION_PAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {"data": {"type": "array", "items": _option_item_schema()},
                   "pagination_key": {"type": "string"}},
}


def check_option_page(body: Any) -> None:
    errors = [e.message for e in OAS30Validator(OPTION_PAGE_SCHEMA).iter_errors(body)]
    assert errors == [], errors[:5]
    assert undeclared_keys(OPTION_PAGE_SCHEMA, body) == []
