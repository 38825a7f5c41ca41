"""The one error hierarchy of slo-prep.

Collector errors are split by what the caller should do next: a transient
error is worth retrying later (the pack says the data is missing for now), a
permanent one needs a person to change something (a query, a config key).
"""

from __future__ import annotations

from dataclasses import dataclass


class SloPrepError(Exception):
    """Base of every error slo-prep raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file, at the exact key path (``services[0].slos[1].objective``)."""

    path: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}: {self.path}" if self.path else source
        return f"{where}: {self.message}"


class ConfigError(SloPrepError):
    """The config cannot be used; carries every issue found, not just the first."""

    def __init__(self, source: str, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        super().__init__("\n".join(issue.render(source) for issue in self.issues))


class UsageError(SloPrepError):
    """A command-line argument is malformed (exit 2)."""


class CollectorError(SloPrepError):
    """A data source could not answer. ``code`` is stable and machine-readable."""

    code = "collector_error"

    def __init__(self, message: str, *, backend: str = "") -> None:
        self.backend = backend
        super().__init__(message)


class TransientCollectorError(CollectorError):
    """Worth retrying: the backend is down, slow, overloaded or answered garbage."""

    code = "unreachable"


class PermanentCollectorError(CollectorError):
    """Retrying will not help: the query or the data it selects is wrong."""

    code = "query_error"


class PackInvariantError(SloPrepError):
    """A pack that breaks an invariant is a bug: it is never emitted."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("pack refused: " + "; ".join(problems))
