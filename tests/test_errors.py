"""Errors as production writes them, one vocabulary for every surface, and the spec that says so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from aihubmix_mock import create_app
from aihubmix_mock.directives import NONE, Directives
from aihubmix_mock.errors import ApiError
from aihubmix_mock.faults import catalogue
from aihubmix_mock.lifecycle import Policy
from aihubmix_mock.spec import get_spec
from contract_tests.engine import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {s["id"]: s for s in json.loads((ROOT / "fixtures/production/samples.json").read_text())}
AUTH = {"Authorization": "Bearer sk-errors"}


@pytest.mark.parametrize(
    ("spec", "sample"),
    [
        ("aihubmix", "AHM-03"),
        ("aihubmix", "AHM-04"),
        ("aihubmix", "AHM-05"),
        ("aihubmix", "AHM-06"),
        ("apimart", "APM-06"),
        ("apimart", "APM-07"),
    ],
)
def test_captured_production_error_bodies_validate(spec, sample):
    assert generate.validator(spec, "Error").is_valid(SAMPLES[sample]["body"]), SAMPLES[sample]["body"]


@pytest.mark.parametrize("name", ["aihubmix", "apimart"])
def test_error_response_examples_validate(name):
    doc = generate.document(name)
    checked = 0
    for response_name, response in doc["components"]["responses"].items():
        for media in response.get("content", {}).values():
            schema = media["schema"]
            parts = schema.get("allOf", [schema])
            for example_name, example in media.get("examples", {}).items():
                for part in parts:
                    if "$ref" in part:
                        ok = generate.validator(name, part["$ref"].rsplit("/", 1)[-1]).is_valid(
                            example["value"]
                        )
                    else:
                        ok = Draft202012Validator(part).is_valid(example["value"])
                    assert ok, f"{response_name} example {example_name}"
                checked += 1
    assert checked >= 2


def test_the_control_plane_names_the_faults_the_spec_has():
    kinds = catalogue(get_spec("aihubmix"))
    schema = generate.document("control-plane")["components"]["schemas"]["FaultRequest"]["properties"]
    assert set(schema["fault"]["enum"]) == {k.name for k in kinds.values() if not k.name.isdigit()}
    assert {str(s) for s in schema["status"]["enum"]} == {n for n in kinds if n.isdigit()}


def test_directives_are_parsed_once_into_a_typed_value():
    default = Policy("time", 5)
    kinds = catalogue(get_spec("aihubmix"))
    assert Directives.parse({}, default, kinds) is NONE
    parsed = Directives.parse(
        {b"x-mock-policy": b"polls=2", b"x-mock-outcome": b"failed", b"x-mock-fault": b"Balance"},
        default,
        kinds,
    )
    assert parsed == Directives(Policy("polls", 2), "failed", "balance")
    with pytest.raises(ApiError) as bad:
        Directives.parse({b"x-mock-policy": b"soon"}, default, kinds)
    assert bad.value.status == 400 and bad.value.message.startswith("X-Mock-Policy")
    with pytest.raises(AttributeError):
        parsed.fault = "no-channel"  # frozen


def test_jobs_read_directives_not_headers():
    source = (ROOT / "mock/jobs.py").read_text()
    assert "header(" not in source and "x-mock" not in source.lower().replace("x-mock-* directives", "")


@pytest.fixture
def client():
    return TestClient(create_app(job_seconds=0))


def test_gateway_envelope_has_no_code_or_param(client):
    bad = client.post("/v1/videos", json={"model": "sora-2", "prompt": "p", "seconds": "5"}, headers=AUTH)
    assert bad.status_code == 400
    body = bad.json()
    assert body == {
        "error": {"message": body["error"]["message"], "type": "Aihubmix_api_error"},
        "type": "error",
    }
    assert re.fullmatch(r"seconds: .*\[rule SORA-SECONDS\] \(tid: \d{31}\)", body["error"]["message"])
    assert bad.headers["x-mock-param"] == "seconds"


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/v2/nothing", 404), ("PUT", "/v1/videos", 405)]
)
def test_answers_outside_handlers_use_the_same_writer(client, method, path, status):
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "type"} and set(body["error"]) == {"message", "type"}
    assert body["error"]["message"].endswith(f"(tid: {response.headers['x-request-id']})")


def test_apimart_errors(client):
    no_key = client.post("/v1/videos/generations", json={"model": "sora-2-preview", "prompt": "p"})
    rid = no_key.headers["x-oneapi-request-id"]
    assert re.fullmatch(r"\d{23}[A-Za-z]{8}", rid)
    assert no_key.json() == {
        "error": {
            "code": "",
            "message": no_key.json()["error"]["message"],
            "param": "",
            "type": "apimart_error",
        }
    }
    assert no_key.json()["error"]["message"].endswith(f"(request id: {rid})")
    bad = client.post(
        "/v1/videos/generations",
        json={"model": "sora-2-preview", "prompt": "p", "duration": 5},
        headers={**AUTH, "X-Mock-Rules": "documents"},
    )  # APIMART-DURATION is unconfirmed
    assert bad.status_code == 400
    assert bad.json() == {
        "error": {"code": 400, "message": bad.json()["error"]["message"], "type": "invalid_request_error"}
    }
    assert "duration" in bad.json()["error"]["message"] and bad.headers["x-mock-rule"]


def test_kling_delete_keeps_the_documented_code(client):
    job = client.post("/v1/videos", json={"model": "kling-v1-6", "prompt": "p"}, headers=AUTH).json()
    response = client.delete(f"/v1/videos/{job['id']}", headers=AUTH)
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "not_supported"
    assert response.json()["error"]["type"] == "Aihubmix_api_error"


def test_control_plane_errors_name_the_field(client):
    response = client.post("/__mock/clock/advance", json={"seconds": "soon"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "seconds" and "seconds" in response.json()["error"]["message"]
    response = client.post("/__mock/jobs/x/advance", json={})
    assert response.status_code == 404
