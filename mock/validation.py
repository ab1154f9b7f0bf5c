"""Spec-driven request validation: read the body, pick the variant, coerce form text, check."""

from __future__ import annotations

from typing import Any

from .bodies import read_body, summarize
from .endpoint import Call
from .errors import ApiError
from .forms import coerce
from .spec import Spec, Violation


def _raise(v: Violation) -> None:
    raise ApiError(400, v.message, param=v.param, code=v.code, rule=v.rule)


async def validated_body(call: Call, spec: Spec, schema_name: str) -> tuple[str, dict[str, Any]]:
    """(variant schema name, body) for a body that conforms to `schema_name`, else a 400."""
    kind, value = await read_body(call.request, call.mock.config.max_body_bytes)
    call.journal_body = summarize(kind, value)
    return validate(spec, schema_name, kind, value)


def validate(spec: Spec, schema_name: str, kind: str, value: Any) -> tuple[str, dict[str, Any]]:
    variant = schema_name
    if "discriminator" in spec.schemas[schema_name]:
        chosen, problem = spec.variant_for(schema_name, value)
        if problem is not None:
            _raise(problem)
        variant = chosen
    if kind == "form":
        value = coerce(spec, spec.schemas[variant], value)
    violation = spec.check(variant, value)
    if violation is not None:
        _raise(violation)
    return variant, value
