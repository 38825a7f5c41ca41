"""Typed configuration, validated at load (see ``load.py``)."""

from daemon.config.load import load_config
from daemon.config.model import (
    AlertmanagerConfig,
    AlertsConfig,
    Config,
    HttpConfig,
    PagerDutyConfig,
    PrometheusConfig,
    ReliabilityConfig,
    ScheduleConfig,
    ServiceConfig,
    SlackConfig,
    Stakeholder,
    StoreConfig,
)

__all__ = [
    "AlertmanagerConfig",
    "AlertsConfig",
    "Config",
    "HttpConfig",
    "PagerDutyConfig",
    "PrometheusConfig",
    "ReliabilityConfig",
    "ScheduleConfig",
    "ServiceConfig",
    "SlackConfig",
    "Stakeholder",
    "StoreConfig",
    "load_config",
]
