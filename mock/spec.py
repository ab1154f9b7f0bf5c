"""The OpenAPI documents as the mock's only source of rules.

Loads `openapi/*.yaml`, picks a request's variant through the discriminator, validates it with the
spec's own JSON Schema (2020-12, as OpenAPI 3.1 uses) and turns the first violation into a
`Violation` that names the parameter, the rule id (`x-rule`, see RULES.md) and what is allowed.
Each rule's `kind` (`x-rules`) says whether it gates by evidence (value) or always (structural);
which JSON-Schema keyword names which structural rule is `components/x-structural`.
Nothing here knows a model name: those live in the YAML.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from itertools import islice
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .images import FORMAT_FUNCTIONS

try:  # the C loader is ~10x faster; start-up time matters for a stub
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

SPEC_NAMES = ("aihubmix", "apimart", "control-plane")

#: At most this many validation errors of one request are looked at and explained. Classifying a
#: request (does it break only unconfirmed rules?) needs more than the first error, but a body of
#: 50,000 bad items must not cost 50,000 explanations (issue 12): past the cap, the request is
#: treated as breaking a confirmed rule.
MAX_ERRORS = 20

FORMATS = FormatChecker(formats=())
for _name, _check in FORMAT_FUNCTIONS.items():
    FORMATS.checks(_name)(_check)


# ---------------------------------------------------------------------------------------- loading
def load_document(name: str) -> dict[str, Any]:
    text = resources.files("aihubmix_mock.openapi").joinpath(f"{name}.yaml").read_text("utf-8")
    document: dict[str, Any] = yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    return document


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, ready to become a 400."""

    param: str | None
    message: str
    rule: str | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """Every broken rule of a request (up to MAX_ERRORS), and which of them gate it.

    `blocking` is the violation to answer 400 with (a confirmed rule, an unknown one, or the cap
    reached), None when the request breaks only unconfirmed rules (`warnings`), or nothing.
    """

    blocking: Violation | None
    warnings: tuple[Violation, ...] = field(default=())
    capped: bool = False


def _path(parts: Iterable[str | int]) -> str | None:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Spec:
    """One OpenAPI document, with validators built lazily and kept."""

    def __init__(self, name: str, document: dict[str, Any] | None = None) -> None:
        self.name = name
        self.document = document if document is not None else load_document(name)
        self.uri = f"urn:aihubmix-mock:{name}"
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry = Registry().with_resource(self.uri, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._rs_registry = jsonschema_rs.Registry([(self.uri, self.document)])
        self._deciders: dict[str, Any] = {}

    # -- lookups ------------------------------------------------------------------------------
    @property
    def schemas(self) -> dict[str, Any]:
        schemas: dict[str, Any] = self.document["components"]["schemas"]
        return schemas

    def resolve(self, node: Any) -> Any:
        """Follow local `$ref`s (`#/components/...`) until a real node."""
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> Any:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, schema_name: str) -> Draft202012Validator:
        found = self._validators.get(schema_name)
        if found is None:
            found = Draft202012Validator(
                {"$ref": f"{self.uri}#/components/schemas/{schema_name}"},
                registry=self._registry,
                format_checker=FORMATS,
            )
            self._validators[schema_name] = found
        return found

    def decider(self, schema_name: str) -> Any:  # jsonschema_rs ships no type information
        """The Rust validator of the same schema: it decides, Python's jsonschema explains."""
        found = self._deciders.get(schema_name)
        if found is None:
            found = jsonschema_rs.validator_for(
                {"$ref": f"{self.uri}#/components/schemas/{schema_name}"},
                registry=self._rs_registry,
                formats=FORMAT_FUNCTIONS,
                validate_formats=True,
            )
            self._deciders[schema_name] = found
        return found

    @cached_property
    def _dispatch(self) -> dict[str, dict[str, str]]:
        """For each discriminated schema: discriminator value -> variant schema name."""
        out: dict[str, dict[str, str]] = {}
        for name, schema in self.schemas.items():
            disc = schema.get("discriminator") if isinstance(schema, dict) else None
            if disc:
                out[name] = {k: v.rsplit("/", 1)[-1] for k, v in disc.get("mapping", {}).items()}
        return out

    def discriminator_property(self, schema_name: str) -> str:
        prop: str = self.schemas[schema_name]["discriminator"]["propertyName"]
        return prop

    def variants(self, schema_name: str) -> dict[str, str]:
        """Discriminator value -> variant schema name, e.g. {'sora-2': 'SoraCreateRequest', ...}."""
        return self._dispatch[schema_name]

    def variant_for(self, schema_name: str, body: Any) -> tuple[str | None, Violation | None]:
        """The variant schema a body is judged by, or the violation that prevents choosing one."""
        prop = self.discriminator_property(schema_name)
        rule = self.schemas[schema_name].get("x-rule")
        if not isinstance(body, dict):
            return None, Violation(None, "the request body must be a JSON object", rule)
        value = body.get(prop)
        if value is None:
            return None, Violation(
                prop, f"{prop} is required", self.structural_rules.get("required", "REQUIRED-PARAMS")
            )
        mapping = self.variants(schema_name)
        legacy = self.schemas[schema_name].get("x-legacy-protocol-models", {})
        if isinstance(value, str) and value in legacy:
            return None, Violation(prop, f"{prop}: {legacy[value]}", "MODEL-LEGACY-PROTOCOL")
        if not isinstance(value, str) or value not in mapping:
            allowed = ", ".join(sorted(mapping))
            near = difflib.get_close_matches(value, list(mapping), n=1) if isinstance(value, str) else []
            hint = f"; did you mean {near[0]!r}?" if near else "."
            return None, Violation(
                prop,
                f"{prop}: {_short(value)} is not a supported model{hint} One of: {allowed}",
                rule,
            )
        return mapping[value], None

    def extension(self, schema_name: str, key: str, default: Any = None) -> Any:
        return self.schemas[schema_name].get(key, default)

    def property_schema(self, schema_name: str, prop: str) -> dict[str, Any]:
        schema: dict[str, Any] = self.resolve(self.schemas[schema_name].get("properties", {}).get(prop, {}))
        return schema

    def default_of(self, schema_name: str, prop: str) -> Any:
        return self.property_schema(schema_name, prop).get("default")

    # -- rules and their production evidence ------------------------------------------------
    @cached_property
    def rules(self) -> dict[str, dict[str, Any]]:
        """`components/x-rules`: rule id -> {rule, side, docs, production: {status, ...}, ...}."""
        rules: dict[str, dict[str, Any]] = self.document.get("components", {}).get("x-rules", {})
        return rules

    @cached_property
    def structural_rules(self) -> dict[str, Any]:
        """`components/x-structural`: the rule each structural keyword breaks (type, required, formats)."""
        found: dict[str, Any] = self.document.get("components", {}).get("x-structural", {})
        return found

    def kind(self, rule: str | None) -> str | None:
        """`structural` or `value` (RULES.md, Two kinds of rules), as x-rules says."""
        entry = self.rules.get(rule) if rule else None
        return entry.get("kind") if entry else None

    def blocks(self, violation: Violation) -> bool:
        """Refused in production mode: a structural rule, or one production is known to enforce."""
        return self.kind(violation.rule) == "structural" or self.confirmed(violation.rule)

    def confirmed(self, rule: str | None) -> bool:
        """Production is known to reject what `rule` rejects. A rule the registry does not know
        counts as confirmed: the mock stays strict where it cannot tell."""
        entry = self.rules.get(rule) if rule else None
        return entry is None or entry.get("production", {}).get("status") != "unconfirmed"

    # -- validation ---------------------------------------------------------------------------
    def _errors(self, schema_name: str, body: Any) -> tuple[list[ValidationError], bool]:
        """The first MAX_ERRORS errors (jsonschema's iterator is lazy) and whether there were more."""
        errors = list(islice(self.validator(schema_name).iter_errors(body), MAX_ERRORS + 1))
        return errors[:MAX_ERRORS], len(errors) > MAX_ERRORS

    def _disagreement(self, schema_name: str, body: Any) -> Violation:
        # the two validators disagree (a test keeps them agreeing): stay strict
        rs_error = next(iter(self.decider(schema_name).iter_errors(body)))
        return Violation(
            _path(rs_error.instance_path), rs_error.message, self.schemas[schema_name].get("x-rule")
        )

    def check(self, schema_name: str, body: Any) -> Violation | None:
        """The most relevant violation of `schema_name` by `body`, or None when it conforms."""
        if self.decider(schema_name).is_valid(body):
            return None
        errors, _ = self._errors(schema_name, body)
        error = best_match(errors)
        if error is None:
            return self._disagreement(schema_name, body)
        # a structural violation first (RULES.md, Two kinds of rules): bytes that are not an image
        # say more than the undocumented mime type they were declared with
        for leaf in (leaf for e in errors for leaf in _meant_errors(e)):
            violation = self._explain(schema_name, leaf)
            if self.kind(violation.rule) == "structural":
                return violation
        return self._explain(schema_name, _meant_branch(error))

    def assess(self, schema_name: str, body: Any) -> Assessment:
        """Every rule `body` breaks, sorted by production evidence: a confirmed (or unknown) rule
        blocks, unconfirmed ones only warn. Looks at no more than MAX_ERRORS errors."""
        if self.decider(schema_name).is_valid(body):
            return Assessment(None)
        errors, capped = self._errors(schema_name, body)
        if not errors:
            return Assessment(self._disagreement(schema_name, body))
        meant = [leaf for error in errors for leaf in _meant_errors(error)]
        explained = [(error, self._explain(schema_name, error)) for error in meant]
        blocking = [error for error, v in explained if self.blocks(v)]
        warnings = tuple(v for _, v in explained if not self.blocks(v))
        if blocking:
            chosen = best_match(blocking)
            return Assessment(self._explain(schema_name, _meant_branch(chosen)), warnings, capped)
        if capped:  # too many problems to tell them apart: strict, naming the most relevant one
            return Assessment(self._explain(schema_name, _meant_branch(best_match(errors))), warnings, True)
        return Assessment(None, warnings)

    def _explain(self, schema_name: str, error: ValidationError) -> Violation:
        variant = self.schemas.get(schema_name, {})
        kw = error.validator
        where = _path(error.absolute_path)
        model = error.instance.get("model") if isinstance(error.instance, dict) else None
        for_model = f" for model {model}" if isinstance(model, str) else ""
        if kw == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            extra = sorted(k for k in error.instance if k not in allowed)
            name = extra[0] if extra else None
            unknown_rules = error.schema.get("x-unknown-rules", {})
            rule = unknown_rules.get(name) or error.schema.get("x-rule") or variant.get("x-rule")
            param = f"{where}.{name}" if where and name else name
            return Violation(
                param,
                f"Unknown parameter: '{name}'{for_model}; accepted: {', '.join(sorted(allowed))}",
                rule,
            )
        if kw in ("required", "dependentRequired"):
            missing = _missing(error)
            rule = error.schema.get("x-required-rules", {}).get(missing) or self.structural_rules.get(
                "required", "REQUIRED-PARAMS"
            )
            param = f"{where}.{missing}" if where and missing else missing
            needed_by = re.search(r"is a dependency of '([^']+)'", error.message)
            msg = f"{missing} is required{for_model}" + (
                f" when {needed_by.group(1)} is sent" if needed_by else ""
            )
            return Violation(param, msg, rule)
        expected = _type_error(error)
        if expected is not None:  # structural: production's own wording (AHM-09, AHM-35)
            schema = error.schema if isinstance(error.schema, dict) else {}
            rule = schema.get("x-type-rule") or self.structural_rules.get("type")
            message = schema.get("x-type-message") or (
                f"Invalid type for '{where or 'body'}': expected {expected}, "
                f"but got {_json_kind(error.instance)} instead."
            )
            return Violation(where, message, rule)
        if kw == "format" and isinstance(error.schema, dict):
            rule = self.structural_rules.get("formats", {}).get(error.schema.get("format"))
            if rule is not None:
                return Violation(where, f"{where}: {_describe(self, error)}", rule)
        rule = error.schema.get("x-rule") if isinstance(error.schema, dict) else None
        parent = error.parent
        while rule is None and parent is not None:
            rule = parent.schema.get("x-rule") if isinstance(parent.schema, dict) else None
            parent = parent.parent
        if rule is None:
            rule = _rule_on_path(self, schema_name, error)
        custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
        if kw == "not" and isinstance(error.schema, dict):
            not_schema = error.schema.get("not", {})
            custom = custom or not_schema.get("x-message")
            rule = not_schema.get("x-rule") or rule
            where = where or ",".join(not_schema.get("required", [])) or None
        if custom:
            message = f"{where}: {custom}" if where and f"'{where}'" not in custom else custom
        else:
            described = _describe(self, error)
            message = f"{where}: {_short(error.instance)} is invalid: {described}" if where else described
        return Violation(where, message, rule)


def _meant_branch(error: ValidationError) -> ValidationError:
    """Inside anyOf / oneOf, a branch whose errors lie deeper in the instance matched its shape and
    is the one the client meant: explain its error, not the summary."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        deepest = max(len(e.path) for e in error.context)
        if deepest == 0:
            break
        error = next(e for e in error.context if len(e.path) == deepest)
    return error


_KINDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


#: Python's JSON types by JSON Schema's names (bool first: it is an int to isinstance).
_PY_TYPES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "decimal"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
)


def _json_kind(value: Any) -> str:
    """What a JSON value is, in production's words ("but got a string")."""
    name = next((name for kind, name in _PY_TYPES if isinstance(value, kind)), "null")
    return _KINDS.get(name, "a decimal")


def _expected(types: Iterable[str], enum: list[Any] | None) -> str:
    if enum and all(isinstance(v, str) for v in enum):
        shown = [f"'{v}'" for v in dict.fromkeys(enum)]
        return "one of " + (", ".join(shown[:-1]) + ", or " + shown[-1] if len(shown) > 1 else shown[0])
    return " or ".join(_KINDS.get(t, t) for t in dict.fromkeys(types))


def _type_error(error: ValidationError) -> str | None:
    """What the value should have been, when the error is one of JSON type: a `type` keyword, or an
    anyOf / oneOf whose every branch refuses the value's type. None for any other error."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "type":
        declared = error.validator_value
        return _expected([declared] if isinstance(declared, str) else list(declared), schema.get("enum"))
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return None
    by_branch: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
    types: list[str] = []
    for subs in by_branch.values():
        refused = [e for e in subs if e.validator == "type" and not e.relative_path]
        if not refused:
            return None  # this branch takes the value's type: not a type error
        for e in refused:
            declared = e.validator_value
            types += [declared] if isinstance(declared, str) else list(declared)
    return _expected(types, None) if len(by_branch) == len(schema.get(error.validator, ())) else None


def _meant_errors(error: ValidationError) -> list[ValidationError]:
    """Every error of the branch the client meant (see _meant_branch), not only the first: a
    reference object with a wrong `mime_type` and bytes that are not an image breaks a value rule
    and a structural one, and the structural one must not hide behind the other."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    deepest = max(len(e.path) for e in error.context)
    if deepest == 0:
        return [error]
    branch = next(e for e in error.context if len(e.path) == deepest).relative_schema_path[0]
    chosen = [e for e in error.context if e.relative_schema_path[0] == branch and len(e.path) > 0]
    return [leaf for e in chosen for leaf in _meant_errors(e)]


def _missing(error: ValidationError) -> str | None:
    match = re.match(r"'([^']+)' is a (?:required property|dependency of)", error.message)
    return match.group(1) if match else None


def _rule_on_path(spec: Spec, schema_name: str, error: ValidationError) -> str | None:
    """The nearest `x-rule` on the property schemas along the error's path."""
    node = spec.schemas.get(schema_name, {})
    rule: str | None = node.get("x-rule")
    for part in error.absolute_path:
        if isinstance(part, str):
            node = spec.resolve(node.get("properties", {}).get(part, {}))
        else:
            node = spec.resolve(node.get("items", {}))
        if isinstance(node, dict) and node.get("x-rule"):
            rule = node["x-rule"]
    return rule


def _describe(spec: Spec, error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    kw = error.validator
    if kw == "enum":
        values = schema.get("enum", [])
        shown = ", ".join(dict.fromkeys(str(v) for v in values))
        kinds = {type(v) for v in values}
        return "allowed: " + shown + (" (a string or a number)" if kinds == {str, int} else "")
    if kw == "const":
        return f"must be {schema.get('const')!r}"
    if kw == "pattern" and schema.get("description"):
        pattern_text: str = schema["description"]
        return pattern_text
    if kw in ("anyOf", "oneOf") and schema.get("description"):
        branches_text: str = schema["description"]
        return branches_text
    if kw == "maxLength":
        return f"longer than {schema.get('maxLength')} characters"
    if kw == "format":
        return "not an image: the bytes do not decode as an image file (send a whole JPEG, PNG or WebP file)"
    message: str = error.message  # jsonschema is checked without its types (see pyproject.toml)
    return message


_SPECS: dict[str, Spec] = {}


def get_spec(name: str) -> Spec:
    """The parsed spec, loaded once per process (parsing is the slow part of start-up)."""
    found = _SPECS.get(name)
    if found is None:
        found = _SPECS[name] = Spec(name)
    return found
