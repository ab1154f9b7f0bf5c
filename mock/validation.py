"""Spec-driven request validation: read the body, pick the variant, coerce form text, check.

Creates are gated by the rules' kind and production evidence (`components/x-rules/<id>/kind` and
`.../production/status`): in the default `production` mode a request that breaks only unconfirmed
value rules is accepted, and the broken rules travel back as warnings (`X-Mock-Unconfirmed-Rules`,
`X-Mock-Warning`); a structural rule (RULES.md, Two kinds of rules), a confirmed rule, a body that
is not an object, or a missing or unknown model is a 400. In `documents` mode
every rule of the spec is enforced (the first one broken is the 400), as the documents say.
"""

from __future__ import annotations

from typing import Any, NoReturn

from .call import Call
from .errors import ApiError
from .forms import coerce
from .spec import Spec, Violation

RULE_MODES = ("production", "documents")
_WARNING_LIMIT = 2000  # characters of X-Mock-Warning; the rule ids are in X-Mock-Unconfirmed-Rules anyway


def _raise(v: Violation) -> NoReturn:
    raise ApiError(400, v.message, param=v.param, rule=v.rule)


async def validated_body(call: Call, spec: Spec, schema_name: str) -> tuple[str, dict[str, Any]]:
    """(variant schema name, body) for a body that conforms to `schema_name`, else a 400."""
    kind, value = await call.body()
    return validate(spec, schema_name, kind, value)


def rules_mode(call: Call) -> str:
    """`production` or `documents`: the request's `X-Mock-Rules` header, else the server's option."""
    header = call.header(b"x-mock-rules")
    if header is None:
        return call.mock.config.rules
    mode = header.strip().lower()
    if mode not in RULE_MODES:
        raise ApiError(400, "X-Mock-Rules takes production or documents", param="X-Mock-Rules")
    return mode


async def gated_body(
    call: Call, spec: Spec, schema_name: str
) -> tuple[str, dict[str, Any], tuple[Violation, ...]]:
    """(variant, body, warnings): like `validated_body`, but in production mode the violations of
    unconfirmed rules come back as warnings instead of a 400."""
    mode = rules_mode(call)
    kind, value = await call.body()
    if mode == "documents":
        variant, body = validate(spec, schema_name, kind, value)
        return variant, body, ()
    variant, value = _variant(spec, schema_name, kind, value)
    assessment = spec.assess(variant, value)
    if assessment.blocking is not None:
        _raise(assessment.blocking)
    return variant, value, assessment.warnings


def warning_headers(warnings: tuple[Violation, ...]) -> dict[str, str]:
    """`X-Mock-Unconfirmed-Rules` (the rule ids) and `X-Mock-Warning` (what was broken)."""
    if not warnings:
        return {}
    rules = list(dict.fromkeys(v.rule or "UNNAMED" for v in warnings))
    each = [v.message if len(v.message) <= 300 else v.message[:299] + "…" for v in warnings]
    text = " | ".join(f"{message} [rule {v.rule}]" for message, v in zip(each, warnings, strict=True))
    if len(text) > _WARNING_LIMIT:
        text = text[: _WARNING_LIMIT - 1] + "…"
    text = f"{text}; production's answer is unknown"
    # header values are latin-1 and one line: escape the rest, never fail on a client's odd text
    text = text.replace("\r", " ").replace("\n", " ").encode("ascii", "backslashreplace").decode("ascii")
    return {"X-Mock-Unconfirmed-Rules": ", ".join(rules), "X-Mock-Warning": text}


def _variant(spec: Spec, schema_name: str, kind: str, value: Any) -> tuple[str, Any]:
    variant = schema_name
    if "discriminator" in spec.schemas[schema_name]:
        chosen, problem = spec.variant_for(schema_name, value)
        if problem is not None:
            _raise(problem)
        assert chosen is not None  # variant_for names a variant whenever it finds no violation
        variant = chosen
    if kind == "form":
        value = coerce(spec, spec.schemas[variant], value)
    return variant, value


def validate(spec: Spec, schema_name: str, kind: str, value: Any) -> tuple[str, dict[str, Any]]:
    variant, value = _variant(spec, schema_name, kind, value)
    violation = spec.check(variant, value)
    if violation is not None:
        _raise(violation)
    return variant, value
