"""Environments as data: where each Webull environment lives.

The built-in table is ``environments.toml`` beside this module. Demo points at the local
simulator, whose address is only known at run time, so it is built with ``Environment.demo``.
An operator may override any entry (e.g. a new sandbox host) with ``Environment.from_mapping``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the type only: start-up reads environments before anything else loads
    from .signing import Algorithm


class EnvironmentKind(StrEnum):
    DEMO = "demo"
    SANDBOX = "sandbox"
    PRODUCTION = "production"


_PREFIXES = ("", "/oauth-openapi")


@dataclass(frozen=True)
class Environment:
    name: str
    label: str
    kind: EnvironmentKind
    api_base_url: str
    authorize_url: str
    login_hosts: tuple[str, ...] = field(default=())
    connect_path_prefix: str = ""
    signature_algorithm: Algorithm = "HMAC-SHA1"

    def __post_init__(self) -> None:
        for attr in ("api_base_url", "authorize_url"):
            url = urlsplit(getattr(self, attr))
            loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
            if url.scheme != "https" and not (url.scheme == "http" and loopback):
                raise ValueError(
                    f"environment {self.name!r}: {attr} must be an https URL "
                    f"(plain http only for a loopback simulator), got {getattr(self, attr)!r}"
                )
            if url.query or url.fragment:
                raise ValueError(f"environment {self.name!r}: {attr} must not carry a query")
        if urlsplit(self.api_base_url).path not in ("", "/"):
            raise ValueError(f"environment {self.name!r}: api_base_url must be scheme://host[:port]")
        # the Host header httpx sends is lower-case and has no default port: sign the same
        object.__setattr__(self, "api_base_url", _canonical_origin(self.api_base_url))
        if self.connect_path_prefix not in _PREFIXES:
            raise ValueError(
                f"environment {self.name!r}: connect_path_prefix must be one of {_PREFIXES}"
            )
        if self.signature_algorithm not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise ValueError(
                f"environment {self.name!r}: unknown signature_algorithm {self.signature_algorithm!r}"
            )
        hosts = set(self.login_hosts) | {
            urlsplit(self.authorize_url).hostname or "",
            urlsplit(self.api_base_url).hostname or "",
        }
        object.__setattr__(self, "login_hosts", tuple(sorted(h for h in hosts if h)))

    @property
    def api_host(self) -> str:
        """The Host header value for API calls (``host`` or ``host:port``)."""
        return urlsplit(self.api_base_url).netloc

    @property
    def is_production(self) -> bool:
        return self.kind is EnvironmentKind.PRODUCTION

    @classmethod
    def from_mapping(cls, name: str, data: Mapping[str, Any]) -> Environment:
        """Build an environment from configuration, naming any missing or unknown key."""
        known = {
            "label", "kind", "api_base_url", "authorize_url", "login_hosts",
            "connect_path_prefix", "signature_algorithm",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"environment {name!r}: unknown keys {sorted(unknown)}")
        missing = {"label", "kind", "api_base_url", "authorize_url"} - set(data)
        if missing:
            raise ValueError(f"environment {name!r}: missing keys {sorted(missing)}")
        try:
            kind = EnvironmentKind(data["kind"])
        except ValueError:
            raise ValueError(
                f"environment {name!r}: kind must be one of {[k.value for k in EnvironmentKind]}"
            ) from None
        return cls(
            name=name,
            label=str(data["label"]),
            kind=kind,
            api_base_url=str(data["api_base_url"]).rstrip("/"),
            authorize_url=str(data["authorize_url"]),
            login_hosts=tuple(data.get("login_hosts", ())),
            connect_path_prefix=str(data.get("connect_path_prefix", "")),
            signature_algorithm=cast("Algorithm", data.get("signature_algorithm", "HMAC-SHA1")),
        )

    @classmethod
    def demo(cls, base_url: str, authorize_url: str | None = None) -> Environment:
        """The Demo environment: the local simulator at ``base_url`` (known at run time)."""
        base = base_url.rstrip("/")
        return cls(
            name="demo",
            label="Demo (local simulator)",
            kind=EnvironmentKind.DEMO,
            api_base_url=base,
            authorize_url=authorize_url or f"{base}/oauth2/auth-codes/get",
        )


def _canonical_origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port not in (None, default) else ""
    return f"{parts.scheme}://{host}{port}"


@cache
def builtin_environments() -> dict[str, Environment]:
    """The real Webull environments shipped with the app, by name."""
    text = resources.files(__package__).joinpath("environments.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return {name: Environment.from_mapping(name, entry) for name, entry in table.items()}


def get_environment(name: str) -> Environment:
    envs = builtin_environments()
    try:
        return envs[name]
    except KeyError:
        raise ValueError(
            f"unknown environment {name!r}; known: demo (needs the simulator), {', '.join(envs)}"
        ) from None
