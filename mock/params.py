"""Query parameters read by the spec's own parameter schemas (`in: query`): text coerced to the
schema's type, checked with JSON Schema, defaults filled in. No limits are written in Python."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from starlette.requests import Request

from .errors import ApiError
from .spec import Spec, get_spec

_INTEGER = re.compile(
    r"^-?\d{1,12}$", re.ASCII
)  # ASCII digits only, and few: no long or non-Latin numbers (issue 12)
_NUMBER = re.compile(r"^-?\d{1,12}(\.\d{1,12})?$", re.ASCII)


@lru_cache(maxsize=64)
def _parameters(
    spec_name: str, path: str, method: str
) -> tuple[tuple[str, dict[str, Any], Draft202012Validator], ...]:
    spec: Spec = get_spec(spec_name)
    item = spec.document["paths"][path]
    declared = [spec.resolve(p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
    out = []
    for param in declared:
        if param.get("in") == "query":
            schema = spec.resolve(param.get("schema", {}))
            out.append((param["name"], schema, Draft202012Validator(schema)))
    return tuple(out)


def _coerce(text: str, schema: dict[str, Any]) -> Any:
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types and _INTEGER.match(text):
        return int(text)
    if "number" in types and _NUMBER.match(text):
        return float(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def _why(error: Any, schema: dict[str, Any]) -> str:
    if error.validator == "enum":
        return "allowed: " + ", ".join(str(v) for v in schema.get("enum", []))
    if error.validator in ("minimum", "maximum", "type") and schema.get("type") == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"a whole number from {low} to {high}"
    return str(error.message)


def query(spec_name: str, path: str, method: str, request: Request) -> dict[str, Any]:
    """{name: value} for the operation's query parameters (defaults included), or a 400 naming one."""
    given = request.query_params
    out: dict[str, Any] = {}
    for name, schema, validator in _parameters(spec_name, path, method):
        text = given.get(name)
        if text is None:
            if "default" in schema:
                out[name] = schema["default"]
            continue
        value = _coerce(text, schema)
        error = next(iter(validator.iter_errors(value)), None)
        if error is not None:
            raise ApiError(
                400,
                f"{name}: {text[:60]!r} is invalid: {_why(error, schema)}",
                param=name,
            )
        out[name] = value
    return out
