"""Typed configuration, validated at load (see ``load.py``)."""

from daemon.config.load import load_config
from daemon.config.model import (
    Config,
    PagerDutyConfig,
    PrometheusConfig,
    ReliabilityConfig,
    ServiceConfig,
    SlackConfig,
    Stakeholder,
    StoreConfig,
)

__all__ = [
    "Config",
    "PagerDutyConfig",
    "PrometheusConfig",
    "ReliabilityConfig",
    "ServiceConfig",
    "SlackConfig",
    "Stakeholder",
    "StoreConfig",
    "load_config",
]
