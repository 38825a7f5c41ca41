"""The pack's published JSON Schema (``pack.schema.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def pack_schema() -> dict[str, Any]:
    text = files("daemon.schema").joinpath("pack.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
