"""Proof from outside (issue 20, item 4): Hypothesis sends the mock, in its default production mode,
every structural violation the spec allows it to build (a member of another JSON type, a required
member left out, bytes that are not an image) and expects a 400 naming the member; and merely
unconfirmed values, expecting a 200 whose warning names the rule.

Everything is read from the spec (through the suite's generator, contract_tests/engine/generate.py),
nothing from the mock's code: the app is driven over ASGI like any client.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, UnidentifiedImageError
from starlette.testclient import TestClient

from aihubmix_mock import create_app
from contract_tests.engine import generate

AUTH = {"Authorization": "Bearer sk-structural"}
BODIES = {
    "aihubmix": ("CreateVideoRequest", "/v1/videos"),
    "apimart": ("GenerationRequest", "/v1/videos/generations"),
}
CLIENT = TestClient(create_app(job_seconds=0))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _variants() -> list[tuple[str, str, str]]:
    """(spec, model, variant) for every model of both specs."""
    return [
        (name, model, variant)
        for name, (body, _) in BODIES.items()
        for model, variant in sorted(generate.variants(name, body).items())
    ]


VARIANTS = _variants()


def _kind(name: str, rule: str) -> tuple[str, str]:
    entry = generate.document(name)["components"]["x-rules"][rule]
    return entry["kind"], entry["production"]["status"]


def json_types(name: str, node: Any) -> set[str]:
    """The JSON types a schema lets through (type, enum and const literals, anyOf/oneOf branches);
    empty when it says nothing (any value)."""
    node = generate.resolve(name, node)
    if not isinstance(node, dict):
        return set()
    declared = node.get("type")
    found = set([declared] if isinstance(declared, str) else declared or [])
    literals = ([node["const"]] if "const" in node else []) + list(node.get("enum", []))
    found |= {_json_type(v) for v in literals}
    for key in ("anyOf", "oneOf"):
        branches = [json_types(name, b) for b in node.get(key, [])]
        if any(not b for b in branches):
            return set()  # a branch takes anything
        for branch in branches:
            found |= branch
    if "number" in found:
        found.add("integer")  # JSON Schema: every integer is a number
    return found


def _json_type(value: Any) -> str:
    for kind, label in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string")):
        if isinstance(value, kind):
            return label
    return {dict: "object", list: "array"}.get(type(value), "null")


#: A value of each JSON type (numbers never integral, which JSON Schema would count as integers).
VALUES = {
    "string": st.text(max_size=20),
    "integer": st.integers(-(2**31), 2**31),
    "number": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    "boolean": st.booleans(),
    "null": st.none(),
    "object": st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    "array": st.lists(st.integers(), max_size=2),
}


def _typed_members() -> list[tuple[str, str, str, str, set[str]]]:
    """(spec, model, variant, member, its JSON types) for every typed member but the model."""
    out = []
    for name, model, variant in VARIANTS:
        properties = generate.schemas(name)[variant].get("properties", {})
        for member, schema in sorted(properties.items()):
            types = json_types(name, schema)
            if member != "model" and types:
                out.append((name, model, variant, member, types))
    return out


TYPED = _typed_members()


def post(name: str, body: dict[str, Any]):
    return CLIENT.post(BODIES[name][1], json=body, headers=AUTH)


@SETTINGS
@given(data=st.data())
def test_a_member_of_another_json_type_is_a_400_naming_it(data):
    name, model, variant, member, types = data.draw(st.sampled_from(TYPED), label="member")
    wrong = [t for t in VALUES if t not in types]
    value = data.draw(st.sampled_from(wrong).flatmap(lambda t: VALUES[t]), label="value")
    body = {**generate.minimal(name, variant), "model": model, member: value}
    response = post(name, body)
    assert response.status_code == 400, (body, response.text)
    assert response.headers["x-mock-param"].split(".")[0].split("[")[0] == member, response.text
    kind, status = _kind(name, response.headers["x-mock-rule"])
    assert kind == "structural" or status == "confirmed", response.text


REQUIRED = [
    (name, model, variant, member)
    for name, model, variant in VARIANTS
    for member in generate.schemas(name)[variant].get("required", [])
    if member != "model"
]


@pytest.mark.parametrize(("name", "model", "variant", "member"), REQUIRED, ids=lambda v: str(v))
def test_a_missing_required_member_is_refused_unless_its_rule_is_a_value_rule(name, model, variant, member):
    body = {k: v for k, v in generate.minimal(name, variant).items() if k != member}
    response = post(name, {**body, "model": model})
    schema = generate.schemas(name)[variant]
    structural = generate.document(name)["components"]["x-structural"]["required"]
    rule = schema.get("x-required-rules", {}).get(member, structural)
    kind, status = _kind(name, rule)
    if kind == "structural" or status == "confirmed":
        assert response.status_code == 400, response.text
        assert response.headers["x-mock-param"] == member and response.headers["x-mock-rule"] == rule
    else:  # e.g. WAN-I2V-REFERENCE: which models need a reference is a value rule, unconfirmed
        assert response.status_code == 200, response.text
        assert rule in response.headers["x-mock-unconfirmed-rules"].split(", ")


def _not_an_image(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return True
    return False


FILE_MODELS = [
    (name, model, variant)
    for name, model, variant in VARIANTS
    if name == "aihubmix" and "input_reference" in generate.schemas(name)[variant].get("properties", {})
]


@SETTINGS
@given(
    target=st.sampled_from(FILE_MODELS),
    data=st.one_of(
        st.binary(max_size=256),
        st.binary(max_size=64).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),  # a PNG's magic, then noise
        st.binary(max_size=64).map(lambda b: b"\xff\xd8\xff" + b),
        st.text(max_size=64).map(lambda t: f"<html>{t}</html>".encode()),
    ).filter(_not_an_image),
    declared=st.sampled_from(["image/png", "image/jpeg", "image/webp", "application/octet-stream"]),
)
def test_a_file_part_that_is_not_an_image_is_a_400(target, data, declared):
    name, model, variant = target
    fields = {k: v for k, v in generate.minimal(name, variant).items() if k != "input_reference"}
    parts = [(k, (None, str(v))) for k, v in {**fields, "model": model}.items()]
    parts.append(("input_reference", ("ref.png", data, declared)))
    response = CLIENT.post("/v1/videos", files=parts, headers=AUTH)
    assert response.status_code == 400, response.text
    assert response.headers["x-mock-param"].startswith("input_reference"), response.text
    assert response.headers["x-mock-rule"] in (
        "REFERENCE-IS-IMAGE",
        "VEO-NO-REFERENCE",
        "WAN-T2V-NO-REFERENCE",
    ) or (_kind(name, response.headers["x-mock-rule"])[1] == "confirmed"), response.text


def _unconfirmed_enums() -> list[tuple[str, str, str, str, str, list[Any]]]:
    """(spec, model, variant, member, rule, allowed) for string enums under an unconfirmed value rule."""
    out = []
    for name, model, variant in VARIANTS:
        for member, schema in sorted(generate.schemas(name)[variant].get("properties", {}).items()):
            node = generate.resolve(name, schema)
            rule = node.get("x-rule") or schema.get("x-rule")
            if member == "model" or "enum" not in node or not rule:
                continue
            kind, status = _kind(name, rule)
            if kind == "value" and status == "unconfirmed" and "string" in json_types(name, node):
                out.append((name, model, variant, member, rule, node["enum"]))
    return out


UNCONFIRMED = _unconfirmed_enums()


@SETTINGS
@given(data=st.data())
def test_an_unconfirmed_value_is_accepted_with_a_warning_naming_its_rule(data):
    name, model, variant, member, rule, allowed = data.draw(st.sampled_from(UNCONFIRMED), label="member")
    value = data.draw(st.text(min_size=1, max_size=12).filter(lambda v: v not in allowed), label="value")
    body = {**generate.minimal(name, variant), "model": model, member: value}
    response = post(name, body)
    assert response.status_code == 200, (body, response.text)
    assert rule in response.headers["x-mock-unconfirmed-rules"].split(", "), response.headers
    assert f"[rule {rule}]" in response.headers["x-mock-warning"]


def test_the_properties_cover_the_spec():
    """Each drawn space is not empty: the tests above run over something."""
    assert len(TYPED) > 50 and len(REQUIRED) > 20 and len(FILE_MODELS) > 3 and len(UNCONFIRMED) > 10
