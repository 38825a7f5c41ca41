"""The config as typed, frozen values. Built only by ``daemon.config.load``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from daemon.core.slo import SloSpec

API_VERSION = "slo-prep/v1"


@dataclass(frozen=True)
class PrometheusConfig:
    url: str
    timeout_seconds: float = 30.0
    # extra HTTP headers, e.g. X-Scope-OrgID for Mimir; values may come from ${ENV}
    headers: tuple[tuple[str, str], ...] = ()
    bearer_token: str | None = None
    verify_tls: bool = True
    # retries of transient failures (connection errors, 5xx, 429) per request
    retries: int = 2


@dataclass(frozen=True)
class StoreConfig:
    url: str = "sqlite:///slo-prep.db"


@dataclass(frozen=True)
class SlackConfig:
    mode: Literal["off", "socket", "http"] = "off"


@dataclass(frozen=True)
class Stakeholder:
    role: str
    name: str


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    stakeholders: tuple[Stakeholder, ...] = ()
    slos: tuple[SloSpec, ...] = ()


@dataclass(frozen=True)
class Config:
    prometheus: PrometheusConfig
    services: tuple[ServiceConfig, ...]
    store: StoreConfig = field(default_factory=StoreConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    # where it came from, for the pack's audit trail
    source: str = ""
    sha256: str = ""

    def service(self, name: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.name == name), None)
