"""What the spec records about production: `components/x-rules` (per rule: its document line and
whether production's behaviour is confirmed) and `x-known-differences` (recorded docs-vs-production
differences). Read from openapi/, never from the system under test; no rule id is written here.

A failure is matched to a known difference by the triple that also identifies a drift:
operation (operationId), model, and rule or check. An entry matches a failure when
- its `operation` is the failure's operation, and
- its `models` is empty or holds the failure's model, and
- its `check` (when it has one) is the check that failed, and
- its `rule` (when it has one) is the rule the failure is about, or one of the rules of the
  parameters the failing request sent (e.g. `aspect_ratio` -> VEO-ASPECT: a Veo request without
  `aspect_ratio` rendered at the wrong size is still drift), and
- its `sent` (when it has one: parameter -> `{}` for "sent at all", `{type: number|string|…}`, or a
  list of values) is what the failing request sent, so an entry about one form of a rule's values
  (K-SORA-SECONDS-NUMBER: `seconds` as a number) does not swallow every drift of that rule, and
- the answer is the one the entry describes: its `status` (every entry names one, or a list) is the
  status the failing exchange got, and its `message` (where the evidence quotes production's
  wording) is found in that answer's body. A known difference excuses only what it describes: a 404
  from a route that is not served, a 405, or any other answer is judged normally.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from . import generate

SPECS = ("aihubmix", "apimart")


@cache
def rules() -> dict[str, dict[str, Any]]:
    """Every rule id of both specs -> its x-rules entry."""
    out: dict[str, dict[str, Any]] = {}
    for name in SPECS:
        out.update(generate.document(name).get("components", {}).get("x-rules", {}) or {})
    return out


def production_status(rule: str | None) -> str:
    """`confirmed` when evidence shows production rejects what the rule rejects, else `unconfirmed`."""
    entry = rules().get(rule or "", {})
    return ((entry.get("production") or {}).get("status")) or "unconfirmed"


def is_confirmed(rule: str | None) -> bool:
    return production_status(rule) == "confirmed"


def provenance(rule: str | None) -> dict[str, Any] | None:
    """What the report links for a rule: its statement, document line and production evidence."""
    if not rule or rule not in rules():
        return None
    entry = rules()[rule]
    production = entry.get("production") or {}
    return {
        "rule": rule,
        "statement": entry.get("rule"),
        "docs": entry.get("docs"),
        "production": {
            k: production.get(k)
            for k in ("status", "samples", "dated", "confidence", "note")
            if production.get(k) is not None
        },
        **({"decision": entry["decision"]} if entry.get("decision") else {}),
    }


@cache
def known_differences() -> list[dict[str, Any]]:
    return list(generate.document("aihubmix").get("x-known-differences") or []) + list(
        generate.document("apimart").get("x-known-differences") or []
    )


@cache
def _param_rules() -> dict[tuple[str, str], str]:
    """(model, parameter) -> the x-rule of that parameter in the model's request variant."""
    out: dict[tuple[str, str], str] = {}
    for name, body in (("aihubmix", "CreateVideoRequest"), ("apimart", "GenerationRequest")):
        try:
            variants = generate.variants(name, body)
        except KeyError:
            continue
        for model, variant in variants.items():
            schema = generate.schemas(name)[variant]
            for prop, sub in schema.get("properties", {}).items():
                # a member without its own rule is governed by its variant's (as generate.violations has it)
                rule = generate.resolve(name, sub).get("x-rule") or schema.get("x-rule")
                if rule:
                    out[(model, prop)] = rule
    return out


def rule_of_parameter(model: str, parameter: str) -> str | None:
    """The x-rule of one parameter of a model's request variant."""
    return _param_rules().get((model, parameter))


def rules_of_request(model: str | None, body: Any) -> list[str]:
    """The rules of the parameters a request sent (for matching a known difference)."""
    if not model or not isinstance(body, dict):
        return []
    table = _param_rules()
    return sorted({table[(model, k)] for k in body if (model, k) in table})


_JSON_TYPES = {
    "number": (int, float),
    "integer": (int,),
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _sent_matches(condition: dict[str, Any], request: Any) -> bool:
    if not isinstance(request, dict):
        return False
    for param, wanted in condition.items():
        if param not in request:
            return False
        value = request[param]
        if isinstance(wanted, list) and value not in wanted:
            return False
        if isinstance(wanted, dict) and wanted.get("type"):
            types = _JSON_TYPES.get(wanted["type"], ())
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                return False
    return True


#: `response` not given: the caller did not say what the server answered (see match_known)
_UNSAID: Any = object()


def _statuses(entry: dict[str, Any]) -> list[int]:
    status = entry.get("status")
    return (
        [int(s) for s in status]
        if isinstance(status, list)
        else ([int(status)] if status is not None else [])
    )


def answer_matches(entry: dict[str, Any], status: int | None, response: Any = _UNSAID) -> bool:
    """Whether an answer is the one a known difference describes: its status, and the message
    pattern (case-insensitive) in its body where the entry quotes production's wording. An entry
    naming no status describes no answer and excuses none."""
    if status is None or status not in _statuses(entry):
        return False
    pattern = entry.get("message")
    if not pattern:
        return True
    if response is _UNSAID:  # the wording cannot be compared: the entry does not describe it
        return False
    text = response if isinstance(response, str) else json.dumps(response, default=str, ensure_ascii=False)
    return re.search(pattern, text or "", re.IGNORECASE) is not None


def match_known(
    operation: str | None,
    model: str | None,
    rule: str | None,
    check: str | None,
    request_rules: list[str] | None = None,
    *,
    status: int | None = None,
    request: Any = None,
    response: Any = _UNSAID,
) -> dict[str, Any] | None:
    """The x-known-differences entry that describes this failure, or None (then it is judged
    normally). `status` and `response` are what the failing exchange got: the entry must name that
    status, and its `message` pattern must be in `response` (an entry with a pattern matches no
    failure whose `response` the caller does not pass)."""
    for entry in known_differences():
        if not answer_matches(entry, status, response):
            continue
        if entry.get("sent") and not _sent_matches(entry["sent"], request):
            continue
        if entry.get("operation") != operation:
            continue
        models = entry.get("models") or []
        if models and model not in models:
            continue
        if entry.get("check") and entry["check"] != check:
            continue
        if entry.get("rule") and entry["rule"] != rule and entry["rule"] not in (request_rules or []):
            continue
        if not entry.get("check") and not entry.get("rule"):
            continue
        return entry
    return None
