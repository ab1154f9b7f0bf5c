"""Shared and hostile use (issue 12): nothing one client sends can hurt the others.

One regression test per finding. In-process where the app decides, over a loopback socket (a real
`aihubmix-mock serve`) where the server's timeouts and limits do. Every loop is bounded in count
and time; speed itself is measured by `make bench`, not here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from aihubmix_mock import create_app
from aihubmix_mock.errors import ApiError
from aihubmix_mock.journal import Journal
from aihubmix_mock.jsontext import MAX_VALUES, parse_json
from aihubmix_mock.media import MediaCache
from aihubmix_mock.store import SWEEP_STEP, Job, Store

from .test_cli import BIN, Server

AUTH = {"Authorization": "Bearer sk-hostile-test-0001"}
OTHER = {"Authorization": "Bearer sk-hostile-test-0002"}
SORA = {"model": "sora-2", "prompt": "p"}
PNG = (Path(__file__).resolve().parent.parent / "fixtures" / "reference.png").read_bytes()


# ------------------------------------------------------------------------- bounded parse walks
@pytest.mark.parametrize(
    "body",
    [
        b"[" + b"1," * 2_000_000 + b"1]",  # millions of small numbers
        b"[" + b"[]," * 2_000_000 + b"[]]",  # millions of containers
    ],
)
def test_bodies_with_millions_of_values_are_refused_before_parsing(body):
    with pytest.raises(ApiError) as caught:
        parse_json(body)
    assert caught.value.status == 400 and str(MAX_VALUES) in caught.value.message


def test_depth_is_judged_on_the_text_strings_excluded():
    assert parse_json(b"[" * 32 + b"1" + b"]" * 32)
    with pytest.raises(ApiError, match="deeper"):
        parse_json(b'{"a":' + b'{"b":[' * 20 + b"1" + b"]}" * 20 + b"}")
    brackets = json.dumps({"prompt": "[" * 500 + '"{' * 100}).encode()  # brackets inside a string
    assert parse_json(brackets)["prompt"].startswith("[[[")


def test_a_large_body_is_journaled_in_summary():
    client = TestClient(create_app())
    members = {f"k{i}": i for i in range(5000)}
    client.post("/v1/videos", json={**SORA, "extra_body": members, "tags": list(range(20000))}, headers=AUTH)
    entry = client.get("/__mock/journal", params={"limit": 1}).json()["data"][0]
    text = json.dumps(entry)
    assert len(text) < 8000, "a journal entry grew with the body"
    assert "more members" in text and "more items" in text


# ------------------------------------------------------------------------- bounded memory
def test_journal_is_bounded_per_entry_and_in_bytes():
    journal = Journal(size=10_000, max_bytes=200_000)
    long_header = [(b"x-long", b"v" * 100_000), *((f"x-{i}".encode(), b"1") for i in range(500))]
    for i in range(200):
        scope = {
            "method": "POST",
            "path": "/v1/videos",
            "query_string": b"q=" + b"a" * 50_000,
            "headers": long_header,
        }
        journal.record(float(i), scope, "sk-x", {"prompt": "p" * 400}, 400)
    assert journal.bytes <= 200_000 and 0 < len(journal.entries(limit=10_000)) < 200
    entry = journal.entries(limit=1)[0]
    assert len(entry["headers"]["x-long"]) < 1000 and "cut" in entry["headers"]["x-long"]
    assert "more headers not kept" in entry["headers"]["x-mock-journal-note"]
    assert len(entry["query"]) < 3000


def test_headers_beyond_the_limits_get_431():
    client = TestClient(create_app())
    big = client.get("/__mock/health", headers={"X-Big": "x" * 20_000})
    assert big.status_code == 431 and "the mock takes at most" in big.json()["error"]["message"]
    many = client.get("/__mock/health", headers={f"X-H{i}": "1" for i in range(150)})
    assert many.status_code == 431


def test_image_cache_keeps_only_accepted_references_as_digests():
    from aihubmix_mock import images

    images.ACCEPTED.clear()
    for i in range(20):  # rejected ones: never kept
        assert not images.base64_image(base64.b64encode(b"not an image %d" % i).decode())
    assert not len(images.ACCEPTED)
    good = base64.b64encode(PNG).decode()
    assert images.base64_image(good) and images.base64_image(good)
    assert len(images.ACCEPTED) == 1 and all(len(k) == 16 for k in images.ACCEPTED._seen)


def test_the_prompt_cap_is_a_400_naming_the_option():
    client = TestClient(create_app(max_prompt_chars=1000))
    response = client.post(
        "/v1/videos", json={"model": "veo-3.1-generate-preview", "prompt": "p" * 1001}, headers=AUTH
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert response.headers["x-mock-param"] == "prompt" and "--max-prompt-chars" in error["message"]
    # Sora's documented limit stays the spec's rule, reported as before (with every documented rule kept)
    sora = TestClient(create_app()).post(
        "/v1/videos",
        json={"model": "sora-2", "prompt": "p" * 40_000},
        headers={**AUTH, "X-Mock-Rules": "documents"},
    )
    assert sora.status_code == 400 and sora.headers["x-mock-param"] == "prompt"


def test_renders_run_at_most_max_renders_at_once():
    cache = MediaCache(max_renders=2)
    running, peak = 0, 0
    lock = threading.Lock()

    def fake_render(key):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return b"x"

    cache._render = fake_render

    async def many():
        await asyncio.gather(*(cache.get("video", 100 + i, 100, 1) for i in range(8)))

    asyncio.run(many())
    assert peak == 2


# ------------------------------------------------------------------------- no 5xx
def test_malformed_values_get_4xx_not_500():
    client = TestClient(create_app(job_seconds=0))
    job = client.post("/v1/videos", json=SORA, headers=AUTH).json()["id"]
    client.get(f"/v1/videos/{job}", headers=AUTH)
    digits = "9" * 5000
    assert (
        client.get(f"/v1/videos/{job}/content", headers={**AUTH, "Range": f"bytes={digits}-"}).status_code
        == 416
    )
    assert (
        client.get(f"/v1/videos/{job}/content", headers={**AUTH, "Range": f"bytes=0-{digits}"}).status_code
        == 206
    )
    assert (
        client.get(f"/v1/videos/{job}/content", headers={**AUTH, "Range": f"bytes=-{digits}"}).status_code
        == 206
    )
    assert client.get("/__mock/journal", params={"limit": "²"}).status_code == 400
    bad_length = client.post(
        "/v1/videos",
        content=b"{}",
        headers={**AUTH, "Content-Type": "application/json", "Content-Length": "²".encode()},
    )
    assert bad_length.status_code == 400


@pytest.mark.parametrize(
    "fields",
    [
        {"model": "kling-v1-6", "prompt": "p", "cfg_scale": "1" + "0" * 5000},
        {"model": "wan2.6-t2v", "prompt": "p", "seconds": "9" * 5000},
        {"model": "kling-v1-6", "prompt": "p", "image_list": "[" * 2000 + "]" * 2000},
        {"model": "kling-v1-6", "prompt": "p", "image_list": "[" * 20 + "1" + "]" * 20 + "x"},
    ],
)
def test_long_numbers_and_deep_json_in_multipart_fields_get_400(fields):
    # Judged by the spec, never a 500: with every documented rule kept, a 400; under the default
    # production rules (main's rule gate) the rule is unconfirmed, so the field is named in the warning.
    client = TestClient(create_app())
    (field,) = set(fields) - {"model", "prompt"}
    strict = client.post(
        "/v1/videos",
        data=fields,
        files={"x": ("a.txt", b"a", "text/plain")},
        headers={**AUTH, "X-Mock-Rules": "documents"},
    )
    assert strict.status_code == 400, strict.text
    response = client.post(
        "/v1/videos", data=fields, files={"x": ("a.txt", b"a", "text/plain")}, headers=AUTH
    )
    assert response.status_code == 400 or field in response.headers.get("x-mock-warning", ""), response.text


def test_a_websocket_upgrade_is_refused_in_process():
    client = TestClient(create_app())
    with pytest.raises(WebSocketDisconnect) as caught, client.websocket_connect("/v1/videos"):
        pass
    assert caught.value.code == 1008


def _call(app, scope_extra: dict, messages) -> list[dict]:
    """Drive the ASGI app directly with a scripted `receive`; the messages it sent."""
    sent: list[dict] = []

    async def run():
        script = iter(messages)

        async def receive():
            item = next(script)
            if item == "stall":
                await asyncio.sleep(3600)
            return item

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/v1/videos",
            "query_string": b"",
            "root_path": "",
            "scheme": "http",
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 1),
            "headers": [
                (b"authorization", AUTH["Authorization"].encode()),
                (b"content-type", b"application/json"),
            ],
            **scope_extra,
        }
        await asyncio.wait_for(app(scope, receive, send), 10)

    asyncio.run(run())
    return sent


def test_a_client_disconnecting_mid_upload_is_journaled_as_such():
    app = create_app()
    _call(
        app,
        {},
        [{"type": "http.request", "body": b'{"model": "so', "more_body": True}, {"type": "http.disconnect"}],
    )
    entry = app.state.mock.journal.entries(limit=1)[0]
    assert entry["status"] == 499


def test_a_stalled_body_gets_408():
    app = create_app(body_timeout=0.2)
    sent = _call(app, {}, [{"type": "http.request", "body": b'{"model": ', "more_body": True}, "stall"])
    assert sent[0]["status"] == 408
    assert app.state.mock.journal.entries(limit=1)[0]["status"] == 408


@pytest.mark.parametrize(
    "args",
    [
        ["--job-seconds", "nan"],
        ["--job-seconds", "inf"],
        ["--fps", "-3"],
        ["--max-body-mb", "nan"],
        ["--port", "70000"],
        ["--idle-timeout", "0"],
        ["--max-jobs-per-key", "0"],
        ["--max-renders", "0"],
        ["--body-timeout", "nan"],
        ["--media-cache-dir", "/dev/null/x"],
        ["--keys-file", "/nonexistent/keys"],
    ],
)
def test_bad_options_stop_the_start_with_a_message(args):
    result = subprocess.run([BIN, "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("aihubmix-mock") or "error:" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------- fair sharing
def test_one_key_at_its_cap_leaves_room_for_the_others():
    client = TestClient(create_app(max_jobs_per_key=2))
    for _ in range(2):
        assert client.post("/v1/videos", json=SORA, headers=AUTH).status_code == 200
    capped = client.post("/v1/videos", json=SORA, headers=AUTH)
    assert capped.status_code == 429 and "this key holds its maximum" in capped.json()["error"]["message"]
    assert "--max-jobs-per-key" in capped.json()["error"]["message"] and capped.headers["retry-after"]
    assert client.post("/v1/videos", json=SORA, headers=OTHER).status_code == 200


def _job(i: int, owner: str = "o") -> Job:
    return Job(
        id=f"j{i}",
        owner=owner,
        dialect="aihubmix",
        model="m",
        variant="v",
        shape="sora",
        prompt="p",
        width=1,
        height=1,
        duration=1,
        size=None,
        seconds=None,
        initial="in_progress",
        created_at=0.0,
        policy="manual",
        policy_arg=0.0,
        ttl=10,
    )


def test_a_create_at_the_cap_looks_at_a_bounded_number_of_jobs():
    looked = 0

    def refresh(job, now):
        nonlocal looked
        looked += 1

    store = Store(5000, refresh=refresh)
    for i in range(5000):
        store.add(_job(i), 0.0)
    for attempt in range(5):
        looked = 0
        with pytest.raises(ApiError) as caught:
            store.add(_job(10_000 + attempt, owner="another"), 0.0)
        assert caught.value.status == 429 and looked <= SWEEP_STEP


def test_the_sweep_finds_expired_jobs_across_creates():
    store = Store(1000, refresh=lambda job, now: None)
    for i in range(1000):
        store.add(_job(i), 0.0)
    store.get_any("j900").completed_at = 0.0  # expired at 10: only the 4th step of the sweep reaches it
    made = 0
    for attempt in range(1000 // SWEEP_STEP + 1):
        try:
            store.add(_job(5000 + attempt, owner="another"), 100.0)
            made += 1
        except ApiError:
            pass
    assert made == 1 and store.get_any("j900") is None


# ------------------------------------------------------------------------- control plane
def test_control_plane_refuses_cross_site_requests():
    client = TestClient(create_app())
    assert client.post("/__mock/reset", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/__mock/journal", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/__mock/reset", headers={"Origin": "http://testserver"}).status_code == 200
    assert client.get("/__mock/journal", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_control_key_when_configured():
    client = TestClient(create_app(control_key="ctl-secret"))
    assert client.get("/__mock/journal").status_code == 401
    assert client.get("/__mock/journal", headers={"X-Mock-Control-Key": "wrong"}).status_code == 401
    assert client.get("/__mock/journal", headers={"X-Mock-Control-Key": "ctl-secret"}).status_code == 200
    assert client.get("/__mock/health").status_code == 200  # probes need no key
    assert (
        "ctl-secret" not in client.get("/__mock/journal", headers={"X-Mock-Control-Key": "ctl-secret"}).text
    )


def test_host_check_against_dns_rebinding():
    client = TestClient(
        create_app(allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://127.0.0.1:4010"
    )
    assert client.get("/__mock/health").status_code == 200
    assert client.get("/__mock/health", headers={"Host": "localhost:4010"}).status_code == 200
    rebound = client.get("/__mock/journal", headers={"Host": "attacker.example:4010"})
    assert rebound.status_code == 403 and "is not served here" in rebound.json()["error"]["message"]


def test_keys_in_any_header_or_query_parameter_are_redacted():
    client = TestClient(create_app())
    secrets = [
        "sk-query-secret-123456",
        "sk-apikey-secret-123456",
        "AIza-goog-secret-123456",
        "tok-secret-123456",
    ]
    client.get(
        f"/v1/videos?key={secrets[0]}&access_token={secrets[3]}",
        headers={"api-key": secrets[1], "x-goog-api-key": secrets[2]},
    )
    text = client.get("/__mock/journal", params={"limit": 1}).text
    for secret in secrets:
        assert secret not in text
    assert "api-key" in text and "x-goog-api-key" in text


def test_a_warning_when_listening_beyond_loopback_without_a_control_key(monkeypatch, capsys):
    import uvicorn

    from aihubmix_mock import cli

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)  # never binds: the warning comes first
    monkeypatch.setattr(cli.signal, "signal", lambda *a: None)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 0
    assert "--control-key" in capsys.readouterr().err
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0", "--control-key", "k"]) == 0
    assert "beyond loopback" not in capsys.readouterr().err


# ------------------------------------------------------------------------- over a real socket
@pytest.fixture(scope="module")
def server():
    server = Server(
        "--header-timeout",
        "1",
        "--body-timeout",
        "1",
        "--max-connections",
        "40",
        "--idle-timeout",
        "30",
        "--job-seconds",
        "0",
    )
    yield server
    server.stop()


def _raw(port: int, data: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_slow_headers_get_408_and_the_connection_closes(server):
    started = time.monotonic()
    answer = _raw(server.port, b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", wait=10)
    assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 9


def test_a_stalled_body_over_the_socket_gets_408(server):
    started = time.monotonic()
    answer = _raw(
        server.port,
        b"POST /v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model"',
        wait=10,
    )
    assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 9


def test_headers_that_never_end_get_431(server):
    answer = _raw(server.port, b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 400_000)
    assert answer.startswith(b"HTTP/1.1 431")


def test_a_websocket_upgrade_over_the_socket_is_not_a_server_error(server):
    response = httpx.get(
        f"{server.url}/v1/videos",
        headers={
            **AUTH,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status_code < 500


def test_idle_sockets_do_not_lock_out_polls(server):
    job = httpx.post(f"{server.url}/v1/videos", json=SORA, headers=AUTH).json()["id"]
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(60)]
    try:
        answered = 0
        with httpx.Client(timeout=5) as client:
            for _ in range(5):
                with contextlib.suppress(httpx.HTTPError):
                    answered += client.get(f"{server.url}/v1/videos/{job}", headers=AUTH).status_code == 200
        assert answered >= 4
    finally:
        for sock in idle:
            sock.close()


def test_another_client_is_answered_while_a_hostile_body_is_in_flight(server):
    job = httpx.post(f"{server.url}/v1/videos", json=SORA, headers=OTHER).json()["id"]
    hostile = b"[" + b"1," * 10_000_000 + b"1]"  # ~20 MiB of small numbers
    results: dict = {}

    def send_hostile():
        results["hostile"] = httpx.post(
            f"{server.url}/v1/videos",
            content=hostile,
            timeout=60,
            headers={**AUTH, "Content-Type": "application/json"},
        ).status_code

    thread = threading.Thread(target=send_hostile)
    thread.start()
    slowest = 0.0
    with httpx.Client(timeout=10) as client:
        while thread.is_alive() and len(results) == 0:
            started = time.monotonic()
            assert client.get(f"{server.url}/v1/videos/{job}", headers=OTHER).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.01)
    thread.join(60)
    assert results["hostile"] == 400
    assert slowest < 2.0, f"a poll waited {slowest:.2f} s behind the hostile body"


# ------------------------------------------------------------------ caches on the hot path
def test_a_request_without_a_host_header_gets_its_answer():
    # The base URL is then the server's address (a list in TestClient's scope, a tuple from
    # uvicorn); the mock remembers base URLs, and a list is no key.
    client = TestClient(create_app(job_seconds=0))
    auth = {"Authorization": "Bearer sk-nohost"}
    job = client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=auth).json()["id"]
    for host in ("", "testserver"):
        answer = client.get(f"/v1/videos/{job}", headers={**auth, "Host": host})
        assert answer.status_code == 200 and answer.json()["id"] == job


def test_the_accepted_key_cache_is_bounded_in_count_and_bytes():
    from aihubmix_mock.auth import KeyCheck

    check = KeyCheck()
    padded = b"Bearer " + b" " * 20_000 + b"sk-padded"
    assert check.caller(padded)[0] == "sk-padded" and padded not in check._accepted
    for i in range(5000):
        check.caller(b"Bearer sk-%d" % i)
    assert len(check._accepted) <= 4096
    with pytest.raises(ApiError):
        check.caller(b"Bearer bad key")
    assert b"Bearer bad key" not in check._accepted
