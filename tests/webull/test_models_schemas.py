"""The schema support the model tests rely on: the ERRATA patches are needed and sufficient,
and a missing shared folder is an error rather than a skip."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from . import openapi_support
from .openapi_support import (
    OPTION_STRATEGIES,
    load_examples,
    load_operation,
    openapi_document,
    patched_operation,
    request_body_validator,
    response_validator,
    validation_errors,
)

EXAMPLES = load_examples()["trading"]


def body(name: str) -> Any:
    return copy.deepcopy(EXAMPLES[name]["response"]["body"])


@pytest.mark.parametrize(
    ("op", "name", "complaint"),
    [
        ("accountPosition", "positions", "is not one of ['SINGLE']"),  # C11, "" and VERTICAL
        ("orderDetail", "order_detail_option_vertical", "is not one of ['SINGLE']"),  # C11
        ("cryptoInstrumentList", "instruments_crypto", "is not one of ['US_STOCK']"),  # C14
        ("hk/accountList", "account_list", "is not one of"),  # HK twin lacks US classes
    ],
)
def test_published_schemas_reject_webulls_own_examples_until_patched(
        op: str, name: str, complaint: str) -> None:
    raw = validation_errors(response_validator(op, patched=False), body(name))
    assert raw and all(complaint in e for e in raw), raw
    assert validation_errors(response_validator(op), body(name)) == []


def test_open_margin_calls_patch_accepts_both_forms_and_nothing_else() -> None:
    # C15: typed as a string with the codes as enum; observed as an array
    arrays = {**body("balance"), "open_margin_calls": ["EM"]}
    assert validation_errors(response_validator("accountBalance", patched=False), arrays)
    validator = response_validator("accountBalance")
    for good in ([], ["EM", "DT"], "['EM']", "['EM', 'RT']", "[]", "EM"):
        assert validation_errors(validator, {**body("balance"), "open_margin_calls": good}) == []
    for bad in (["XX"], "['XX']", 3, "EM; DROP"):
        assert validation_errors(validator, {**body("balance"), "open_margin_calls": bad})


def test_option_strategy_patch_lists_the_twelve_strategies_and_empty() -> None:
    op = patched_operation("CommonOrderPreview")
    item = op["requestBody"]["content"]["application/json"]["schema"]["properties"][
        "new_orders"]["items"]
    assert item["properties"]["option_strategy"]["enum"] == [*OPTION_STRATEGIES, ""]
    assert len(OPTION_STRATEGIES) == 12
    # the verbatim copy is untouched
    raw = load_operation("CommonOrderPreview")["requestBody"]["content"]["application/json"]
    assert raw["schema"]["properties"]["new_orders"]["items"]["properties"][
        "option_strategy"]["enum"] == ["SINGLE"]


def test_multi_leg_option_order_needs_the_patch() -> None:
    order = EXAMPLES["place_option_vertical"]["request"]["body"]
    assert validation_errors(request_body_validator("CommonOrderPreview", patched=False), order)
    assert validation_errors(request_body_validator("CommonOrderPreview"), order) == []


def test_wrapped_document_is_an_openapi_3_document() -> None:
    op = load_operation("orderDetail")
    doc = openapi_document(op)
    assert doc["openapi"].startswith("3.0") and doc["info"] == op["info"]
    assert doc["servers"] == [{"url": "https://api.sandbox.webull.com"}]
    (path,) = doc["paths"]
    assert path == "/trading/orders/get" and set(doc["paths"][path]) == {"get"}
    assert "postman" not in doc["paths"][path]["get"]
    assert doc["paths"][path]["get"]["operationId"] == "orderDetail"


def test_unknown_operation_is_an_error() -> None:
    with pytest.raises(FileNotFoundError, match="noSuchOperation"):
        load_operation("noSuchOperation")


def test_missing_shared_folder_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("PENNANT_SHARED_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="PENNANT_SHARED_DIR"):
        openapi_support.shared_webull_dir()
