"""Account list (``GET /trading/accounts/list``): a bare JSON array of accounts."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from ._types import AccountClass, AccountType, OptStr, ResponseModel


class Account(ResponseModel):
    """One brokerage account of the signed-in user.

    Asset classes live in separate accounts (stocks and options, futures, crypto, events), so
    ``account_class`` says what an account can trade. ``account_label`` is the US display name
    (e.g. "Individual Margin", "Roth IRA"); IRA kinds appear only there, not as classes.
    """

    account_id: str
    account_number: str
    account_type: AccountType
    account_class: AccountClass
    account_label: OptStr = None


ACCOUNTS: TypeAdapter[tuple[Account, ...]] = TypeAdapter(tuple[Account, ...])


def decode_accounts(obj: Any) -> tuple[Account, ...]:
    """The decoded JSON of the account list → accounts (raises pydantic.ValidationError)."""
    return ACCOUNTS.validate_python(obj)
