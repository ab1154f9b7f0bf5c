"""Requests generated from the spec itself: valid ones per model, and one broken per constraint.

The suite reads the OpenAPI documents (the contract), never the mock's code. `valid(spec, variant)`
is a Hypothesis strategy for requests a variant accepts (every draw is checked by a JSON Schema
validator); `violations(spec, variant)` walks the variant's constraints and yields, for each, a
request that breaks only it. A rule added to the spec is exercised without new test code.
"""

from __future__ import annotations

import base64
import copy
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

#: the contract; CONTRACT_OPENAPI_DIR (or --openapi-dir) points the suite at another copy (the stand-in tests use one
#: whose x-rules mark some rules confirmed)
_REPO = Path(__file__).resolve().parents[2]


def _packaged_openapi() -> Path:
    """The spec wherever it is: the repository's openapi/, or (installed without the repository)
    the copy packaged as `aihubmix_mock.openapi`."""
    if (_REPO / "openapi" / "aihubmix.yaml").is_file():
        return _REPO / "openapi"
    from importlib.resources import files

    return Path(str(files("aihubmix_mock.openapi")))


OPENAPI = Path(os.environ.get("CONTRACT_OPENAPI_DIR") or _packaged_openapi())
FIXTURES = _REPO / "fixtures"


def _reference(name: str, fmt: str) -> str:
    """A reference image as base64: the fixture, or (installed without the repository) one drawn here."""
    path = FIXTURES / name
    if path.is_file():
        return base64.b64encode(path.read_bytes()).decode()
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(out, format=fmt)
    return base64.b64encode(out.getvalue()).decode()


PNG_B64 = _reference("reference.png", "PNG")
JPEG_B64 = _reference("reference.jpg", "JPEG")
FORMAT_SAMPLES = {
    "image-base64": [PNG_B64, JPEG_B64],
    "image-data-url": ["data:image/png;base64," + PNG_B64, "data:image/jpeg;base64," + JPEG_B64],
}
PROMPT_ALPHABET = st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"], exclude_characters="\x00")


def use_openapi(directory: str | Path) -> None:
    """Read the contract from another copy of openapi/ (e.g. one whose x-rules mark other rules
    confirmed). The suite's --openapi-dir."""
    global OPENAPI
    OPENAPI = Path(directory)
    for cached in (document, validator, sora_models):
        cached.cache_clear()
    from . import evidence

    for cached in (evidence.rules, evidence.known_differences, evidence._param_rules):
        cached.cache_clear()


@cache
def document(name: str) -> dict[str, Any]:
    return yaml.safe_load((OPENAPI / f"{name}.yaml").read_text("utf-8"))


@cache
def sora_models() -> frozenset[str]:
    """The models that answer the OpenAI video object (the spec's SoraModel enum), read once."""
    return frozenset(schemas("aihubmix")["SoraModel"]["enum"])


def schemas(name: str) -> dict[str, Any]:
    return document(name)["components"]["schemas"]


def resolve(name: str, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document(name)
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _format_ok(fmt: str):
    def check(value: Any) -> bool:
        return not isinstance(value, str) or value in FORMAT_SAMPLES[fmt] or _real_image(value, fmt)

    return check


def _real_image(value: str, fmt: str) -> bool:
    import binascii
    import io

    from PIL import Image

    data = value.split(",", 1)[1] if fmt == "image-data-url" and "," in value else value
    try:
        with Image.open(io.BytesIO(base64.b64decode(data, validate=True))) as image:
            return image.format in ("JPEG", "PNG", "WEBP")
    except (binascii.Error, ValueError, OSError):
        return False


_CHECKER = FormatChecker(formats=())
for _fmt in FORMAT_SAMPLES:
    _CHECKER.checks(_fmt)(_format_ok(_fmt))


@cache
def validator(name: str, schema_name: str) -> Draft202012Validator:
    uri = f"urn:contract:{name}"
    registry = Registry().with_resource(
        uri, Resource.from_contents(document(name), default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{schema_name}"}, registry=registry, format_checker=_CHECKER
    )


def rule_status(name: str, rule: str | None) -> str | None:
    """`confirmed` / `unconfirmed`: what production evidence says of a rule (components/x-rules)."""
    entry = document(name)["components"].get("x-rules", {}).get(rule or "", {})
    return entry.get("production", {}).get("status")


def variants(name: str, body_schema: str) -> dict[str, str]:
    """Discriminator value (model) -> variant schema name."""
    mapping = schemas(name)[body_schema]["discriminator"]["mapping"]
    return {model: ref.rsplit("/", 1)[-1] for model, ref in mapping.items()}


# ------------------------------------------------------------------------------------ valid
def _strategy(name: str, node: Any, depth: int = 0) -> st.SearchStrategy:
    node = resolve(name, node)
    if not isinstance(node, dict) or depth > 8:
        return st.none()
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return st.one_of([_strategy(name, branch, depth + 1) for branch in node[key]])
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if node.get("format") in FORMAT_SAMPLES:
        return st.sampled_from(FORMAT_SAMPLES[node["format"]])
    if kind == "string":
        if node.get("examples"):
            return st.sampled_from(node["examples"])
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True).filter(lambda s: "\x00" not in s)  # type: ignore[arg-type]
        low = node.get("minLength", 0)
        return st.text(PROMPT_ALPHABET, min_size=low, max_size=max(low, min(node.get("maxLength", 40), 40)))
    if kind == "integer":
        return st.integers(node.get("minimum"), node.get("maximum"))
    if kind == "number":
        return st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        low = node.get("minItems", 0)
        return st.lists(
            _strategy(name, node.get("items", {}), depth + 1),
            min_size=low,
            max_size=min(node.get("maxItems", low + 2), low + 2),
        )
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {k: _strategy(name, v, depth + 1) for k, v in props.items() if k in required},
            optional={k: _strategy(name, v, depth + 1) for k, v in props.items() if k not in required},
        )
    return st.none()


def valid(name: str, schema_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Requests `schema_name` accepts; cross-field rules (not/if/dependentRequired) by filtering."""
    check = validator(name, schema_name).is_valid
    return _strategy(name, schemas(name)[schema_name]).filter(check)


def explicit_examples(name: str, variant: str) -> list[dict[str, Any]]:
    """Requests the spec itself names for `variant`: the create operation's JSON examples, then the
    `example` of each `x-known-differences` entry (the request the evidence describes), so that a
    fixed plan always sends them and a known difference is seen where it happens."""
    doc = document(name)
    mapping = variants(name, "CreateVideoRequest") if name == "aihubmix" else {}
    create = doc.get("paths", {}).get("/v1/videos", {}).get("post", {})
    found = [
        example.get("value")
        for example in create.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("examples", {})
        .values()
    ]
    found += [entry.get("example") for entry in doc.get("x-known-differences", [])]
    out: list[dict[str, Any]] = []
    for body in found:
        if isinstance(body, dict) and mapping.get(str(body.get("model"))) == variant and body not in out:
            out.append(body)
    return out


def listed_values(name: str, node: Any, depth: int = 0) -> list[Any]:
    """The values a property's schema lists (`enum`, `const`, through `anyOf`/`oneOf` and `$ref`)."""
    node = resolve(name, node)
    if not isinstance(node, dict) or depth > 4:
        return []
    if "enum" in node:
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    out: list[Any] = []
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key, []):
            out += [v for v in listed_values(name, branch, depth + 1) if v not in out]
    return out


def coverage(name: str, body_schema: str, variant: str) -> list[dict[str, Any]]:
    """One request per value a variant lists, for each model that maps to it: the variant's smallest
    request with that model and that value (a value another member's rule forbids on its own is
    skipped). A planner that sends these never leaves a (model, value) pair unsent."""
    schema = schemas(name)[variant]
    base = minimal(name, variant)
    check = validator(name, variant).is_valid
    disc = schemas(name)[body_schema]["discriminator"]["propertyName"]
    models = [m for m, v in variants(name, body_schema).items() if v == variant]
    per_model: list[list[dict[str, Any]]] = []
    for model in models:
        out: list[dict[str, Any]] = []
        per_model.append(out)
        for prop, sub in schema.get("properties", {}).items():
            if prop == disc:
                continue
            needs = _needs(name, schema, prop, base)
            candidates = [{prop: value} for value in listed_values(name, sub)]
            nested = resolve(name, sub)
            for inner, inner_sub in (
                nested.get("properties", {}) if isinstance(nested, dict) else {}
            ).items():
                outer: dict[str, Any] = base[prop] if isinstance(base.get(prop), dict) else {}
                candidates += [{prop: {**outer, inner: v}} for v in listed_values(name, inner_sub)]
            for change in candidates:
                body = {**base, **needs, disc: model, **change}
                if check(body) and body not in out:
                    out.append(body)
    # the models in turn, so that a plan cut short by its count covers every model alike
    turns = [body for row in itertools.zip_longest(*per_model) for body in row if body is not None]
    return [body for n, body in enumerate(turns) if body not in turns[:n]]


def plan(strategy: st.SearchStrategy, count: int, first: list[Any] | None = None) -> list[Any]:
    """A fixed, deterministic list of `count` examples of `strategy`, drawn without calling anything.

    Tests that bill run over such a plan instead of under `@given`: no shrinking, no replay of a
    failing example, no extra examples, so the calls made are exactly the calls planned. Five times
    as many candidates are drawn and the plan keeps, greedily, those that bring parameter values
    not yet planned (Hypothesis's first draws are the simplest ones).
    """
    from hypothesis import HealthCheck, Phase, given, settings

    drawn: list[Any] = []

    @settings(
        max_examples=count * 5,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value):
        if value not in drawn:
            drawn.append(value)

    collect()

    def traits(value: Any) -> set[str]:
        if not isinstance(value, dict):
            return {repr(value)}
        return {
            f"{k}={v!r}" if isinstance(v, (str, int, float, bool)) and len(repr(v)) < 40 else k
            for k, v in value.items()
        }

    chosen: list[Any] = list((first or [])[:count])
    seen: set[str] = set().union(*(traits(value) for value in chosen)) if chosen else set()
    pool = [value for value in drawn if value not in chosen]
    while pool and len(chosen) < count:
        best = max(pool, key=lambda v: len(traits(v) - seen))
        pool.remove(best)
        chosen.append(best)
        seen |= traits(best)
    return chosen


def default_of(name: str, schema_name: str, prop: str) -> Any:
    """The spec's `default:` of a request property (what the server assumes when it is absent)."""
    return resolve(name, schemas(name)[schema_name]["properties"][prop]).get("default")


# ------------------------------------------------------------------------------------ broken
@dataclass(frozen=True)
class Violation:
    rule: str | None
    param: str
    what: str
    body: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.param}:{self.what}"


def minimal(name: str, schema_name: str) -> dict[str, Any]:
    """The smallest request the variant accepts, deterministic: required members only."""
    schema = schemas(name)[schema_name]
    body = {prop: _first(name, schema["properties"][prop]) for prop in schema.get("required", [])}
    assert validator(name, schema_name).is_valid(body), (schema_name, body)
    return body


def _needs(name: str, schema: dict[str, Any], prop: str, base: dict[str, Any]) -> dict[str, Any]:
    """The members `prop` needs beside it (`dependentRequired`) that `base` lacks, at their first value."""
    return {
        need: _first(name, schema["properties"][need])
        for need in schema.get("dependentRequired", {}).get(prop, [])
        if need not in base
    }


def _first(name: str, node: Any) -> Any:
    node = resolve(name, node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    if node.get("examples"):
        return node["examples"][0]
    for key in ("anyOf", "oneOf"):
        if key in node:
            return _first(name, node[key][0])
    if node.get("format") in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[node["format"]][0]
    kind = node.get("type")
    if kind == "string":
        return "A cat playing jazz on a piano"
    if kind == "integer":
        return node.get("minimum", 1)
    if kind == "number":
        return node.get("minimum", 0)
    if kind == "boolean":
        return True
    if kind == "array":
        return [_first(name, node.get("items", {}))] * max(1, node.get("minItems", 1))
    return {
        k: _first(name, v) for k, v in node.get("properties", {}).items() if k in node.get("required", [])
    }


_WRONG_TYPE = {
    "string": 12345,
    "integer": "twelve",
    "number": "half",
    "boolean": "maybe",
    "array": "not-a-list",
    "object": "not-an-object",
}


def _breakers(name: str, node: Any) -> Iterator[tuple[str, Any]]:
    """(what, value) pairs that break `node`'s own constraints."""
    node = resolve(name, node)
    if "const" in node:
        yield "const", ("__not_" + str(node["const"])) if isinstance(node["const"], str) else 99999
    if "enum" in node:
        sample = node["enum"][0]
        if isinstance(sample, str):
            yield "enum", "__not_in_enum__"
        elif isinstance(sample, int):
            yield "enum", max(node["enum"]) + 1
            yield "type", str(sample)
    kind = node.get("type")
    if isinstance(kind, str) and "enum" not in node and "const" not in node:
        yield "type", _WRONG_TYPE[kind]
    if "pattern" in node:
        for candidate in ("", "abc", "99", "-5", "0", "not a url"):
            if not re.search(node["pattern"], candidate):
                yield "pattern", candidate
                break
    if "minimum" in node:
        yield "minimum", node["minimum"] - (1 if node.get("type") == "integer" else 0.5)
    if "maximum" in node:
        yield "maximum", node["maximum"] + (1 if node.get("type") == "integer" else 0.5)
    if node.get("minLength", 0) >= 1:
        yield "minLength", ""
    if "maxLength" in node and node["maxLength"] <= 40000:
        yield "maxLength", "x" * (node["maxLength"] + 1)
    if "maxItems" in node:
        item = _first(name, node.get("items", {}))
        yield "maxItems", [item] * (node["maxItems"] + 1)
    if node.get("minItems", 0) >= 1:
        yield "minItems", []
    if "anyOf" in node or "oneOf" in node:
        yield "anyOf", {"neither": "of the forms"} if node.get("type") != "object" else "neither"
    if node.get("format") in FORMAT_SAMPLES:
        yield "format", base64.b64encode(b"plain text, not an image").decode()


def violations(name: str, schema_name: str) -> list[Violation]:
    """One request per constraint of the variant, each checked to be invalid."""
    schema = schemas(name)[schema_name]
    base = minimal(name, schema_name)
    check = validator(name, schema_name).is_valid
    disc = None
    out: list[Violation] = []
    for parent in schemas(name).values():
        if isinstance(parent, dict) and "discriminator" in parent and schema_name in str(parent.get("oneOf")):
            disc = parent["discriminator"]["propertyName"]
    # a member without its own rule is governed by its variant's (as the mock names it)
    rule_of = {
        p: resolve(name, v).get("x-rule") or schema.get("x-rule")
        for p, v in schema.get("properties", {}).items()
    }

    def add(rule, param, what, body):
        if not check(body):
            out.append(Violation(rule, param, what, body))

    for prop in schema.get("required", []):
        if prop == disc:
            continue
        body = {k: v for k, v in base.items() if k != prop}
        add(schema.get("x-required-rules", {}).get(prop, "REQUIRED-PARAMS"), prop, "required", body)
    if schema.get("additionalProperties") is False:
        add(schema.get("x-rule"), "x_unknown_param", "additionalProperties", {**base, "x_unknown_param": "1"})
    for prop, sub in schema.get("properties", {}).items():
        if prop == disc:
            continue
        # a property that needs others (dependentRequired) gets them, so the request breaks only `prop`
        needs = _needs(name, schema, prop, base)
        for what, value in _breakers(name, sub):
            add(rule_of.get(prop), prop, what, {**base, **needs, prop: value})
    forbidden = schema.get("not")
    if forbidden and forbidden.get("required"):
        body = copy.deepcopy(base)
        for prop in forbidden["required"]:
            body[prop] = _first(name, schema["properties"][prop])
        add(forbidden.get("x-rule"), ",".join(forbidden["required"]), "not", body)
    if schema.get("if") and schema.get("then"):
        body = copy.deepcopy(base)
        for prop in schema["if"].get("required", []):
            body.setdefault(prop, _first(name, schema["properties"][prop]))
        for prop, sub in schema["then"].get("properties", {}).items():
            prop_schema = resolve(name, schema["properties"][prop])
            others = [v for v in prop_schema.get("enum", []) if v != sub.get("const")]
            if others:
                add(sub.get("x-rule"), prop, "then", {**body, prop: others[0]})
                break
    for prop, needs in schema.get("dependentRequired", {}).items():
        body = {**base, prop: _first(name, schema["properties"][prop])}
        for need in needs:
            body.pop(need, None)
        add(
            schema.get("x-required-rules", {}).get(needs[0], "REQUIRED-PARAMS"),
            needs[0],
            "dependentRequired",
            body,
        )
    return out


# ------------------------------------------------------------------------------------ oracle
def expected_audio(name: str, variant: str, body: dict[str, Any]) -> bool:
    """Whether the spec's `x-audio` gives this request a soundtrack (absent: silent).

    An oracle written from the spec's description of x-audio, independent of the mock's code.
    """
    schema = schemas(name)[variant]
    rule = schema.get("x-audio", False)
    if not isinstance(rule, dict):
        return rule is True
    merge = schema.get("x-render", {}).get("merge")
    params = dict(body)
    if merge and isinstance(body.get(merge), dict):
        params = {**body[merge], **{k: v for k, v in body.items() if k != merge}}
    value = params.get(rule["param"])
    if value is None:
        value = rule.get("default", resolve(name, schema["properties"].get(rule["param"], {})).get("default"))
    return value == rule["when"] if "when" in rule else value is True


def expected_render(name: str, variant: str, body: dict[str, Any]) -> tuple[int, int, int]:
    """What the spec's `x-render` says this request renders at: (width, height, seconds).

    An oracle written from the spec's description of x-render, independent of the mock's code.
    """
    schema = schemas(name)[variant]
    xr = schema["x-render"]
    params = dict(body)
    if xr.get("merge") and isinstance(body.get(xr["merge"]), dict):
        params = {**body[xr["merge"]], **{k: v for k, v in body.items() if k != xr["merge"]}}

    def pick(sources):
        sources = sources if isinstance(sources, list) else [sources]
        given = [params[s] for s in sources if params.get(s) is not None]
        if given:
            return given[0]
        found = resolve(name, schema["properties"].get(sources[0], {})).get("default")
        if found is None and xr.get("merge"):  # a member of the merged object (DashScope's parameters)
            nested = resolve(name, schema["properties"].get(xr["merge"], {})).get("properties", {})
            found = resolve(name, nested.get(sources[0], {})).get("default")
        return found

    keys = [pick(src) for src in xr["dims"]["from"]]
    dims: Any = resolve(name, {"$ref": xr["dims"]["table"]})["table"] if "table" in xr["dims"] else {}
    for key in keys:
        dims = dims.get(str(key)) if isinstance(dims, dict) else None
    if not isinstance(dims, list):
        width, height = (int(n) for n in re.split(r"[x*]", str(keys[0])))
    else:
        width, height = dims
    seconds = pick(xr["duration"])
    seconds = int(float(seconds)) if seconds is not None else -1
    return width, height, (seconds if seconds > 0 else xr.get("auto_duration"))
