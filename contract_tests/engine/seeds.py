"""The data-driven request sets in fixtures/: seed examples and one breaking request per rule.

Tokens in the YAML: "@b64:<file>" (base64 of fixtures/<file>), "@dataurl:<file>" (its data URL),
"@file:<file>" (a multipart file part), "@repeat:<char>:<n>" (a long string).
"""

from __future__ import annotations

import base64
import mimetypes
from functools import cache
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def mime_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _expand(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    if isinstance(value, str) and value.startswith("@"):
        kind, _, arg = value[1:].partition(":")
        if kind == "b64":
            return base64.b64encode(fixture_bytes(arg)).decode()
        if kind == "dataurl":
            return f"data:{mime_of(arg)};base64," + base64.b64encode(fixture_bytes(arg)).decode()
        if kind == "repeat":
            char, _, count = arg.partition(":")
            return char * int(count)
        if kind == "file":
            return FilePart(arg)
    return value


class FilePart:
    def __init__(self, name: str) -> None:
        self.name = name

    def as_httpx(self, field: str) -> tuple[str, tuple[str, bytes, str]]:
        return field, (self.name, fixture_bytes(self.name), mime_of(self.name))

    def as_reference(self) -> dict[str, str]:
        """What the JSON form of the same reference looks like (for schema checks)."""
        return {"mime_type": mime_of(self.name), "data": base64.b64encode(fixture_bytes(self.name)).decode()}


@cache
def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / name).read_text("utf-8"))


def seed_requests(group: str) -> list[dict[str, Any]]:
    return [{**item, "body": _expand(item["body"])} for item in _load("seed_requests.yaml")[group]]


def invalid_requests(group: str) -> list[dict[str, Any]]:
    return [{**item, "body": _expand(item["body"])} for item in _load("invalid_requests.yaml")[group]]


def split_multipart(body: dict[str, Any]) -> tuple[dict[str, Any], list]:
    """(form fields, file parts) for httpx."""
    data = {k: v for k, v in body.items() if not isinstance(v, FilePart)}
    files = [v.as_httpx(k) for k, v in body.items() if isinstance(v, FilePart)]
    return data, files


def as_json_shape(body: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.as_reference() if isinstance(v, FilePart) else v) for k, v in body.items()}


def label(item: dict[str, Any]) -> str:
    body = item["body"]
    return f"{item.get('rule') or item.get('source')}:{body.get('model', '')}".replace(" ", "_")
