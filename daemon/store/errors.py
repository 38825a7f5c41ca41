"""Errors of the persistence layer: driver errors never leave ``daemon.store`` unwrapped."""

from __future__ import annotations

from daemon.errors import SloPrepError


class StoreError(SloPrepError):
    """The store could not do what was asked (base of every store error)."""


class StoreUnavailableError(StoreError):
    """Transient: the database cannot be reached, is locked or went away; retry later."""


class StoreUrlError(StoreError):
    """``store.url`` is malformed or names a backend slo-prep does not support."""


class RecordNotFoundError(StoreError):
    """The question, pack or outbox entry named by the caller does not exist."""


class InvalidRecordError(StoreError):
    """A value cannot be stored as given (too long, NUL character, naive datetime, bad JSON)."""


class SchemaVersionError(StoreError):
    """The database was migrated by a newer slo-prep than this one."""
