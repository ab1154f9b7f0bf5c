"""The spec and the mock against production evidence (fixtures/production/samples.json).

- every request sample a production-verified client sends is accepted; every refusal production
  is known to give is a 400 naming the rule;
- every captured production body validates against the spec's schema for it;
- one test per recorded docs-vs-production decision (RULES.md D30-D38);
- the gate itself: unconfirmed rules warn, confirmed ones reject, the cost is bounded, the render
  copes, `documents` mode and `--rules`, RULES.md generated from x-rules.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from aihubmix_mock import spec as spec_module
from aihubmix_mock.app import create_app
from aihubmix_mock.cli import build_parser, config_from
from aihubmix_mock.config import MockConfig
from aihubmix_mock.spec import get_spec
from contract_tests.engine import generate
from tests import rules_md

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {
    s["id"]: s for s in json.loads((ROOT / "fixtures" / "production" / "samples.json").read_text("utf-8"))
}
AUTH = {"Authorization": "Bearer sk-evidence"}
DOCUMENTS = {**AUTH, "X-Mock-Rules": "documents"}
PNG_DATA_URL = (
    "data:image/png;base64," + base64.b64encode((ROOT / "fixtures" / "reference.png").read_bytes()).decode()
)
# Sources that say they were verified against the live gateway (the official adapter, README:
# "verified against the live AIHubMix gateway"), or that report a body as working end-to-end.
VERIFIED_SOURCES = ("AIhubmix/aihubmix-media-adapters", "magicwang1111/ComfyUI-Veo3.1")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(MockConfig(job_seconds=0))) as test_client:
        yield test_client


def create(client, body, headers=AUTH, path="/v1/videos"):
    return client.post(path, json=body, headers=headers)


def rule_of(response) -> str:
    """The rule a 400 names: the `X-Mock-Rule` header, which must agree with the message's
    `[rule …]` (production's body has no member for it)."""
    rule = response.headers.get("x-mock-rule", "")
    assert f"[rule {rule}]" in response.json()["error"]["message"], response.text[:300]
    return rule


# ------------------------------------------------------------------------------ request samples
def _request_samples():
    for sample in SAMPLES.values():
        body = sample["body"]
        if sample["kind"] != "request" or "model" not in body or "remix" in sample["endpoint"]:
            continue  # (AHM-28 lists multipart field names only; AHM-29 is a remix with a placeholder model)
        yield pytest.param(sample, id=sample["id"])


def _real_image(value):
    """The sample with the adapter's placeholder image replaced by a real one (see DATA)."""
    if isinstance(value, dict):
        return {k: _real_image(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_real_image(v) for v in value]
    return DATA if value == PLACEHOLDER else value


@pytest.mark.parametrize("sample", list(_request_samples()))
def test_request_samples_get_productions_answer(client, sample):
    path = "/v1/videos/generations" if sample["id"].startswith("APM") else "/v1/videos"
    response = create(client, _real_image(sample["body"]), path=path)
    assert response.status_code < 500, response.text
    if sample["source"].startswith(VERIFIED_SOURCES):
        # production's answer to this exact body is not captured, but its client says it works
        assert response.status_code == 200, f"{sample['id']}: {response.text[:300]}"
    elif response.status_code == 200:
        # production's answer unknown: accepted, and every rule the mock doubts is named
        for rule in filter(None, (response.headers.get("x-mock-unconfirmed-rules") or "").split(", ")):
            assert (
                generate.rule_status(sample["id"].startswith("APM") and "apimart" or "aihubmix", rule)
                == "unconfirmed"
            )
    else:
        # the only refusal among them: a non-Sora model on APIMart's Sora endpoint (D35, D37)
        assert sample["id"] == "APM-11" and rule_of(response) == "APIMART-MODEL", response.text


# Each refusal production is known to give, as the request that provokes it (reconstructed from the
# sample's words) and the rule the mock names. Every 400 of /v1/videos in the evidence is here or
# in NOT_REQUEST_LEVEL with the reason.
REFUSALS = {
    "AHM-09": (
        {"model": "sora-2", "prompt": "clip", "input_reference": PNG_DATA_URL},
        "SORA-REFERENCE-OBJECT",
    ),
    "AHM-11": ({"model": "sora-2", "prompt": "clip", "aspect_ratio": "16:9"}, "SORA-NO-UNKNOWN"),
    "AHM-13": (
        {"model": "veo-3.1-generate-preview", "prompt": "a sunset", "seconds": 4, "size": "1024x1024"},
        "VEO-SIZE",
    ),
    "AHM-15": (
        {
            "model": "veo-3.1-fast-generate-preview",
            "prompt": "p",
            "input_reference": {"mime_type": "image/png", "data": PNG_DATA_URL.split(",", 1)[1]},
        },
        "VEO-NO-REFERENCE",
    ),
    "AHM-18": ({"model": "veo-3.1-lite-generate-preview", "prompt": "p", "seconds": "5"}, "VEO3-SECONDS"),
    "AHM-31": ({"model": "minimax-h3", "prompt": "p"}, "MODEL-LEGACY-PROTOCOL"),
    "AHM-35": ({"model": "sora-2", "prompt": "p", "seconds": 8}, "SORA-SECONDS"),
    "AHM-36": ({"model": "sora-2", "prompt": "p", "size": "1024x1024"}, "SORA-SIZE"),
}
NOT_REQUEST_LEVEL = {
    "AHM-23": "upstream Seedance errors for the 1.x ids (reference roles, pixel resolutions): x-known-differences K-SEEDANCE1-R2V",
    "AHM-33": "the native /ai/v1/images route, not /v1/videos",
}


def test_every_known_refusal_is_covered():
    refusals = {
        i
        for i, s in SAMPLES.items()
        if s["kind"] == "error"
        and s["http_status"] == 400
        and i.startswith("AHM")
        and "/v1/videos" in s["endpoint"]
    }
    assert refusals, "no refusal found in the evidence"
    assert refusals <= set(REFUSALS) | set(NOT_REQUEST_LEVEL), sorted(
        refusals - set(REFUSALS) - set(NOT_REQUEST_LEVEL)
    )
    assert set(REFUSALS) <= set(SAMPLES)


@pytest.mark.parametrize(
    ("sample_id", "body", "rule"), [(i, b, r) for i, (b, r) in REFUSALS.items()], ids=list(REFUSALS)
)
def test_known_refusals_are_400_in_every_mode(client, sample_id, body, rule):
    assert generate.rule_status("aihubmix", rule) in ("confirmed", None)
    for headers in (AUTH, DOCUMENTS):
        response = create(client, body, headers)
        assert response.status_code == 400, f"{sample_id}: {response.text[:300]}"
        assert rule_of(response) == rule
        assert "x-mock-unconfirmed-rules" not in response.headers


def test_confirmed_rules_cite_their_refusals():
    for name in ("aihubmix", "apimart"):
        for rule, entry in generate.document(name)["components"]["x-rules"].items():
            if entry["production"]["status"] == "confirmed" and entry["side"] == "request":
                assert set(entry["production"]["samples"]) & (set(REFUSALS) | {"AHM-07", "AHM-14"}), rule


# ------------------------------------------------------------------------------ the official adapter
# The request bodies AIhubmix/aihubmix-media-adapters (0.2.0, 2026-06-05) builds in its tests
# (tests/parity-aihubmix-video.test.ts, tests/video.test.ts), transcribed. Their tests use the
# placeholder data URL PLACEHOLDER ("hello", not an image); what was verified live is the shape, so
# a real image stands in for it (DATA). The placeholder itself breaks a structural rule
# (REFERENCE-IS-IMAGE): refused in every mode (test_the_adapters_placeholder_image_is_refused).
PLACEHOLDER = "data:image/png;base64,aGVsbG8="
DATA = PNG_DATA_URL
ADAPTER_SHAPES = [
    (
        "parity seedance i2v",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "a panda",
            "duration": 5,
            "content": [
                {"type": "text", "text": "a panda"},
                {"type": "image_url", "image_url": {"url": DATA}, "role": "first_frame"},
            ],
            "resolution": "720p",
            "seed": 7,
            "generate_audio": True,
        },
    ),
    (
        "parity seedance t2v",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "sun",
            "duration": 8,
            "content": [{"type": "text", "text": "sun"}],
            "resolution": "720p",
            "ratio": "16:9",
            "watermark": False,
            "camera_fixed": True,
        },
    ),
    (
        "parity seedance 15s",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "x",
            "duration": 15,
            "content": [{"type": "text", "text": "x"}],
        },
    ),
    ("parity sora t2v number", {"model": "sora-2", "prompt": "sunset", "seconds": 8, "size": "1280x720"}),
    (
        "parity sora i2v number",
        {
            "model": "sora-2",
            "prompt": "clip",
            "seconds": 4,
            "size": "720x1280",
            "input_reference": {"image_url": DATA},
        },
    ),
    (
        "parity wan2.5 i2v",
        {
            "model": "wan2.5-i2v-preview",
            "prompt": "animate",
            "seconds": 5,
            "size": "1280x720",
            "input_reference": DATA,
        },
    ),
    ("parity jimeng t2v", {"model": "jimeng-3.0-pro", "prompt": "x", "seconds": 5, "size": "16:9"}),
    (
        "parity sora extraBody",
        {
            "model": "sora-2",
            "prompt": "x",
            "seconds": 8,
            "size": "1280x720",
            "quality": "high",
            "some_vendor_flag": True,
        },
    ),
    (
        "seedance t2v",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "a panda",
            "duration": 5,
            "content": [{"type": "text", "text": "a panda"}],
        },
    ),
    (
        "seedance i2v",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "animate the panda",
            "duration": 5,
            "content": [
                {"type": "text", "text": "animate the panda"},
                {"type": "image_url", "image_url": {"url": DATA}, "role": "first_frame"},
            ],
        },
    ),
    (
        "seedance flf2v",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "morph",
            "duration": 5,
            "content": [
                {"type": "text", "text": "morph"},
                {"type": "image_url", "image_url": {"url": DATA}, "role": "first_frame"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,LAST"},
                    "role": "last_frame",
                },
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,REF"},
                    "role": "reference_image",
                },
            ],
        },
    ),
    (
        "seedance 1080p",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "x",
            "duration": 5,
            "content": [{"type": "text", "text": "x"}],
            "resolution": "1080p",
        },
    ),
    (
        "seedance flags",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "x",
            "duration": 5,
            "content": [{"type": "text", "text": "x"}],
            "ratio": "21:9",
            "watermark": False,
            "camera_fixed": True,
            "seed": 42,
            "generate_audio": True,
        },
    ),
    (
        "seedance content passthrough",
        {
            "model": "doubao-seedance-2-0-260128",
            "prompt": "ignored-when-content",
            "duration": 5,
            "content": [
                {"type": "text", "text": "cut"},
                {"type": "image_url", "image_url": {"url": DATA}, "role": "first_frame"},
                {"type": "image_url", "image_url": {"url": DATA}, "role": "last_frame"},
                {"type": "video_url", "video_url": {"url": "https://x/y.mp4"}, "role": "reference_video"},
            ],
        },
    ),
    (
        "happyhorse i2v",
        {
            "model": "happyhorse-1.0-i2v",
            "input": {"prompt": "cat stretches", "media": [{"type": "first_frame", "url": DATA}]},
            "parameters": {"resolution": "720P", "duration": 5, "prompt_extend": True, "watermark": False},
        },
    ),
    (
        "happyhorse t2v",
        {
            "model": "happyhorse-1.0-t2v",
            "input": {"prompt": "a sunset"},
            "parameters": {"resolution": "720P", "duration": 5, "prompt_extend": True, "watermark": False},
        },
    ),
    (
        "happyhorse flf2v",
        {
            "model": "happyhorse-1.0-i2v",
            "input": {
                "prompt": "morph",
                "media": [
                    {"type": "first_frame", "url": DATA},
                    {"type": "last_frame", "url": "data:image/png;base64,LAST"},
                ],
            },
            "parameters": {"resolution": "720P", "duration": 5, "prompt_extend": True, "watermark": False},
        },
    ),
    (
        "veo t2v",
        {"model": "veo-3.1-generate-preview", "prompt": "a sunset", "seconds": 4, "size": "1280x720"},
    ),
    ("veo t2v 6s", {"model": "veo-3.1-generate-preview", "prompt": "clip", "seconds": 6, "size": "1280x720"}),
    ("sora string seconds", {"model": "sora-2", "prompt": "x", "seconds": "8"}),
    (
        "wan2.5 i2v url",
        {"model": "wan2.5-i2v-preview", "prompt": "a", "seconds": 5, "input_reference": "https://x/y.png"},
    ),
    (
        "sora registry i2v",
        {"model": "sora-2", "prompt": "animate", "seconds": "8", "input_reference": {"image_url": DATA}},
    ),
    (
        "wan2.6 i2v registry",
        {"model": "wan2.6-i2v", "prompt": "animate", "seconds": 5, "input_reference": DATA},
    ),
]
# The three the mock refuses, and why: Sora's seconds as a number (AHM-35; the playground's
# body-building sends one, x-known-differences K-SORA-SECONDS-NUMBER) and an extra_body merge test
# that sends unknown members to Sora (AHM-11).
ADAPTER_REFUSED = {
    "parity sora t2v number": "SORA-SECONDS",
    "parity sora i2v number": "SORA-SECONDS",
    "parity sora extraBody": "SORA-NO-UNKNOWN",
}


@pytest.mark.parametrize("headers", [AUTH, DOCUMENTS], ids=["production", "documents"])
def test_the_adapters_placeholder_image_is_refused(client, headers):
    """Bytes that are not an image are refused in every mode, naming the structural rule."""
    body = {"model": "wan2.5-i2v-preview", "prompt": "animate", "seconds": 5, "input_reference": PLACEHOLDER}
    response = create(client, body, headers=headers)
    assert response.status_code == 400 and rule_of(response) == "REFERENCE-IS-IMAGE", response.text
    assert response.headers["x-mock-param"] == "input_reference"


@pytest.mark.parametrize(("name", "body"), ADAPTER_SHAPES, ids=[n for n, _ in ADAPTER_SHAPES])
def test_the_official_adapters_request_shapes(client, name, body):
    response = create(client, body)
    if name in ADAPTER_REFUSED:
        assert response.status_code == 400 and rule_of(response) == ADAPTER_REFUSED[name], response.text
    else:
        assert response.status_code == 200, response.text
        doubts = set(filter(None, (response.headers.get("x-mock-unconfirmed-rules") or "").split(", ")))
        assert not doubts, doubts


# ------------------------------------------------------------------------------ captured bodies
SCHEMA_OF = {
    "AHM-03": ("aihubmix", "Error"),
    "AHM-04": ("aihubmix", "Error"),
    "AHM-05": ("aihubmix", "Error"),
    "AHM-06": ("aihubmix", "Error"),
    "APM-01": ("apimart", "SubmitEnvelope"),
    "APM-03": ("apimart", "TaskEnvelope"),
    "APM-04": ("apimart", "TaskEnvelope"),
    "APM-06": ("apimart", "Error"),
    "APM-07": ("apimart", "Error"),
}
NOT_CAPTURED = {
    "AHM-33": "the native /ai/v1 route's envelope (with code), not /v1/videos",
    "APM-02": "an image task: result.images, not result.videos",
    "APM-05": "an older documentation example, contradicted by the capture APM-04",
    "APM-13": "a gateway's test fixture (x-known-differences K-APIMART-SUBMIT-OBJECT)",
    "APM-14": "a gateway's test fixture (x-known-differences K-APIMART-PENDING-MEMBERS)",
}


def test_every_body_sample_is_classified():
    summaries = {"error_message", "error_messages", "error_summary", "table", "notes", "statement"}
    bodies = {
        i
        for i, s in SAMPLES.items()
        if s["kind"] in ("error", "response") and not set(s["body"]) <= summaries
    }
    assert bodies == set(SCHEMA_OF) | set(NOT_CAPTURED)


@pytest.mark.parametrize("sample_id", list(SCHEMA_OF))
def test_captured_production_bodies_validate(sample_id):
    spec_name, schema = SCHEMA_OF[sample_id]
    validator = generate.validator(spec_name, schema)  # the suite's validator, independent of the mock
    errors = [e.message for e in validator.iter_errors(SAMPLES[sample_id]["body"])]
    assert not errors, f"{sample_id} against {spec_name} {schema}: {errors}"


# ------------------------------------------------------------------------------ decisions
def test_d30_sora_reference_is_an_object(client):
    for reference in (
        {"image_url": PNG_DATA_URL},
        {"image_url": "https://example.com/a.png"},
        {"file_id": "file-abc"},
    ):
        response = create(client, {"model": "sora-2", "prompt": "p", "input_reference": reference})
        assert response.status_code == 200 and "x-mock-unconfirmed-rules" not in response.headers, (
            response.text
        )
    refused = create(
        client, {"model": "sora-2", "prompt": "p", "input_reference": "https://example.com/a.png"}
    )
    assert refused.status_code == 400
    assert (
        "Invalid type for 'input_reference': expected an object, but got a string"
        in refused.json()["error"]["message"]
    )
    files = {"input_reference": ("a.png", (ROOT / "fixtures" / "reference.png").read_bytes(), "image/png")}
    multipart = client.post("/v1/videos", data={"model": "sora-2", "prompt": "p"}, files=files, headers=AUTH)
    assert multipart.status_code == 200, multipart.text
    # the other families keep the documents' bare strings (AHM-19)
    assert (
        create(client, {"model": "wan2.6-i2v", "prompt": "p", "input_reference": PNG_DATA_URL}).status_code
        == 200
    )


def test_d31_veo_takes_no_reference(client):
    for model in ("veo-3.1-generate-preview", "veo-3.0-generate-preview", "veo-2.0-generate-001"):
        body = {"model": model, "prompt": "p", "seconds": "8", "input_reference": "https://example.com/a.jpg"}
        for headers in (AUTH, DOCUMENTS):
            response = create(client, body, headers)
            assert response.status_code == 400 and rule_of(response) == "VEO-NO-REFERENCE", response.text


def test_d32_veo_seconds_string_or_number(client):
    for seconds in ("6", 6):
        response = create(
            client,
            {"model": "veo-3.1-generate-preview", "prompt": "p", "seconds": seconds, "size": "1280x720"},
        )
        assert response.status_code == 200 and "x-mock-unconfirmed-rules" not in response.headers
        assert response.json()["duration"] == 6
    assert (
        create(
            client, {"model": "veo-3.1-generate-preview", "prompt": "p", "aspect_ratio": "9:16"}
        ).status_code
        == 200
    )
    ratio = {
        "model": "veo-3.1-fast-generate-preview",
        "prompt": "p",
        "ratio": "9:16",
    }  # AHM-17: accepted in April
    accepted = create(client, ratio)
    assert accepted.status_code == 200 and accepted.headers["x-mock-unconfirmed-rules"] == "NO-UNKNOWN-PARAMS"
    assert create(client, ratio, DOCUMENTS).status_code == 400


def test_d33_wan_and_jimeng_seconds_as_numbers(client):
    wan = create(client, {"model": "wan2.5-t2v-preview", "prompt": "p", "seconds": 10})
    jimeng = create(client, {"model": "jimeng-3.0-pro", "prompt": "p", "seconds": 10, "size": "16:9"})
    for response in (wan, jimeng):
        assert response.status_code == 200 and "x-mock-unconfirmed-rules" not in response.headers
        assert response.json()["duration"] == 10
    # multipart text for a string-or-number field: "10" stays the string, "10.0" is the number 10
    for text in ("10", "10.0"):
        fields = {"model": (None, "wan2.5-t2v-preview"), "prompt": (None, "p"), "seconds": (None, text)}
        form = client.post("/v1/videos", files=fields, headers=AUTH)
        assert form.status_code == 200 and form.json()["duration"] == 10, form.text
    kling = {"model": "kling-v1-6", "prompt": "p", "seconds": 5}  # Kling keeps strings (no evidence)
    assert create(client, kling, DOCUMENTS).status_code == 400


def test_d34_seedance_as_production_serves_it(client):
    body = {
        "model": "doubao-seedance-2-0-260128",
        "prompt": "sun",
        "duration": 5,
        "resolution": "1080p",
        "ratio": "16:9",
        "seed": 7,
        "camera_fixed": True,
        "content": [
            {"type": "text", "text": "sun"},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}, "role": "first_frame"},
            {"type": "image_url", "image_url": {"url": "https://example.com/z.png"}, "role": "last_frame"},
        ],
    }
    response = create(client, body)
    assert response.status_code == 200 and "x-mock-unconfirmed-rules" not in response.headers, response.text
    assert (response.json()["width"], response.json()["height"]) == (1920, 1088)
    fast = create(client, {**body, "model": "doubao-seedance-2-0-fast-260128"})
    # 1080p on fast is unconfirmed: accepted with a warning, rendered at the default 720p
    assert fast.status_code == 200 and fast.headers["x-mock-unconfirmed-rules"] == "SEEDANCE-RESOLUTION"
    assert (fast.json()["width"], fast.json()["height"]) == (1280, 720)
    assert create(client, {**body, "model": "doubao-seedance-2-0-fast-260128"}, DOCUMENTS).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"model": "sora-3", "prompt": "p"},
        {"prompt": "p"},
        ["model", "sora-2"],
        {"model": 7, "prompt": "p"},
        {"model": "minimax-h3", "prompt": "p"},
    ],
)
def test_d35_no_model_to_judge_by_is_400_in_every_mode(client, body):
    for headers in (AUTH, DOCUMENTS):
        response = create(client, body, headers)
        assert response.status_code == 400, response.text
        assert "x-mock-unconfirmed-rules" not in response.headers


def test_d36_models_production_serves(client):
    schemas = generate.schemas("aihubmix")
    served = schemas["ServedModelId"]["enum"]
    mapping = generate.variants("aihubmix", "CreateVideoRequest")
    for model in served:
        body = {**generate.minimal("aihubmix", mapping[model]), "model": model}
        response = create(client, body)
        assert response.status_code == 200 and "x-mock-unconfirmed-rules" not in response.headers, (
            model,
            response.text,
        )
    happyhorse = create(client, SAMPLES["AHM-24"]["body"])
    job = happyhorse.json()
    assert (job["prompt"], job["width"], job["height"], job["duration"]) == ("cat stretches", 1280, 720, 5)


def test_d37_apimart_sora2_and_its_error_codes(client):
    for body in (SAMPLES["APM-10"]["body"], SAMPLES["APM-09"]["body"]):
        response = create(client, body, path="/v1/videos/generations")
        assert response.status_code == 200 and "x-mock-unconfirmed-rules" not in response.headers, (
            response.text
        )
    odd = create(client, {"model": "sora-2", "prompt": "p", "duration": 7}, path="/v1/videos/generations")
    assert odd.status_code == 200 and odd.headers["x-mock-unconfirmed-rules"] == "APIMART-SORA2-DURATION"
    error = generate.validator("apimart", "Error")
    assert error.is_valid(SAMPLES["APM-06"]["body"]) and error.is_valid(SAMPLES["APM-07"]["body"])


# ------------------------------------------------------------------------------ the gate
def test_unconfirmed_only_is_accepted_with_warnings_and_a_normal_job(client):
    response = create(client, {"model": "jimeng-3.0-pro", "prompt": "p", "seconds": "8", "size": "2:1"})
    assert response.status_code == 200
    assert response.headers["x-mock-unconfirmed-rules"] == "JIMENG-SECONDS, JIMENG-SIZE"
    warning = response.headers["x-mock-warning"]
    assert "seconds: '8' is invalid" in warning and "[rule JIMENG-SECONDS]" in warning
    assert warning.endswith("production's answer is unknown")
    job = response.json()
    assert (job["width"], job["height"], job["duration"]) == (1920, 1088, 5)  # the spec's defaults
    polled = client.get(f"/v1/videos/{job['id']}", headers=AUTH).json()
    assert polled["status"] == "completed"
    content = client.get(f"/v1/videos/{job['id']}/content", headers=AUTH)
    assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"


def test_a_confirmed_rule_among_unconfirmed_ones_rejects(client):
    response = create(client, {"model": "sora-2", "prompt": "", "seconds": "5"})
    assert response.status_code == 400 and rule_of(response) == "SORA-SECONDS"


def test_modes_by_option_and_header():
    strict = TestClient(create_app(MockConfig(job_seconds=0, rules="documents")))
    body = {"model": "jimeng-3.0-pro", "prompt": "p", "seconds": "8"}
    assert strict.post("/v1/videos", json=body, headers=AUTH).status_code == 400
    assert (
        strict.post("/v1/videos", json=body, headers={**AUTH, "X-Mock-Rules": "production"}).status_code
        == 200
    )
    bad = strict.post("/v1/videos", json=body, headers={**AUTH, "X-Mock-Rules": "lenient"})
    assert bad.status_code == 400 and "X-Mock-Rules" in bad.json()["error"]["message"]
    assert MockConfig().rules == "production"
    with pytest.raises(ValueError):
        MockConfig(rules="lenient")
    args = build_parser().parse_args(["serve", "--rules", "documents"])
    assert config_from(args).rules == "documents"
    assert config_from(build_parser().parse_args(["serve"])).rules == "production"


def test_the_errors_looked_at_are_capped(monkeypatch, client):
    """Issue 12: 50,000 bad content items must not cost 50,000 explanations. Count them."""
    calls = []
    original = spec_module.Spec._explain

    def counting(self, schema_name, error):
        calls.append(error)
        return original(self, schema_name, error)

    monkeypatch.setattr(spec_module.Spec, "_explain", counting)
    body = {"model": "doubao-seedance-2-0-260128", "prompt": "p", "content": [{}] * 50_000}
    assessment = get_spec("aihubmix").assess("SeedanceCreateRequest", body)
    assert assessment.capped and assessment.blocking is not None
    assert len(calls) <= spec_module.MAX_ERRORS + 1
    calls.clear()
    response = create(client, body)
    assert response.status_code == 400  # the cap reached counts as a confirmed rule broken
    assert len(calls) <= spec_module.MAX_ERRORS + 1
    calls.clear()
    assert create(client, body, DOCUMENTS).status_code == 400
    assert len(calls) <= 1


def test_rules_md_is_up_to_date():
    current = rules_md.RULES_MD.read_text("utf-8")
    assert rules_md.render(current) == current, "openapi/RULES.md is out of date: run `make rules`"


@pytest.mark.parametrize("seconds", ["16", "20"])
def test_d38_sora_2_pro_seconds_stay_4_8_12(client, seconds):
    """16 and 20 for sora-2-pro: reported of an adapter's catalogue, not in the evidence; AHM-35
    (OpenAI, March 2026) lists 4/8/12. Refused in every mode, naming SORA-SECONDS (confirmed)."""
    body = {"model": "sora-2-pro", "prompt": "p", "seconds": seconds}
    for headers in (AUTH, DOCUMENTS):
        response = create(client, body, headers=headers)
        assert response.status_code == 400 and rule_of(response) == "SORA-SECONDS", response.text
    assert create(client, {**body, "seconds": "12"}).status_code == 200
