"""Webull's published per-operation OpenAPI blocks, patched and ready to validate against.

The blocks in ``<shared>/webull/openapi`` are verbatim copies, Webull's mistakes included.
``patched_operation`` applies the fixes listed in ``openapi/ERRATA.md`` (plus the few this
project needs beyond it, each explained below), ``openapi_document`` wraps a block into a
complete OpenAPI 3.0 document, and the validators check a payload against one schema of that
document with ``openapi_schema_validator.OAS30Validator``.

The shared folder is ``$PENNANT_SHARED_DIR`` if set, else ``shared`` beside the checkout.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parents[2]

#: API.md §8 (ERRATA C11); "" is what plain stock positions carry in some integrations
OPTION_STRATEGIES = [
    "SINGLE", "COVERED_STOCK", "STRADDLE", "STRANGLE", "VERTICAL", "CALENDAR", "BUTTERFLY",
    "CONDOR", "COLLAR_WITH_STOCK", "IRON_BUTTERFLY", "IRON_CONDOR", "DIAGONAL",
]
MARGIN_CALLS = ["EM", "RM", "RT", "DT"]
#: API.md §6.1: the US account classes, which the HK twin of account-list does not list
US_ACCOUNT_CLASSES = ["INDIVIDUAL_MARGIN", "FUTURES", "CRYPTO", "EVENTS_CASH"]

_URI = "urn:pennant:webull-openapi:"
_OPERATION_KEYS = ("tags", "summary", "description", "operationId", "parameters", "requestBody",
                   "responses")


def shared_webull_dir() -> Path:
    """``<shared>/webull``; a missing folder is an error, never a skipped test."""
    root = os.environ.get("PENNANT_SHARED_DIR")
    base = Path(root) if root else REPO_ROOT.parent / "shared"
    path = base / "webull"
    if not (path / "openapi").is_dir() or not (path / "examples.json").is_file():
        raise RuntimeError(
            f"Webull reference material not found at {path}: lay the shared folder beside the "
            "checkout or set PENNANT_SHARED_DIR to the folder that contains webull/"
        )
    return path


@cache
def load_examples() -> dict[str, Any]:
    return json.loads((shared_webull_dir() / "examples.json").read_text("utf-8"))


def _operation_path(op_file: str) -> Path:
    """``"us/accountPosition.json"``, ``"accountPosition"`` (US first, then HK) or a path."""
    base = shared_webull_dir() / "openapi"
    name = op_file if op_file.endswith(".json") else f"{op_file}.json"
    for candidate in (base / name, base / "us" / name, base / "hk" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no published operation {op_file!r} under {base}")


@cache
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def load_operation(op_file: str) -> dict[str, Any]:
    """The verbatim block (a fresh copy)."""
    return copy.deepcopy(_load(_operation_path(op_file)))


# ------------------------------------------------------------------ patches


def _schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON tree (schemas, properties maps, …)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def _properties(op: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    for node in _schemas(op):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get(name), dict):
            yield props[name]


def _option_strategy(op: dict[str, Any]) -> None:
    # ERRATA C11: the enum lists only SINGLE; the text (and the examples) use all twelve
    for prop in _properties(op, "option_strategy"):
        if "enum" in prop:
            prop["enum"] = [*OPTION_STRATEGIES, ""]


def _crypto_category(op: dict[str, Any]) -> None:
    # ERRATA C14: crypto instruments say US_STOCK where they mean US_CRYPTO
    for prop in _properties(op, "category"):
        if prop.get("enum") == ["US_STOCK"]:
            prop["enum"] = ["US_CRYPTO"]


def _open_margin_calls(op: dict[str, Any]) -> None:
    # ERRATA C15: typed as a string ("['EM']") with the codes as its enum; observed as a JSON
    # array of codes. Accept both.
    codes = "|".join(MARGIN_CALLS)
    for prop in _properties(op, "open_margin_calls"):
        description = prop.get("description")
        prop.clear()
        prop["description"] = description
        prop["anyOf"] = [
            {"type": "array", "items": {"type": "string", "enum": MARGIN_CALLS}},
            {"type": "string",
             "pattern": rf"^\[?\s*(?:'?(?:{codes})'?(?:\s*,\s*'?(?:{codes})'?)*)?\s*\]?$"},
        ]


def _us_account_classes(op: dict[str, Any]) -> None:
    # Not in ERRATA: the only saved account-list block is the HK twin (index.md), whose
    # account_class enum lacks the US classes of API.md §6.1.
    for prop in _properties(op, "account_class"):
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], *US_ACCOUNT_CLASSES]


#: ERRATA C16 (orderDetail's instrument_type example says STOCK) needs no patch: examples are
#: not validated, the enum is right.
PATCHES: dict[str, tuple[Callable[[dict[str, Any]], None], ...]] = {
    "accountPosition": (_option_strategy,),
    "orderDetail": (_option_strategy,),
    "CommonOrderPreview": (_option_strategy,),
    "cryptoInstrumentList": (_crypto_category,),
    "accountBalance": (_open_margin_calls,),
    "accountList": (_us_account_classes,),
}


def patched_operation(op_file: str) -> dict[str, Any]:
    op = load_operation(op_file)
    for patch in PATCHES.get(_operation_path(op_file).stem, ()):
        patch(op)
    return op


# ------------------------------------------------------------------ validators


def openapi_document(op: dict[str, Any]) -> dict[str, Any]:
    """Wrap one block into a complete OpenAPI 3.0 document (index.md)."""
    operation = {k: op[k] for k in _OPERATION_KEYS if k in op}
    return {
        "openapi": "3.0.3",
        "info": op["info"],
        "servers": op["servers"],
        "paths": {op["path"]: {op["method"]: operation}},
    }


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validator(op_file: str, location: tuple[str, ...], *, patched: bool = True,
               patch: Callable[[dict[str, Any]], None] | None = None) -> Validator:
    op = patched_operation(op_file) if patched else load_operation(op_file)
    if patch is not None:
        patch(op)
    document = openapi_document(op)
    uri = _URI + _operation_path(op_file).stem
    pointer = _pointer("paths", op["path"], op["method"], *location)
    node: Any = document
    for part in ("paths", op["path"], op["method"], *location):
        node = node[part]  # a KeyError here names a missing part of the block
    OAS30Validator.check_schema(node)
    registry = Registry().with_resource(uri, Resource.from_contents(document,
                                                                    default_specification=DRAFT4))
    return OAS30Validator({"$ref": uri + pointer}, registry=registry,
                          format_checker=oas30_format_checker)


@cache
def response_validator(op_file: str, status: str = "200", *, patched: bool = True) -> Validator:
    """Validates a JSON response body of ``status`` against the published schema, patched
    unless ``patched=False``."""
    location = ("responses", status, "content", "application/json", "schema")
    return _validator(op_file, location, patched=patched)


def _allow_crypto(op: dict[str, Any]) -> None:
    # Place takes CRYPTO (API.md §6.7), preview does not; the US place block is not published,
    # and index.md says to use the preview body for place.
    for prop in _properties(op, "instrument_type"):
        if prop.get("enum") == ["EQUITY", "OPTION", "FUTURES", "EVENT"]:
            prop["enum"] = [*prop["enum"], "CRYPTO"]


@cache
def request_body_validator(op_file: str, *, place: bool = False,
                           patched: bool = True) -> Validator:
    """Validates a JSON request body. ``place=True`` on CommonOrderPreview gives the place
    variant (the same body, CRYPTO allowed)."""
    location = ("requestBody", "content", "application/json", "schema")
    return _validator(op_file, location, patched=patched,
                      patch=_allow_crypto if place else None)


def validation_errors(validator: Validator, instance: Any) -> list[str]:
    """Readable errors (empty when the instance is valid)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '$'}: {e.message}"
            for e in validator.iter_errors(instance)]
