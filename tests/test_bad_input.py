"""Every malformed request gets a 4xx with a JSON error naming what is wrong: never a 5xx, a dropped
connection or a hang. Over a real socket (the plugin's server)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from starlette.testclient import TestClient

from aihubmix_mock import create_app

AUTH = {"Authorization": "Bearer sk-test"}
JSON = {**AUTH, "Content-Type": "application/json"}


def deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


CASES = [
    # name, method, path, headers, body, status, words in the message
    ("broken json", "POST", "/v1/videos", JSON, b'{"model": "sora-2",', 400, "not valid JSON"),
    ("json array body", "POST", "/v1/videos", JSON, b'["sora-2"]', 400, "JSON object"),
    ("json string body", "POST", "/v1/videos", JSON, b'"hello"', 400, "JSON object"),
    ("NaN", "POST", "/v1/videos", JSON, b'{"model":"sora-2","prompt":"p","seconds":NaN}', 400, "NaN"),
    ("very deep nesting", "POST", "/v1/videos", JSON, deep(100_000), 400, "deeper"),
    (
        "moderately deep nesting",
        "POST",
        "/v1/videos",
        JSON,
        b'{"model":"sora-2","prompt":' + deep(40) + b"}",
        400,
        "deeper",
    ),
    ("invalid utf-8", "POST", "/v1/videos", JSON, b'{"model":"sora-2","prompt":"\xff\xfe"}', 400, "UTF-8"),
    (
        "lone surrogate",
        "POST",
        "/v1/videos",
        JSON,
        b'{"model":"sora-2","prompt":"\\ud800"}',
        400,
        "not valid",
    ),
    ("empty body", "POST", "/v1/videos", JSON, b"", 400, "empty"),
    ("no content type", "POST", "/v1/videos", AUTH, b'{"model":"sora-2","prompt":"p"}', 415, "Content-Type"),
    (
        "text/plain",
        "POST",
        "/v1/videos",
        {**AUTH, "Content-Type": "text/plain"},
        b"sora-2",
        415,
        "Content-Type",
    ),
    (
        "form-urlencoded",
        "POST",
        "/v1/videos",
        {**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        b"model=sora-2&prompt=p",
        415,
        "Content-Type",
    ),
    (
        "multipart without boundary",
        "POST",
        "/v1/videos",
        {**AUTH, "Content-Type": "multipart/form-data"},
        b"--x\r\n",
        400,
        "multipart",
    ),
    (
        "broken multipart",
        "POST",
        "/v1/videos",
        {**AUTH, "Content-Type": "multipart/form-data; boundary=zz"},
        b'--zz\r\nContent-Disposition: form-data; name="model"\r\n\r\nsora-2',
        400,
        "multipart",
    ),
    (
        "bad bracket name",
        "POST",
        "/v1/videos",
        {**AUTH, "Content-Type": "multipart/form-data; boundary=zz"},
        b'--zz\r\nContent-Disposition: form-data; name="a[b"\r\n\r\nx\r\n--zz--\r\n',
        400,
        "field",
    ),
    (
        "invalid base64 reference",
        "POST",
        "/v1/videos",
        JSON,
        json.dumps(
            {
                "model": "sora-2",
                "prompt": "p",
                "input_reference": {"mime_type": "image/png", "data": "iVBORw0KGgo!!!"},
            }
        ).encode(),
        400,
        "input_reference",
    ),
    (
        "non-image reference",
        "POST",
        "/v1/videos",
        JSON,
        json.dumps(
            {
                "model": "sora-2",
                "prompt": "p",
                "input_reference": {
                    "mime_type": "image/png",
                    "data": base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode(),
                },
            }
        ).encode(),
        400,
        "input_reference",
    ),
    ("wrong type", "POST", "/v1/videos", JSON, b'{"model":"sora-2","prompt":42}', 400, "prompt"),
    ("model not a string", "POST", "/v1/videos", JSON, b'{"model":["sora-2"],"prompt":"p"}', 400, "model"),
    ("huge id", "GET", "/v1/videos/" + "e" * 20_000, AUTH, None, 404, "id"),
    ("non-ascii id", "GET", "/v1/videos/%E8%A7%86%E9%A2%91", AUTH, None, 404, "id"),
    ("traversal id", "GET", "/v1/videos/..%2F..%2Fetc%2Fpasswd", AUTH, None, 404, None),
    ("traversal path", "GET", "/v1/videos/../../etc/passwd", AUTH, None, 404, None),
    ("unknown path", "GET", "/v2/videos", AUTH, None, 404, "no route"),
    ("put on a video", "PUT", "/v1/videos/abc", AUTH, b"{}", 405, "not allowed"),
    ("patch the list", "PATCH", "/v1/videos", AUTH, b"{}", 405, "not allowed"),
    ("bad limit", "GET", "/v1/videos?limit=101", AUTH, None, 400, "limit"),
    ("negative limit", "GET", "/v1/videos?limit=-1", AUTH, None, 400, "limit"),
    ("bad limit text", "GET", "/v1/videos?limit=ten", AUTH, None, 400, "limit"),
    ("bad order", "GET", "/v1/videos?order=up", AUTH, None, 400, "order"),
    ("bad variant", "GET", "/v1/videos/abc/content?variant=poster", AUTH, None, 404, None),
    (
        "bad policy header",
        "POST",
        "/v1/videos",
        {**JSON, "X-Mock-Policy": "soon"},
        b'{"model":"sora-2","prompt":"p"}',
        400,
        "policy",
    ),
    (
        "bad outcome header",
        "POST",
        "/v1/videos",
        {**JSON, "X-Mock-Outcome": "maybe"},
        b'{"model":"sora-2","prompt":"p"}',
        400,
        "X-Mock-Outcome",
    ),
    ("bad fault header", "GET", "/v1/videos", {**AUTH, "X-Mock-Fault": "418"}, None, 400, "X-Mock-Fault"),
    (
        "control: clock backwards",
        "POST",
        "/__mock/clock/advance",
        {"Content-Type": "application/json"},
        b'{"seconds": -5}',
        400,
        "seconds",
    ),
    (
        "control: fault status",
        "POST",
        "/__mock/faults",
        {"Content-Type": "application/json"},
        b'{"status": 200}',
        400,
        "status",
    ),
    (
        "control: not json",
        "POST",
        "/__mock/clock/advance",
        {"Content-Type": "application/json"},
        b"{",
        400,
        "JSON",
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "path", "headers", "body", "status", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_clear_4xx(aihubmix_mock_url, name, method, path, headers, body, status, words):
    with httpx.Client(base_url=aihubmix_mock_url, timeout=30) as client:
        response = client.request(method, path, headers=headers, content=body)
    assert response.status_code == status, f"{name}: {response.status_code} {response.text[:300]}"
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if words:
        assert words.lower() in error["message"].lower(), (
            error
        )  # the message names it: no `param` in production's body
    if status == 405:
        assert response.headers["allow"]


def test_body_over_the_limit_is_413():
    client = TestClient(create_app(max_body_bytes=2048))
    big = b'{"model":"sora-2","prompt":"' + b"x" * 4096 + b'"}'
    response = client.post("/v1/videos", content=big, headers=JSON)
    assert response.status_code == 413 and "limit" in response.json()["error"]["message"]
    chunks = (big[i : i + 512] for i in range(0, len(big), 512))  # no Content-Length: counted while read
    response = client.post("/v1/videos", content=chunks, headers=JSON)
    assert response.status_code == 413


def test_job_cap_answers_429_with_retry_after():
    client = TestClient(create_app(max_jobs=3))
    for _ in range(3):
        assert (
            client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH).status_code
            == 200
        )
    response = client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH)
    assert response.status_code == 429 and response.headers["retry-after"]
    assert "max-jobs" in response.json()["error"]["message"]


def test_cap_makes_room_by_dropping_expired_jobs():
    client = TestClient(create_app(max_jobs=2, job_seconds=1))
    ids = [
        client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH).json()["id"]
        for _ in range(2)
    ]
    client.post("/__mock/clock/advance", json={"seconds": 2 * 86400})
    assert client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH).status_code == 200
    assert client.get(f"/v1/videos/{ids[0]}", headers=AUTH).status_code == 404


def test_configured_keys_only():
    client = TestClient(create_app(keys=["sk-one"]))
    assert client.get("/v1/videos", headers={"Authorization": "Bearer sk-one"}).status_code == 200
    wrong = client.get("/v1/videos", headers={"Authorization": "Bearer sk-two"})
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "Aihubmix_api_error"
