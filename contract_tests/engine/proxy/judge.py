"""One exchange judged against the spec, with the contract suite's own triage.

The request against its model's variant (which rules it breaks); the answer against the documented
answer for that request (a 400 to a request that breaks a rule is judged against the documented
error, a success against the success schema); the gateway's state (balance, throttling, no channel)
as an incident; no answer as not checked. `decide_state` is the one place where an outcome becomes
a state: the suite's classifier can take its place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import conform, evidence, generate
from ..api import incident_reason, operation_of
from . import wire

#: operationId -> (spec, request body schema) of the operations whose body the spec describes
BODIES = {
    "createVideo": ("aihubmix", "CreateVideoRequest"),
    "remixVideo": ("aihubmix", "RemixVideoRequest"),
    "apimartCreateGeneration": ("apimart", "GenerationRequest"),
}
APIMART_OPERATIONS = {"apimartCreateGeneration", "apimartGetTask"}
CREATES = {"createVideo", "apimartCreateGeneration", "remixVideo"}


@dataclass
class Seen:
    """One exchange as it went past: what the client sent and what came back (or the error)."""

    method: str
    path: str
    query: str = ""
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    #: the answer's bytes when it is not media (kept up to a bound), decoded from its content-encoding
    response_body: bytes = b""
    #: the MP4 / image probe, for media answers (their bytes are never kept)
    media: dict[str, Any] | None = None
    error: str | None = None
    started: float = 0.0
    seconds: float = 0.0
    truncated: bool = False

    def header(self, name: str, response: bool = True) -> str:
        for key, value in self.response_headers if response else self.request_headers:
            if key.lower() == name:
                return value
        return ""


@dataclass(frozen=True)
class Outcome:
    """What happened to one check, before it has a state."""

    answered: bool = True  # an answer came back (False: a transport error)
    incident: str | None = None  # the answer is the gateway's state (incident_reason)
    difference: str | None = None  # how the answer differs from the spec; None: it conforms
    unconfirmed: bool = False  # the difference is about a rule production has not confirmed
    known: str | None = None  # the x-known-differences entry it matches
    checked: bool = True  # False: nothing in the spec to judge it by


def decide_state(outcome: Outcome) -> str:
    """conforms / drift / known / incident / not checked: the one decision (the suite's classifier
    can replace it)."""
    if not outcome.answered or not outcome.checked:
        return "not checked"
    if outcome.known:
        return "known"
    if outcome.incident:
        return "incident"
    if outcome.difference is None:
        return "conforms"
    return "known" if outcome.unconfirmed else "drift"


@dataclass
class Finding:
    state: str
    check: str
    message: str
    rule: str | None = None
    difference: str | None = None


@dataclass
class Verdict:
    operation: str
    dialect: str
    model: str | None
    request: Any  # the body as the spec reads it (JSON, or the form typed by the variant)
    response: Any  # the answer's JSON, or None
    broken: list[str] = field(default_factory=list)  # the rules the request breaks
    findings: list[Finding] = field(default_factory=list)
    extra_members: list[str] = field(default_factory=list)  # answer members the spec does not have
    refused_params: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome, check: str, message: str, rule: str | None = None) -> None:
        self.findings.append(Finding(decide_state(outcome), check, message, rule, outcome.known))

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "dialect": self.dialect,
            "model": self.model,
            "broken_rules": self.broken,
            "refused_params": self.refused_params,
            "extra_members": self.extra_members,
            "findings": [f.__dict__ for f in self.findings],
        }


# ------------------------------------------------------------------------------------ request
def request_of(seen: Seen, operation: str) -> tuple[str | None, Any, list[str]]:
    """(model, body as the spec reads it, rules the body breaks)."""
    if operation not in BODIES:
        return None, None, []
    name, body_schema = BODIES[operation]
    kind, value = wire.parse_body(seen.header("content-type", response=False), seen.request_body)
    if kind not in ("json", "form"):
        return None, value, []
    model = value.get("model") if isinstance(value, dict) else None
    schema = generate.schemas(name)[body_schema]
    variant: str | None = body_schema
    if "discriminator" in schema:
        variant = generate.variants(name, body_schema).get(str(model)) if isinstance(model, str) else None
        if variant is None:
            return (model if isinstance(model, str) else None), value, [_model_rule(name, schema, value)]
    assert variant is not None
    if kind == "form":
        value = wire.typed(generate.schemas(name)[variant], value, lambda n: generate.resolve(name, n))
    return (model if isinstance(model, str) else None), value, broken_rules(name, variant, value, model)


def _model_rule(name: str, schema: dict[str, Any], body: Any) -> str:
    """The rule a request breaks when its model picks no variant: no model at all (a required
    member without its own rule), a model moved to another protocol (x-legacy-protocol-models; the
    rule id is the one x-rules gives that list), or an unknown model (the body schema's x-rule)."""
    model = body.get(schema["discriminator"]["propertyName"]) if isinstance(body, dict) else None
    if isinstance(body, dict) and model is None:
        return str(_structural(name).get("required", "REQUIRED-PARAMS"))
    if isinstance(model, str) and model in schema.get("x-legacy-protocol-models", {}):
        return "MODEL-LEGACY-PROTOCOL"
    return str(schema.get("x-rule") or "model")


def broken_rules(name: str, variant: str, body: Any, model: Any) -> list[str]:
    """The x-rule of every constraint of the variant that the body breaks, named as the spec's
    extensions say (x-rule on the nearest schema, x-unknown-rules, x-required-rules)."""
    schema = generate.schemas(name)[variant]
    found: list[str] = []
    for error in generate.validator(name, variant).iter_errors(body):
        rule = _rule_of(name, error, schema)
        if rule and rule not in found:
            found.append(rule)
    return found


def _meant_branch(error: Any) -> Any:
    """Inside anyOf / oneOf, the branch whose errors lie deepest matched the request's shape: it is
    the one the client meant, and its rule is the one broken."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        deepest = max(len(e.path) for e in error.context)
        if deepest == 0:
            break
        error = next(e for e in error.context if len(e.path) == deepest)
    return error


def _structural(name: str) -> dict[str, Any]:
    """`components/x-structural`: the rule each structural keyword breaks (type, required, formats)."""
    found: dict[str, Any] = generate.document(name).get("components", {}).get("x-structural") or {}
    return found


def _is_type_error(error: Any) -> bool:
    """A `type` error, or an anyOf / oneOf whose every branch refuses the value's type."""
    if error.validator == "type":
        return True
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return False
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    every = all(
        any(e.validator == "type" and not e.relative_path for e in subs) for subs in branches.values()
    )
    return every and len(branches) == len(error.schema.get(error.validator, ()))


def _rule_of(name: str, error: Any, variant: dict[str, Any]) -> str | None:
    error = _meant_branch(error)
    node = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(k for k in error.instance if k not in node.get("properties", {}))
        named = node.get("x-unknown-rules", {}).get(extra[0]) if extra else None
        return named or node.get("x-rule") or variant.get("x-rule")
    if error.validator in ("required", "dependentRequired"):
        missing = re.match(r"'([^']+)' is a (?:required property|dependency of)", error.message)
        wanted = missing.group(1) if missing else ""
        return str(
            node.get("x-required-rules", {}).get(wanted)
            or _structural(name).get("required", "REQUIRED-PARAMS")
        )
    if _is_type_error(error):  # structural (x-structural): the value's JSON type is refused
        return str(node.get("x-type-rule") or _structural(name).get("type") or variant.get("x-rule"))
    if error.validator == "format" and node.get("format") in _structural(name).get("formats", {}):
        return str(_structural(name)["formats"][node["format"]])
    if error.validator == "not" and isinstance(node.get("not"), dict) and node["not"].get("x-rule"):
        return str(node["not"]["x-rule"])
    rule = node.get("x-rule")
    parent = error.parent
    while rule is None and parent is not None:
        rule = parent.schema.get("x-rule") if isinstance(parent.schema, dict) else None
        parent = parent.parent
    if rule is None:  # the nearest x-rule on the property schemas along the error's path
        at: Any = variant
        rule = variant.get("x-rule")
        for part in error.absolute_path:
            at = generate.resolve(
                name, at.get("properties", {}).get(part, {}) if isinstance(part, str) else at.get("items", {})
            )
            if isinstance(at, dict) and at.get("x-rule"):
                rule = at["x-rule"]
    return str(rule) if rule else None


# ------------------------------------------------------------------------------------ response
@cache
def _operations() -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in evidence.SPECS:
        for item in generate.document(name).get("paths", {}).values():
            for op in item.values():
                if isinstance(op, dict) and "operationId" in op:
                    out[op["operationId"]] = (name, op)
    return out


def documented(operation: str, status: int) -> tuple[str, dict[str, Any]] | None:
    """(spec, response object) the spec documents for this status, or None."""
    if operation not in _operations():
        return None
    name, op = _operations()[operation]
    responses = op.get("responses", {})
    found = responses.get(str(status)) or responses.get(f"{status // 100}XX") or responses.get("default")
    return (name, generate.resolve(name, found)) if found is not None else None


def schema_name(name: str, response: dict[str, Any], content_type: str) -> str | None:
    content = response.get("content") or {}
    media = content.get(content_type.split(";")[0].strip()) or content.get("application/json") or {}
    ref = (media.get("schema") or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def _declared(name: str, node: Any, depth: int = 0) -> set[str]:
    node = generate.resolve(name, node)
    if not isinstance(node, dict) or depth > 6:
        return set()
    out = set(node.get("properties") or {})
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in node.get(key) or []:
            out |= _declared(name, branch, depth + 1)
    for key in ("then", "else"):
        out |= _declared(name, node.get(key), depth + 1)
    return out


@cache
def _declared_of(name: str, schema: str) -> frozenset[str]:
    return frozenset(_declared(name, generate.schemas(name)[schema]))


def _extra(name: str, schema: str, body: Any) -> list[str]:
    """Members of the answer that its schema does not declare (what production sends beyond the spec)."""
    if schema in ("Video", "VideoList"):
        items = body.get("data") if schema == "VideoList" and isinstance(body, dict) else [body]
        declared = _declared_of(name, "SoraVideo") | _declared_of(name, "GatewayVideo")
        extra = {k for item in items or [] if isinstance(item, dict) for k in item if k not in declared}
        if schema == "VideoList" and isinstance(body, dict):
            extra |= {k for k in body if k not in _declared_of(name, "VideoList")}
        return sorted(extra)
    declared = _declared_of(name, schema)
    found = {k for k in body if k not in declared} if isinstance(body, dict) and declared else set()
    data = body.get("data") if isinstance(body, dict) else None
    props = generate.resolve(name, generate.schemas(name)[schema]).get("properties", {})
    if isinstance(data, dict) and "data" in props:
        inner = _declared(name, props["data"])
        found |= {f"data.{k}" for k in data if inner and k not in inner}
    return sorted(found)


# ------------------------------------------------------------------------------------ judge
def judge(seen: Seen) -> Verdict:
    operation = operation_of(seen.method, seen.path)
    dialect = "apimart" if operation in APIMART_OPERATIONS else "aihubmix"
    model, body, broken = request_of(seen, operation)
    ctype = seen.header("content-type")
    answer: Any = None
    if seen.response_body and "json" in ctype.lower():
        try:
            answer = json.loads(seen.response_body)
        except ValueError:
            answer = None
    if model is None and isinstance(answer, dict) and isinstance(answer.get("model"), str):
        model = answer["model"]
    verdict = Verdict(operation, dialect, model, body, answer, broken)
    if operation not in _operations():
        return verdict  # not an operation of the spec (a path it does not describe): recorded only
    if seen.status is None or seen.error:  # no answer, or one that broke off: nothing to judge
        verdict.add(
            Outcome(answered=False), "exchange", f"no answer: {seen.error or 'the connection failed'}"
        )
        return verdict
    status = seen.status
    text = seen.response_body[:2000].decode("utf-8", "replace")
    reason = incident_reason(status, text)
    keyed = any(k.lower() == "authorization" for k, _ in seen.request_headers)
    if reason is None and status == 401 and keyed:
        reason = "the key was rejected (401)"
    request_rules = evidence.rules_of_request(model, body)

    def known(rule: str | None, check: str) -> str | None:
        # the answer goes with it: a known difference excuses only the answer it describes
        entry = evidence.match_known(
            operation, model, rule, check, request_rules, status=status, request=body, response=answer or text
        )
        return entry.get("id") if entry else None

    def differs(check: str, message: str, rule: str | None = None) -> None:
        verdict.add(Outcome(difference=check, known=known(rule, check)), check, message, rule)

    if reason:
        rule = broken[0] if broken else None
        verdict.add(
            Outcome(incident=reason, known=known(rule, "rejected") if rule else None),
            "gateway",
            f"{reason} on {seen.method} {seen.path}",
            rule,
        )
        return verdict
    if broken and 200 <= status < 300:
        for rule in broken:
            verdict.add(
                Outcome(
                    difference="accepted",
                    unconfirmed=not evidence.is_confirmed(rule),
                    known=known(rule, "accepted"),
                ),
                "accepted",
                f"{status} to a request that breaks rule {rule} ({model}): production accepted it"
                + (
                    ""
                    if evidence.is_confirmed(rule)
                    else " (the rule is unconfirmed: no production evidence yet)"
                ),
                rule,
            )
    elif not broken and operation in BODIES and status in (400, 422):
        params = _named_params(text, body)
        verdict.refused_params = params
        rules = sorted({r for p in params if (r := evidence.rule_of_parameter(str(model), p))})
        rule = rules[0] if len(rules) == 1 else None
        verdict.add(
            Outcome(difference="rejected", known=known(rule, "rejected")),
            "rejected",
            f"{status} to a request the spec allows ({model}"
            + (f"; the answer names {', '.join(params)}" if params else "")
            + f"): {text[:300]}",
            rule,
        )
    found = documented(operation, status)
    if found is None:
        differs("status", f"{status} is not a documented answer of {operation}")
        return verdict
    name, response = found
    if operation == "downloadVideoContent" and status in (200, 206):
        _judge_media(verdict, seen, response, differs)
        return verdict
    schema = schema_name(name, response, ctype)
    if schema is None:
        verdict.add(Outcome(checked=False), "schema", f"the spec has no JSON schema for {status} {ctype}")
        return verdict
    # the answer against the spec, by the suite's one checker of answers (conform.py): the schema
    # for this operation and status (per model for videos), required headers, content lifetimes
    headers = {k.lower(): v for k, v in seen.response_headers}
    problems = conform.exchange_problems(operation, status, headers, ctype, answer, answer is not None, model)
    rule = broken[0] if broken else None
    for problem in problems:
        differs(problem.check, problem.message, problem.rule or rule)
    if not problems:
        verdict.add(Outcome(), "schema", f"{status} matches {schema}", rule)
    if answer is not None:
        verdict.extra_members = _extra(name, schema, answer)
    return verdict


def _named_params(text: str, body: Any) -> list[str]:
    """The request members an error message names (how a refusal is attributed to a rule)."""
    if not isinstance(body, dict):
        return []
    low = text.lower()
    return [
        k for k in body if k != "model" and re.search(rf"(?<![a-z_]){re.escape(k.lower())}(?![a-z_])", low)
    ]


def _judge_media(verdict: Verdict, seen: Seen, response: dict[str, Any], differs) -> None:
    ctype = seen.header("content-type").split(";")[0].strip().lower()
    allowed = set((response.get("content") or {}).keys())
    media = seen.media or {}
    if allowed and ctype not in allowed:
        differs(
            "content",
            f"content type {ctype or '(none)'} is not one the spec documents ({', '.join(sorted(allowed))})",
        )
        return
    if ctype == "video/mp4" and seen.status == 200 and not media.get("mp4"):
        differs(
            "content",
            f"labelled video/mp4 but not an MP4 ({media.get('bytes', 0)} bytes, no ftyp box)",
        )
        return
    verdict.add(Outcome(), "content", f"{ctype}, {media.get('bytes', 0)} bytes")
