"""The spec documents: valid OpenAPI, consistent, and true to the seed documents' examples and rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate

from aihubmix_mock.renderplan import plan
from aihubmix_mock.spec import get_spec
from contract_tests.engine import generate, seeds

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_SAMPLES = json.loads((ROOT / "fixtures" / "production" / "samples.json").read_text("utf-8"))
SPECS = ("aihubmix", "apimart", "control-plane")
document = generate.document  # the suite's spec reader and validator: independent of the mock


def is_valid(spec: str, schema: str, instance) -> bool:
    return generate.validator(spec, schema).is_valid(instance)


def mock_violation(spec_name: str, schema: str, body):
    """What the mock says is wrong with `body` (None when it accepts it)."""
    spec = get_spec(spec_name)
    if "discriminator" in spec.schemas[schema]:
        variant, problem = spec.variant_for(schema, body)
        return problem or spec.check(variant, body)
    return spec.check(schema, body)


BODIES = {
    "create": ("aihubmix", "CreateVideoRequest"),
    "remix": ("aihubmix", "RemixVideoRequest"),
    "apimart": ("apimart", "GenerationRequest"),
}


@pytest.mark.parametrize("name", SPECS)
def test_document_is_valid_openapi(name):
    validate(document(name))


def test_every_model_has_exactly_one_variant():
    doc = document("aihubmix")
    schemas = doc["components"]["schemas"]
    documented = set(schemas["ModelId"]["enum"])
    served = set(schemas["ServedModelId"]["enum"])  # production serves them beyond the documents (D36)
    assert len(documented) == 25 and not documented & served
    models = documented | served
    body = schemas["CreateVideoRequest"]
    mapping = body["discriminator"]["mapping"]
    assert set(mapping) == models
    variants = {ref["$ref"].rsplit("/", 1)[-1] for ref in body["oneOf"]}
    assert {v.rsplit("/", 1)[-1] for v in mapping.values()} == variants
    for model, ref in mapping.items():
        variant = schemas[ref.rsplit("/", 1)[-1]]
        model_schema = variant["properties"]["model"]
        enum = model_schema.get("enum") or schemas[model_schema["$ref"].rsplit("/", 1)[-1]]["enum"]
        assert model in enum, f"{model} maps to a variant whose model enum does not list it"


@pytest.mark.parametrize("group", list(BODIES))
def test_seed_examples(group):
    spec, schema = BODIES[group]
    for item in seeds.seed_requests(group):
        body = seeds.as_json_shape(item["body"])
        valid = is_valid(spec, schema, body)
        assert valid == (item["expect"] == "accept"), f"{item['source']}: expected {item['expect']}"
        if item["expect"] == "reject":
            violation = mock_violation(spec, schema, body)
            assert violation is not None and violation.rule == item["rule"]


@pytest.mark.parametrize("name", ["aihubmix", "apimart"])
def test_examples_in_the_spec_validate(name):
    doc = document(name)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {}) if isinstance(op, dict) else {}
            for media in content.values():
                ref = media["schema"]["$ref"].rsplit("/", 1)[-1]
                for example_name, example in media.get("examples", {}).items():
                    assert is_valid(name, ref, example["value"]), f"{method} {path} example {example_name}"


@pytest.mark.parametrize("name", ["aihubmix", "apimart"])
def test_response_examples_from_the_documents_validate(name):
    doc = document(name)
    found = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            for status, response in op.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    ref = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                    for example_name, example in media.get("examples", {}).items():
                        found += 1
                        assert is_valid(name, ref, example["value"]), (
                            f"{method} {path} {status} {example_name}"
                        )
    assert found >= 1


def _invalid_cases():
    for group in BODIES:
        for item in seeds.invalid_requests(group):
            yield pytest.param(group, item, id=f"{group}:{seeds.label(item)}")


@pytest.mark.parametrize(("group", "item"), list(_invalid_cases()))
def test_each_rule_broken_is_invalid_and_named(group, item):
    spec_name, schema = BODIES[group]
    body = item["body"]
    assert not is_valid(spec_name, schema, body), "the spec accepts a request that breaks the rule"
    violation = mock_violation(spec_name, schema, body)
    assert violation is not None
    assert violation.rule == item["rule"], violation
    if item.get("param"):
        assert violation.param == item["param"], violation


def _http_cases():
    for group in ("create", "apimart"):
        for item in seeds.invalid_requests(group):
            yield pytest.param(group, item, id=f"{group}:{seeds.label(item)}")


@pytest.fixture(scope="module")
def mock_client():
    from starlette.testclient import TestClient

    from aihubmix_mock.app import create_app
    from aihubmix_mock.config import MockConfig

    with TestClient(create_app(MockConfig(job_seconds=0))) as client:
        yield client


@pytest.mark.parametrize(("group", "item"), list(_http_cases()))
def test_the_mock_gates_each_breaking_example_by_its_evidence(mock_client, group, item):
    """Documents mode: a 400 naming the rule. Production mode: a 400 naming it when the rule is
    structural or production is known to reject it (or no variant can be chosen: D35), else a 200
    with X-Mock-Unconfirmed-Rules."""
    spec_name, schema = BODIES[group]
    path = "/v1/videos" if group == "create" else "/v1/videos/generations"
    body = seeds.as_json_shape(item["body"])
    headers = {"Authorization": "Bearer sk-test"}
    documents = mock_client.post(path, json=body, headers={**headers, "X-Mock-Rules": "documents"})
    assert documents.status_code == 400 and f"[rule {item['rule']}]" in documents.json()["error"]["message"]
    production = mock_client.post(path, json=body, headers=headers)
    routable = isinstance(body, dict) and body.get("model") in generate.variants(spec_name, schema)
    entry = _registry(spec_name)[item["rule"]]
    # refused in production mode: a structural rule (RULES.md, Two kinds of rules) or a confirmed one
    if entry["production"]["status"] == "confirmed" or entry["kind"] == "structural" or not routable:
        assert production.status_code == 400, production.text
        assert f"[rule {item['rule']}]" in production.json()["error"]["message"]
        assert "x-mock-unconfirmed-rules" not in production.headers
    else:
        assert production.status_code == 200, production.text
        assert item["rule"] in production.headers["x-mock-unconfirmed-rules"].split(", ")
        assert f"[rule {item['rule']}]" in production.headers["x-mock-warning"]
        assert "production's answer is unknown" in production.headers["x-mock-warning"]


def _rules_md() -> str:
    return (ROOT / "openapi" / "RULES.md").read_text("utf-8")


def _rule_ids_used(name: str) -> set[str]:
    """Every rule id the spec's constraints (or the mock's code) name."""
    text = (ROOT / "openapi" / f"{name}.yaml").read_text("utf-8")
    found = set(re.findall(r"x-rule: ([A-Z][A-Z0-9-]+)", text))
    for block in re.findall(r"x-(?:unknown|required)-rules: \{([^}]*)\}", text):
        found |= set(re.findall(r": ([A-Z][A-Z0-9-]+)", block))
    found |= set(re.findall(r"x-type-rule: ([A-Z][A-Z0-9-]+)", text))
    structural = document(name)["components"].get("x-structural", {})
    named = [structural.get(k) for k in ("type", "required", "numbers")] + list(
        structural.get("formats", {}).values()
    )
    found |= {rule for rule in named if rule}
    if name == "aihubmix":
        code = "".join(p.read_text("utf-8") for p in (ROOT / "mock").rglob("*.py"))
        found |= set(re.findall(r'"([A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+)"', code))
        found.add("REQUIRED-PARAMS")
    return found


def _registry(name: str) -> dict:
    return document(name)["components"]["x-rules"]


@pytest.mark.parametrize("name", ["aihubmix", "apimart"])
def test_every_rule_used_is_in_the_registry_and_back(name):
    """components/x-rules has one entry per rule the spec uses, with its provenance."""
    used, registry = _rule_ids_used(name), _registry(name)
    if name == "aihubmix":  # the mock's code names APIMart's rules too
        used -= {rule for rule in _registry("apimart") if rule.startswith("APIMART-")}
    assert not used - set(registry), f"rules used but not in x-rules: {sorted(used - set(registry))}"
    assert not set(registry) - used, f"x-rules entries nothing uses: {sorted(set(registry) - used)}"
    samples = {s["id"] for s in PRODUCTION_SAMPLES}
    for rule, entry in registry.items():
        assert {"rule", "side", "kind", "docs", "tests", "production"} <= set(entry), rule
        assert entry["kind"] == ("response" if entry["side"] == "response" else entry["kind"]), rule
        assert entry["kind"] in (("structural", "value") if entry["side"] == "request" else ("response",)), (
            rule
        )
        production = entry["production"]
        assert production["status"] in ("confirmed", "unconfirmed"), rule
        assert production.get("note"), f"{rule}: say what is known, or 'no evidence yet'"
        assert set(production.get("samples", [])) <= samples, f"{rule} cites samples that do not exist"
        if production["status"] == "confirmed":
            assert production.get("samples") and production.get("dated") and production.get("confidence"), (
                rule
            )
        if "decision" in entry:
            assert re.fullmatch(r"D\d+", entry["decision"]) and f"| {entry['decision']} |" in _rules_md(), (
                rule
            )


def test_every_rule_is_traced_in_rules_md():
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9-]+)` \|", _rules_md(), re.M))
    rules = set(_registry("aihubmix")) | set(_registry("apimart"))
    assert documented == rules, sorted(documented ^ rules)


def test_every_request_rule_has_a_breaking_example():
    request_side = {
        rule
        for name in ("aihubmix", "apimart")
        for rule, entry in _registry(name).items()
        if entry["side"] == "request" and "reader" not in entry  # not a schema's: no schema breaks it
    }
    exercised = {item["rule"] for group in BODIES for item in seeds.invalid_requests(group)}
    missing = request_side - exercised
    assert not missing, (
        f"request rules with no breaking example in fixtures/invalid_requests.yaml: {sorted(missing)}"
    )


# -------------------------------------------------------------------------- rendering per model
VARIANTS = sorted(set(get_spec("aihubmix").variants("CreateVideoRequest").values()))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_valid_request_renders(variant):
    """Whatever a variant accepts, x-render turns into an even frame size and a real duration."""
    spec = get_spec("aihubmix")

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(generate.valid("aihubmix", variant))
    def check(body):
        width, height, seconds = plan(spec, variant, body)
        assert width > 0 and height > 0 and width % 2 == 0 and height % 2 == 0
        assert 1 <= seconds <= 15

    check()


@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_violations_cover_every_property(variant):
    """The suite's generator finds a breaking request for every constrained property of a variant."""
    found = {v.param for v in generate.violations("aihubmix", variant)}
    schema = document("aihubmix")["components"]["schemas"][variant]
    constrained = {p for p in schema["properties"] if p not in ("model", "extra_body", "negative_prompt")}
    assert constrained <= found | {"model"}, sorted(constrained - found)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_two_validators_agree(variant):
    """jsonschema-rs decides and Python's jsonschema explains: they must give the same verdict, on
    valid requests, on every generated violation, and on every documented breaking request."""
    spec = get_spec("aihubmix")
    decider, explainer = spec.decider(variant), spec.validator(variant)
    bodies = [v.body for v in generate.violations("aihubmix", variant)]
    bodies += [
        item["body"]
        for item in seeds.invalid_requests("create")
        if spec.variants("CreateVideoRequest").get(item["body"].get("model")) == variant
    ]
    for body in bodies:
        assert decider.is_valid(body) == explainer.is_valid(body) == False, body  # noqa: E712

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(generate.valid("aihubmix", variant))
    def agree(body):
        assert decider.is_valid(body) and explainer.is_valid(body)

    agree()


def _job(shape: str, status: str):
    from tests.factories import make_job

    completed_at = 1_795_000_005.0 if status == "completed" else None
    return make_job(
        id="video_1", shape=shape, status=status, created_at=1_795_000_000.5, completed_at=completed_at
    )


def test_every_response_shape_is_a_schema_the_mock_fills():
    """Each `x-response-shape` a variant names has a schema in `x-response-shapes`, and the mock's
    responses have exactly that schema's members (built from it, not restated in Python)."""
    from aihubmix_mock.shapes import response_shape

    for spec in (get_spec("aihubmix"),):
        named = {spec.extension(v, "x-response-shape") for v in spec.variants("CreateVideoRequest").values()}
        shapes = spec.document["components"]["x-response-shapes"]
        assert named <= set(shapes), f"x-response-shape names without a schema: {named - set(shapes)}"
        for shape in named:
            schema = spec.resolve(shapes[shape])
            for status in ("queued", "in_progress", "completed", "failed"):
                job = _job(shape, status)
                body = response_shape(spec.name, shape).build(job, "http://mock")
                assert list(body) == list(schema["properties"]), (shape, status)
                assert body["id"] == job.id and body["status"] == status
                assert body["created_at" if "created_at" in body else "created"] == 1_795_000_000


def test_a_response_member_the_mock_cannot_fill_fails_at_start_up():
    import copy

    from aihubmix_mock.shapes import VIDEO_FIELDS, ResponseShape
    from aihubmix_mock.spec import Spec

    document = copy.deepcopy(get_spec("aihubmix").document)
    document["components"]["schemas"]["SoraVideo"]["properties"]["watermark"] = {"type": "string"}
    with pytest.raises(LookupError, match="'watermark'"):
        ResponseShape(Spec("aihubmix", document), "sora", VIDEO_FIELDS)


def test_every_variant_says_whether_it_can_be_deleted_and_remixed():
    spec = get_spec("aihubmix")
    for variant in spec.variants("CreateVideoRequest").values():
        for key in ("x-delete", "x-remix"):
            assert spec.extension(variant, key) in ("supported", "not_supported"), f"{variant}: {key}"
