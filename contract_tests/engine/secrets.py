"""Keys never reach an artefact: the report, JUnit, the terminal. Everything the suite writes about a
result passes through `redact` with the run's keys."""

from __future__ import annotations

import json
from typing import Any

MASK = "sk-…redacted"


def redact(text: str, keys: list[str | None]) -> str:
    for key in keys:
        if key and len(key) >= 4 and key in text:
            text = text.replace(key, MASK)
    return text


def redact_value(value: Any, keys: list[str | None]) -> Any:
    """A JSON-like value with every key replaced (round-tripped through JSON only when one is in it)."""
    if value is None or not any(keys):
        return value
    text = json.dumps(value, default=str)
    clean = redact(text, keys)
    return value if clean == text else json.loads(clean)
