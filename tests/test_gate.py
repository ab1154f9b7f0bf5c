"""The gate (docs/gate.md): structural rules refused in every mode, value rules gated by evidence
and their warnings seen (journal, log, pytest); and each way found to crash or bloat the mock
(issue 20), each reproduced here as it was reported."""

from __future__ import annotations

import base64
import io
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from aihubmix_mock import create_app, images
from aihubmix_mock.faults import MAX_QUEUED

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": "Bearer sk-test"}
MODES = {"production": AUTH, "documents": {**AUTH, "X-Mock-Rules": "documents"}}
PNG = (ROOT / "fixtures" / "reference.png").read_bytes()


@pytest.fixture
def client():
    with TestClient(create_app(job_seconds=0)) as test_client:
        yield test_client


def multipart(client, fields, files=(), headers=AUTH):
    parts = [(name, (None, value)) for name, value in fields.items()] + list(files)
    return client.post("/v1/videos", files=parts, headers=headers)


def refused(response, rule: str, param: str | None = None) -> str:
    """The 400 names `rule` (and `param`); returns its message."""
    assert response.status_code == 400, response.text
    assert response.headers["x-mock-rule"] == rule, response.text
    if param is not None:
        assert response.headers["x-mock-param"] == param, response.text
    message: str = response.json()["error"]["message"]
    assert f"[rule {rule}]" in message
    return message


# ------------------------------------------------------------------- structural, in every mode
@pytest.mark.parametrize("mode", MODES)
def test_a_forgotten_prompt_is_refused(client, mode):
    response = client.post("/v1/videos", json={"model": "sora-2"}, headers=MODES[mode])
    assert "prompt is required" in refused(response, "REQUIRED-PARAMS", "prompt")


@pytest.mark.parametrize("mode", MODES)
def test_a_number_for_the_prompt_is_refused_in_productions_words(client, mode):
    response = client.post("/v1/videos", json={"model": "sora-2", "prompt": 123}, headers=MODES[mode])
    message = refused(response, "JSON-TYPE", "prompt")
    assert message.startswith("Invalid type for 'prompt': expected a string, but got an integer instead.")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("what", "content_type", "data"),
    [
        ("html declared png", "image/png", b"<!doctype html><html><body>login</body></html>"),
        ("truncated png", "image/png", PNG[: len(PNG) // 2]),
        ("text", "text/plain", b"hello"),
    ],
)
def test_a_file_part_that_is_not_an_image_is_refused(client, mode, what, content_type, data):
    files = [("input_reference", ("ref.png", data, content_type))]
    response = multipart(client, {"model": "sora-2", "prompt": "p"}, files, MODES[mode])
    assert "not an image" in refused(response, "REFERENCE-IS-IMAGE", "input_reference.data")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "reference",
    [
        {"mime_type": "image/png", "data": base64.b64encode(b"\x89PNG\r\n\x1a\n garbage").decode()},
        {"mime_type": "image/png", "data": "iVBORw0KGgoAAAA"},  # base64 of a PNG's first bytes only
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png;base64,aGVsbG8=",
    ],
    ids=["garbage after png magic", "png magic only", "text data url", "hello as png"],
)
def test_json_bytes_that_are_not_an_image_are_refused(client, mode, reference):
    body = {"model": "wan2.5-i2v-preview", "prompt": "p", "input_reference": reference}
    response = client.post("/v1/videos", json=body, headers=MODES[mode])
    refused(response, "REFERENCE-IS-IMAGE")


def test_a_real_image_of_an_undocumented_type_only_warns(client):
    """GIF is an image (structural rule kept) but not a documented type: a value rule, unconfirmed."""
    buffer = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (2, 2)).save(buffer, "GIF")
    gif = "data:image/gif;base64," + base64.b64encode(buffer.getvalue()).decode()
    body = {"model": "wan2.5-i2v-preview", "prompt": "p", "input_reference": gif}
    response = client.post("/v1/videos", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert "REFERENCE-FORMAT" in response.headers["x-mock-unconfirmed-rules"]
    refused(client.post("/v1/videos", json=body, headers=MODES["documents"]), "REFERENCE-FORMAT")


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"content": '[{"type": "text", "text": NaN}]'}, "content"),
        ({"content": '[{"type": "text", "text": "a", "n": ' + "9" * 5000 + "}]"}, "content"),
        ({"duration": str(2**64)}, "duration"),
        ({"seed": "-" + "9" * 40}, "seed"),
        ({"extra_body": '{"duration": Infinity}'}, "extra_body"),
    ],
    ids=["nan in a json part", "5000 digits in a json part", "2**64 duration", "40 digits seed", "infinity"],
)
def test_numbers_no_parameter_can_mean_are_refused_in_multipart(client, fields, param):
    response = multipart(client, {"model": "doubao-seedance-2-0-260128", "prompt": "p", **fields})
    refused(response, "NUMBER-RANGE", param)


@pytest.mark.parametrize("number", [2**64, 2**63, -(2**63) - 1])
def test_integers_beyond_64_bits_are_refused_in_json(client, number):
    raw = b'{"model": "doubao-seedance-2-0-260128", "prompt": "p", "duration": %d}' % number
    response = client.post("/v1/videos", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert str(number) in refused(response, "NUMBER-RANGE")


def test_long_digit_runs_inside_strings_are_text(client):
    body = {"model": "sora-2", "prompt": "order 123456789012345678901234567890"}
    assert client.post("/v1/videos", json=body, headers=AUTH).status_code == 200


# --------------------------------------------------------------------- crashes and messages
@pytest.mark.parametrize("index", ["²", "٣", "1²"])
def test_a_bracket_index_that_is_not_ascii_digits_is_a_400(client, index):
    fields = {"model": "doubao-seedance-2-0-260128", "prompt": "p", f"content[{index}][type]": "text"}
    response = multipart(client, fields)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "reference",
    [
        {},
        {"image_url": "https://example.com/a.png", "file_id": "file-1"},
        {"image_url": "https://e.com/a.png", "x": 1},
    ],
    ids=["empty", "both", "unknown member"],
)
def test_a_wrong_sora_reference_object_is_not_called_a_string(client, reference):
    body = {"model": "sora-2", "prompt": "p", "input_reference": reference}
    message = refused(client.post("/v1/videos", json=body, headers=AUTH), "SORA-REFERENCE-OBJECT")
    assert "but got a string" not in message and "exactly one of image_url" in message


def test_a_sora_reference_string_keeps_productions_message(client):
    body = {"model": "sora-2", "prompt": "p", "input_reference": "https://example.com/a.png"}
    message = refused(client.post("/v1/videos", json=body, headers=AUTH), "SORA-REFERENCE-OBJECT")
    assert message.startswith("Invalid type for 'input_reference': expected an object, but got a string")


# ------------------------------------------------------------------------------ bounded state
def test_the_fault_queue_is_bounded_with_a_clear_409(client):
    for _ in range(MAX_QUEUED):
        fault = {"fault": "balance", "path_prefix": "/nowhere"}
        assert client.post("/__mock/faults", json=fault).status_code == 200
    full = client.post("/__mock/faults", json={"fault": "balance"})
    assert full.status_code == 409 and "DELETE /__mock/faults" in full.json()["error"]["message"]
    assert client.delete("/__mock/faults").status_code == 200
    assert client.post("/__mock/faults", json={"fault": "balance"}).status_code == 200


def test_accepted_references_are_kept_as_digests_only():
    images.ACCEPTED.clear()
    for size in (1, 2, 3):
        buffer = io.BytesIO()
        from PIL import Image

        Image.new("RGB", (size, size)).save(buffer, "PNG")
        assert images.base64_image(base64.b64encode(buffer.getvalue()).decode())
    assert len(images.ACCEPTED) == 3
    assert all(len(digest) == 16 for digest in images.ACCEPTED._seen)
    assert images.ACCEPTED.size * 16 <= 64 * 1024  # the cache holds at most 16 KiB of digests


# -------------------------------------------------------------------------- seen: the journal
def test_requests_without_a_route_or_method_are_journaled(client):
    assert client.get("/v1/models/gpt-5/whatever", headers=AUTH).status_code == 404
    assert client.put("/v1/videos", headers=AUTH).status_code == 405
    entries = client.get("/__mock/journal").json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/v1/models/gpt-5/whatever", 404),
        ("PUT", "/v1/videos", 405),
    ]


def test_warned_requests_are_marked_listed_and_logged(client, caplog):
    caplog.set_level(logging.WARNING, logger="aihubmix_mock")
    ok = client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH)
    warned = client.post(
        "/v1/videos", json={"model": "wan2.6-t2v", "prompt": "p", "size": "832x480"}, headers=AUTH
    )
    assert ok.status_code == warned.status_code == 200
    assert warned.headers["x-mock-unconfirmed-rules"] == "WAN26-SIZE"
    everything = client.get("/__mock/journal").json()["data"]
    assert [e["warning"] is None for e in everything] == [True, False]
    only = client.get("/__mock/journal", params={"warned": "true"}).json()["data"]
    assert len(only) == 1 and only[0]["warning"]["rules"] == ["WAN26-SIZE"]
    assert "production's answer is unknown" in only[0]["warning"]["message"]
    assert len(client.get("/__mock/journal", params={"warned": "false"}).json()["data"]) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "aihubmix_mock"]
    assert len(lines) == 1 and "WAN26-SIZE" in lines[0] and "/v1/videos" in lines[0]


# ----------------------------------------------------------------------------- GET /v1/models
def test_the_openai_model_list_is_served_without_a_key(client):
    response = client.get("/v1/models")
    assert response.status_code == 200
    body = response.json()
    document = yaml.safe_load((ROOT / "openapi" / "metadata.yaml").read_text("utf-8"))
    schema = {"$ref": "#/components/schemas/OpenAIModelList", "components": document["components"]}
    Draft202012Validator(schema).validate(body)
    ids = {row["id"] for row in body["data"]}
    assert {"sora-2", "veo-3.1-generate-preview", "doubao-seedance-2-0-260128"} <= ids


def test_openai_python_lists_the_models(client):
    openai = pytest.importorskip("openai")
    sdk = openai.OpenAI(base_url="http://testserver/v1", api_key="sk-test", http_client=client)
    assert "sora-2" in {model.id for model in sdk.models.list()}


# --------------------------------------------------------------------------------- the CLI
def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aihubmix_mock.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
        check=False,
    )


@pytest.mark.parametrize("port", ["", "abc", "99999", "٣"])
def test_a_bad_port_variable_never_prints_a_traceback(port):
    assert _cli("serve", "--help", env={"PORT": port}).returncode == 0
    given = _cli("serve", "--port", "-1", env={"PORT": port})  # --port wins over the variable
    assert given.returncode == 2 and "--port must be from 0 to 65535" in given.stderr, given.stderr
    if port:  # (an empty PORT means the default, 4010: not started here)
        result = _cli("serve", env={"PORT": port})
        assert result.returncode == 2 and "env PORT must be a port number" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_a_port_in_use_is_said_before_any_banner():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _cli("serve", "--port", str(port), env={})
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "aihubmix-mock 0" not in result.stdout  # no start banner


# ----------------------------------------------------------------------- seen: in pytest
WARNED_PROJECT = """
import httpx

AUTH = {"Authorization": "Bearer sk-test"}

def test_an_unconfirmed_size(aihubmix_mock_url):
    body = {"model": "wan2.6-t2v", "prompt": "p", "size": "832x480"}
    assert httpx.post(f"{aihubmix_mock_url}/v1/videos", json=body, headers=AUTH).status_code == 200

def test_in_process(aihubmix_mock_app):
    from starlette.testclient import TestClient
    body = {"model": "jimeng-3.0-pro", "prompt": "p", "size": "5:4"}
    with TestClient(aihubmix_mock_app) as client:
        assert client.post("/v1/videos", json=body, headers=AUTH).status_code == 200

def test_clean(aihubmix_mock_url):
    body = {"model": "sora-2", "prompt": "p"}
    assert httpx.post(f"{aihubmix_mock_url}/v1/videos", json=body, headers=AUTH).status_code == 200
"""


def test_the_plugin_turns_warned_requests_into_warnings(pytester):
    pytester.makepyfile(test_client=WARNED_PROJECT)
    shown = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    shown.assert_outcomes(passed=3, warnings=2)
    text = shown.stdout.str()
    assert "UnconfirmedRuleWarning" in text and "WAN26-SIZE" in text and "JIMENG-SIZE" in text
    failing = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "-W", "error::aihubmix_mock.UnconfirmedRuleWarning"
    )
    failing.assert_outcomes(passed=3, errors=2)  # the warning is raised at teardown: an error there
    assert "WAN26-SIZE" in failing.stdout.str()


# -------------------------------------------------------------------- docs/gate.md, as printed
def _curl_commands() -> list[str]:
    import re

    text = (ROOT / "docs" / "gate.md").read_text("utf-8")
    blocks = re.findall(r"^```sh(?: not-run)?\n(.*?)^```$", text, re.S | re.M)
    commands = [
        c for block in blocks for c in block.replace("\\\n", " ").splitlines() if c.startswith("curl ")
    ]
    assert len(commands) >= 2
    return commands


def test_the_curl_commands_of_docs_gate_answer_as_it_says():
    from aihubmix_mock import MockServer

    with MockServer(keys=["sk-test"], job_seconds=5) as mock:
        port = mock.url.rsplit(":", 1)[1]
        answers = [
            subprocess.run(
                ["sh", "-c", command.replace("localhost:4010", f"127.0.0.1:{port}")],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
            for command in _curl_commands()
        ]
    refusal, listing = answers[0], answers[-1]
    assert (
        "Invalid type for 'prompt': expected a string, but got an integer instead. [rule JSON-TYPE]"
        in refusal
    )
    assert '"data":[]' in listing.replace(" ", "")


def test_the_server_logs_one_line_per_warned_request():
    """As a user runs it: `aihubmix-mock serve`, one warned and one clean request, one log line."""
    import httpx

    from tests.test_cli import Server

    server = Server("--job-seconds", "0")
    try:
        warned = {"model": "wan2.6-t2v", "prompt": "p", "size": "832x480"}
        assert httpx.post(f"{server.url}/v1/videos", json=warned, headers=AUTH).status_code == 200
        clean = {"model": "sora-2", "prompt": "p"}
        assert httpx.post(f"{server.url}/v1/videos", json=clean, headers=AUTH).status_code == 200
    finally:
        assert server.stop() == 0
    lines = [line for line in server.output.splitlines() if "accepted with unconfirmed rules" in line]
    assert len(lines) == 1 and "WAN26-SIZE" in lines[0], server.output[-2000:]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("image", ["aGVsbG8=", "not a url", "data:image/png;base64,aGVsbG8="])
def test_a_kling_image_that_is_not_an_image_is_refused(client, mode, image):
    body = {"model": "kling-v1-6", "prompt": "p", "image": image}
    refused(client.post("/v1/videos", json=body, headers=MODES[mode]), "REFERENCE-IS-IMAGE", "image")


def test_a_kling_data_url_of_a_real_image_only_warns(client):
    """A data URL is not a documented Kling form (KLING-IMAGE, value): warned, not refused."""
    body = {
        "model": "kling-v1-6",
        "prompt": "p",
        "image": "data:image/png;base64," + base64.b64encode(PNG).decode(),
    }
    response = client.post("/v1/videos", json=body, headers=AUTH)
    assert response.status_code == 200 and response.headers["x-mock-unconfirmed-rules"] == "KLING-IMAGE"
