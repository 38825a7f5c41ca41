"""Typed configuration, validated at load (see ``load.py``)."""

from daemon.config.load import load_config
from daemon.config.model import (
    Config,
    PrometheusConfig,
    ServiceConfig,
    SlackConfig,
    Stakeholder,
    StoreConfig,
)

__all__ = [
    "Config",
    "PrometheusConfig",
    "ServiceConfig",
    "SlackConfig",
    "Stakeholder",
    "StoreConfig",
    "load_config",
]
