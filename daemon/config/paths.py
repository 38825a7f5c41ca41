"""Key paths in the form the issues report them: ``services[0].slos[1].objective``."""

from __future__ import annotations


def child(path: str, key: object) -> str:
    """The path of ``key`` inside the mapping at ``path`` (the top level is ``""``)."""
    if isinstance(key, str):
        return f"{path}.{key}" if path else key
    # a non-string key (YAML allows `1:` or `null:`) cannot be written as `.name`
    return f"{path}[{key!r}]"


def item(path: str, index: int) -> str:
    return f"{path}[{index}]"
