"""The validating, recording proxy and the in-process tap (docs/proxy.md), driven by real clients.

The upstream is the mock itself, or a deliberately drifted stand-in (tests/drift_standins.py), on a
loopback port: no network. The proxy runs as users run it (`aihubmix-mock proxy`, a process) where
that is what is shown, and in a thread where the test needs to look inside.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

from aihubmix_mock import MockServer
from contract_tests.engine.media_check import probe_audio, probe_mp4
from contract_tests.engine.proxy import wire
from contract_tests.engine.proxy.judge import Outcome, Seen, decide_state
from contract_tests.engine.proxy.mp4 import Mp4Probe
from contract_tests.engine.proxy.recorder import read
from contract_tests.engine.proxy.server import Proxy
from contract_tests.engine.proxy.session import Session
from contract_tests.engine.proxy.tap import AsyncTap, Tap
from contract_tests.engine.target import KEY_A, KEY_B
from tests.drift_standins import Rewrite, standin

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BIN = str(Path(sys.executable).with_name("aihubmix-mock"))
KEY = "sk-proxy-test-secret-7f3a"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProxyProcess:
    """`aihubmix-mock proxy` as a user starts it."""

    def __init__(self, upstream: str, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [BIN, "proxy", "--upstream", upstream, "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/__proxy/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stdout.read())
        raise RuntimeError("the proxy did not start")

    def health(self) -> dict:
        return httpx.get(f"{self.url}/__proxy/health", timeout=5).json()

    def settle(self, exchanges: int) -> dict:
        """Wait (bounded) until `exchanges` are judged and recorded."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            health = self.health()
            if health["judged"] >= exchanges and health["pending"] == 0:
                return health
            time.sleep(0.02)
        raise AssertionError(f"the proxy did not catch up: {self.health()}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=15)
        finally:
            self.output = self.proc.stdout.read()
            self.proc.stdout.close()


class ProxyThread:
    """The proxy app in this process (its session inspectable)."""

    def __init__(self, upstream: str, **options) -> None:
        violations = options.pop("violations_header", False)
        self.session = Session(upstream, **options)
        self.server = MockServer(app=Proxy(upstream, self.session, violations_header=violations))
        self.url = self.server.url

    def __enter__(self) -> ProxyThread:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()
        self.session.close()

    def summary(self, exchanges: int) -> dict:
        """The report once `exchanges` have been handed over (the proxy hands one over after its
        last byte reached the client: a moment later than the client sees it) and judged."""
        deadline = time.monotonic() + 10
        while self.session.stats["exchanges"] < exchanges and time.monotonic() < deadline:
            time.sleep(0.01)
        self.session.flush()
        return self.session.summary()


def _session_with(client: openai.OpenAI, server: MockServer | None = None) -> dict:
    """One client session: create, poll to the end, download, a refused create, list. Its results
    without what differs from one server to another (ids, times, request ids)."""
    out: dict = {}
    video = client.videos.create(model="sora-2", prompt="a red fox in the snow", seconds="4", size="1280x720")
    out["created"] = (video.status, video.model, video.size, video.seconds)
    if server is not None:
        server.complete(video.id)
    done = client.videos.retrieve(video.id)
    out["done"] = (done.status, done.progress)
    data = client.videos.download_content(video.id).read()
    out["mp4"] = (len(data), hashlib.sha256(data).hexdigest())
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create(model="sora-2", prompt="x", seconds="5")
    out["refused"] = (refused.value.status_code, refused.value.message.split("(tid")[0])
    out["listed"] = sorted(v.status for v in client.videos.list())
    return out


# ------------------------------------------------------------------------------------ units
@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_the_mp4_probe_reads_what_pyav_reads_whatever_the_chunks(chunk):
    with MockServer(job_seconds=0) as mock:
        client = openai.OpenAI(api_key=KEY, base_url=mock.api_url)
        video = client.videos.create(model="sora-2", prompt="p", seconds="8", size="1280x720")
        client.videos.retrieve(video.id)
        data = client.videos.download_content(video.id).read()
    probe = Mp4Probe()
    for at in range(0, len(data), chunk):
        probe.feed(data[at : at + chunk])
    found = probe.result()
    width, height, seconds, _frames = probe_mp4(data)
    assert (found["width"], found["height"]) == (width, height) == (1280, 720)
    assert found["seconds"] == pytest.approx(seconds, abs=0.1)
    assert found["sound"] == (probe_audio(data) is not None)
    assert found["bytes"] == len(data) and found["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_mp4_probe_says_when_bytes_are_not_an_mp4():
    probe = Mp4Probe()
    probe.feed(b"<html><body>Video temporarily unavailable</body></html>")
    assert probe.result()["mp4"] is False


def test_scrub_takes_out_keys_blobs_and_on_request_prompts():
    headers = [("Authorization", f"Bearer {KEY}"), ("X-Api-Key", "k-second-1234"), ("Accept", "*/*")]
    secrets = wire.secrets_in(headers)
    body = {
        "prompt": f"a cat, and my key is {KEY}",
        "input_reference": "data:image/png;base64," + "A" * 4000,
        "api_key": "k-third-5678",
    }
    kept = json.dumps(wire.scrub(body, secrets))
    assert KEY not in kept and "k-third-5678" not in kept and "AAAA" not in kept
    assert "a cat" in kept and "sha256" in kept
    hidden = json.dumps(wire.scrub(body, secrets, redact_prompts=True))
    assert "a cat" not in hidden
    assert wire.safe_headers(headers) == {
        "authorization": "[redacted]",
        "x-api-key": "[redacted]",
        "accept": "*/*",
    }
    assert (
        wire.safe_query("limit=2&api_key=abc&token=t")
        == "limit=2&api_key=%5Bredacted%5D&token=%5Bredacted%5D"
    )


def test_multipart_as_openai_python_sends_it_is_read_back_nested():
    from contract_tests.engine.api import multipart_body

    body = {
        "model": "doubao-seedance-1-0-pro-250528",
        "content": [{"type": "text", "text": "hi"}],
        "watermark": False,
    }
    content, ctype = multipart_body(body)
    kind, value = wire.parse_body(ctype, content)
    assert kind == "form"
    assert value == {
        "model": "doubao-seedance-1-0-pro-250528",
        "content": [{"type": "text", "text": "hi"}],
        "watermark": "false",
    }


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (Outcome(), "conforms"),
        (Outcome(difference="schema"), "drift"),
        (Outcome(difference="accepted", unconfirmed=True), "known"),
        (Outcome(difference="rejected", known="K-X"), "known"),
        (Outcome(incident="balance"), "incident"),
        (Outcome(answered=False), "not checked"),
    ],
)
def test_decide_state(outcome, state):
    assert decide_state(outcome) == state


def test_a_full_queue_drops_and_counts_never_blocks(tmp_path):
    import threading

    session = Session("http://upstream.test", report=tmp_path, queue_size=1)
    started, release = threading.Event(), threading.Event()
    real = session.process

    def slow(seen):
        started.set()
        release.wait(10)
        return real(seen)

    session.process = slow
    session.submit(Seen("GET", "/v1/videos"))
    assert started.wait(5)
    began = time.perf_counter()
    for _ in range(4):
        session.submit(Seen("GET", "/v1/videos"))
    assert time.perf_counter() - began < 0.5
    assert session.stats["dropped"] == 3
    release.set()
    session.close()
    assert "**dropped 3** (queue full)" in (tmp_path / "drift.md").read_text()
    assert json.loads((tmp_path / "drift.json").read_text())["proxy"]["dropped"] == 3


# ------------------------------------------------------------------------------------ the proxy
def test_openai_python_gets_the_same_results_through_the_proxy_run_twice(tmp_path):
    """The user's entry point (`aihubmix-mock proxy`), a real client, a server that already holds
    state (the second run), and no key in anything written."""
    with (
        MockServer(job_seconds=30, keys=[KEY]) as direct_mock,
        MockServer(job_seconds=30, keys=[KEY]) as upstream,
    ):
        direct = _session_with(openai.OpenAI(api_key=KEY, base_url=direct_mock.api_url), direct_mock)
        proxy = ProxyProcess(
            upstream.url, "--record", str(tmp_path / "rec"), "--report", str(tmp_path / "rep")
        )
        try:
            client = openai.OpenAI(api_key=KEY, base_url=f"{proxy.url}/v1")
            first = _session_with(client, upstream)
            second = _session_with(client, upstream)
            health = proxy.settle(2 * 5)
            report = httpx.get(f"{proxy.url}/__proxy/report?format=json").json()
        finally:
            assert proxy.stop() == 0
    assert first == {**direct, "listed": first["listed"]} and direct["listed"] == ["completed"]
    assert second == {**first, "listed": ["completed", "completed"]}
    assert health["dropped"] == 0 and health["errors"] == 0
    assert report["verdict"] == "conforms", report["drifts"]
    assert report["counts"]["conforms"] == 10
    lines = list(read(tmp_path / "rec"))
    assert len(lines) == health["recorded"] == 10
    assert {line["request"]["method"] for line in lines} == {"GET", "POST"}
    media = [line["media"] for line in lines if line.get("media")]
    assert media and media[0]["width"] == 1280 and media[0]["height"] == 720 and media[0]["mp4"]
    for written in [*(tmp_path / "rec").iterdir(), *(tmp_path / "rep").iterdir()]:
        assert KEY not in written.read_text(), written.name
    assert (tmp_path / "rep" / "drift.md").read_text().startswith("# Contract drift report: CONFORMS")


def test_the_answer_reaches_the_client_unchanged_gzip_included():
    payload = json.dumps({"id": "x", "object": "video.deleted", "deleted": True}).encode() * 1
    packed = gzip.compress(payload)

    async def upstream(scope, receive, send):
        if scope["type"] != "http":
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-encoding", b"gzip"),
                    (b"content-length", str(len(packed)).encode()),
                    (b"x-request-id", b"req-1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": packed})

    with MockServer(app=upstream) as up, ProxyThread(up.url) as proxy:
        with httpx.stream(
            "DELETE", f"{proxy.url}/v1/videos/x", headers={"Authorization": f"Bearer {KEY}"}
        ) as r:
            raw = b"".join(r.iter_raw())
            assert r.headers["content-encoding"] == "gzip" and r.headers["x-request-id"] == "req-1"
        assert raw == packed
        summary = proxy.summary(1)
    assert summary["counts"]["conforms"] == 1, summary["proxy"]


def test_a_drifted_upstream_is_reported_as_drift_with_the_header_on(tmp_path):
    with (
        MockServer(app=standin("rename_status")) as up,
        ProxyThread(up.url, report=tmp_path, violations_header=True) as proxy,
    ):
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY_A}"})
        created = client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"})
        assert created.headers["x-contract-violations"] == "none"
        httpx.post(f"{up.url}/__mock/jobs/{created.json()['id']}/advance", json={"to": "completed"})
        polled = client.get(f"/v1/videos/{created.json()['id']}")
        assert polled.json()["status"] == "succeed"  # the client still gets the upstream's answer
        assert polled.headers["x-contract-violations"] == "STATUS-ENUM"  # the rule the answer breaks
        summary = proxy.summary(2)
    assert summary["verdict"] == "drift"
    assert [(d["operation"], d["check"]) for d in summary["drifts"]] == [("retrieveVideo", "schema")]
    assert "succeed" in summary["drifts"][0]["message"]
    page = (tmp_path / "drift.md").read_text()
    assert page.startswith("# Contract drift report: DRIFTED") and "succeed" in page
    assert (tmp_path / "drift.html").is_file()  # whatever the suite's report writes, the proxy's does


def test_a_status_that_goes_back_is_caught():
    def back(method, path, status, headers, body):
        data = json.loads(body) if "json" in headers.get("content-type", "") else None
        if method == "GET" and isinstance(data, dict) and data.get("status") == "completed":
            back.polls += 1
            if back.polls == 2:
                data["status"], data["progress"] = "in_progress", 50
                return status, json.dumps(data).encode()
        return status, body

    back.polls = 0
    app = Rewrite(standin("faithful"), response=back)
    with MockServer(app=app) as up, ProxyThread(up.url) as proxy:
        client = openai.OpenAI(api_key=KEY_A, base_url=f"{proxy.url}/v1")
        video = client.videos.create(model="sora-2", prompt="p")
        httpx.post(f"{up.url}/__mock/jobs/{video.id}/advance", json={"to": "completed"})
        for _ in range(3):
            client.videos.retrieve(video.id)
        summary = proxy.summary(4)
    lifecycle = [d for d in summary["drifts"] if d["check"] == "lifecycle"]
    assert len(lifecycle) == 1 and lifecycle[0]["count"] == 1, summary["drifts"]
    assert "went back from completed to in_progress" in lifecycle[0]["message"]


def test_a_balance_starved_upstream_is_reported_as_incidents():
    with MockServer(app=standin("balance")) as up, ProxyThread(up.url) as proxy:
        client = openai.OpenAI(api_key=KEY_A, base_url=f"{proxy.url}/v1", max_retries=0)
        for _ in range(2):
            with pytest.raises(openai.PermissionDeniedError):
                client.videos.create(model="sora-2", prompt="p")
        summary = proxy.summary(2)
    assert summary["verdict"] == "incident" and summary["counts"]["incident"] == 2
    assert "balance" in summary["groups"]["incident"][0]["message"]


def test_an_unreachable_upstream_is_a_clear_502_and_not_checked():
    port = _free_port()  # nothing listens there
    with ProxyThread(f"http://127.0.0.1:{port}") as proxy:
        answer = httpx.get(f"{proxy.url}/v1/videos/abc", headers={"Authorization": f"Bearer {KEY}"})
        summary = proxy.summary(1)
    assert answer.status_code == 502
    assert "did not answer" in answer.json()["error"]["message"]
    assert summary["counts"]["not checked"] == 1 and summary["verdict"] == "conforms"


def test_the_apimart_dialect_is_judged_too():
    with MockServer(job_seconds=0, keys=[KEY]) as up, ProxyThread(up.url) as proxy:
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY}"})
        created = client.post(
            "/v1/videos/generations", json={"model": "sora-2-preview", "prompt": "p", "duration": 8}
        )
        task = created.json()["data"][0]["task_id"]
        assert client.get(f"/v1/tasks/{task}").status_code == 200
        # duration 9 breaks APIMART-DURATION (4, 8 or 12), a value rule production has not confirmed:
        # the mock (production mode) accepts it, and the proxy reports it as known, not drift
        loose = client.post(
            "/v1/videos/generations", json={"model": "sora-2-preview", "prompt": "p", "duration": 9}
        )
        assert loose.status_code == 200
        summary = proxy.summary(3)
    rows = {(r["operation"], r["model"]): r for r in summary["by_operation_and_model"]}
    # the loose create: its request is `known`, its answer (SubmitEnvelope) conforms
    assert rows[("apimartCreateGeneration", "sora-2-preview")]["conforms"] == 2
    assert rows[("apimartCreateGeneration", "sora-2-preview")]["known"] == 1
    assert rows[("apimartGetTask", "sora-2-preview")]["conforms"] == 1
    assert [(k["rule"], k["count"]) for k in summary["groups"]["known"]] == [("APIMART-DURATION", 1)]
    assert summary["verdict"] == "conforms", summary["drifts"]


def test_killing_the_proxy_loses_only_what_was_in_flight(tmp_path):
    with MockServer(job_seconds=0, keys=[KEY]) as up:
        proxy = ProxyProcess(up.url, "--record", str(tmp_path), "--redact-prompts")
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY}"})
        prompt = "a confidential storyboard"
        video = client.post("/v1/videos", json={"model": "sora-2", "prompt": prompt}).json()
        for _ in range(19):
            client.get(f"/v1/videos/{video['id']}")
        proxy.settle(20)
        assert proxy.stop(signal.SIGKILL) == -signal.SIGKILL
    lines = list(read(tmp_path))
    assert len(lines) == 20
    assert [line["response"]["statusCode"] for line in lines] == [200] * 20
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    assert prompt not in written and KEY not in written  # --redact-prompts: the answers' echo too
    assert lines[0]["request"]["body"]["prompt"]["prompt"] == "redacted"


# ------------------------------------------------------------------------------------ the tap
def test_the_tap_judges_and_records_an_openai_client(tmp_path):
    with MockServer(job_seconds=0, keys=[KEY]) as mock:
        tap = Tap(record=tmp_path / "rec", report=tmp_path / "rep")
        client = openai.OpenAI(api_key=KEY, base_url=mock.api_url, http_client=httpx.Client(transport=tap))
        video = client.videos.create(model="sora-2", prompt="p", seconds="4")
        client.videos.retrieve(video.id)
        data = client.videos.download_content(video.id).read()
        client.close()  # closes the tap: the queue drained, the report written
    assert data[4:8] == b"ftyp"
    summary = json.loads((tmp_path / "rep" / "drift.json").read_text())
    assert summary["verdict"] == "conforms" and summary["counts"]["conforms"] == 3
    lines = list(read(tmp_path / "rec"))
    assert [line["response"]["statusCode"] for line in lines] == [200, 200, 200]
    assert lines[2]["media"]["bytes"] == len(data) and lines[2]["media"]["seconds"] == pytest.approx(
        4, abs=0.1
    )
    assert all(KEY not in p.read_text() for p in (tmp_path / "rec").iterdir())


def test_the_async_tap_sees_drift():
    async def run(url: str, tap: AsyncTap) -> None:
        client = openai.AsyncOpenAI(api_key=KEY_A, base_url=url, http_client=httpx.AsyncClient(transport=tap))
        video = await client.videos.create(model="sora-2", prompt="p")
        await client.videos.retrieve(video.id)
        await client.close()

    with MockServer(app=standin("drop_field")) as up:
        tap = AsyncTap()
        asyncio.run(run(up.api_url, tap))
        summary = tap.session.summary()
    assert summary["verdict"] == "drift"
    assert "progress" in summary["drifts"][0]["message"]


# ------------------------------------------------------------------------------------ evidence
def _refuse_twelve(method, path, status, headers, body):
    if method == "POST" and path == "/v1/videos" and _refuse_twelve.last.get("seconds") == "12":
        message = {
            "error": {
                "message": "Invalid value for 'seconds': 12 is not supported",
                "type": "Aihubmix_api_error",
            }
        }
        return 400, json.dumps(message).encode()
    return status, body


def _note(method, path, headers, body):
    if method == "POST" and path == "/v1/videos":
        _refuse_twelve.last = json.loads(body or b"{}")
    return headers, body


_refuse_twelve.last = {}


def test_evidence_names_the_rule_a_refusal_of_allowed_input_contradicts(tmp_path):
    """A stand-in that refuses what the spec allows (seconds "12"), and the faithful 400 to a
    request that breaks SORA-SECONDS: `aihubmix-mock evidence` proposes both, for review."""
    app = Rewrite(standin("faithful"), request=_note, response=_refuse_twelve)
    with MockServer(app=app) as up:
        proxy = ProxyProcess(up.url, "--record", str(tmp_path))
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY_A}"})
        for seconds in ("12", "12", "5"):
            client.post("/v1/videos", json={"model": "sora-2", "prompt": "p", "seconds": seconds})
        proxy.settle(3)
        proxy.stop()
    out = subprocess.run([BIN, "evidence", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "CONTRADICTED  SORA-SECONDS: 2 exchange(s), status [400]" in out.stdout
    assert "CONFIRMED     SORA-SECONDS: 1 exchange(s), status [400]" in out.stdout
    proposal = json.loads((tmp_path / "evidence-proposal.json").read_text())
    samples = {s["proposal"]: s for s in proposal["samples"]}
    assert samples["contradicted"]["source"] == "recorded" and samples["contradicted"]["count"] == 2
    assert samples["contradicted"]["rule"] == "SORA-SECONDS" and samples["contradicted"]["http_status"] == 400
    assert all(KEY_A not in p.read_text() for p in tmp_path.iterdir())
    fixture = json.loads((Path(__file__).parents[1] / "fixtures/production/samples.json").read_text())
    assert set(fixture[0]) <= set(samples["confirmed"])  # the format of fixtures/production/samples.json


def test_evidence_of_a_lax_upstream_and_the_har(tmp_path):
    with MockServer(app=standin("lax")) as up:
        proxy = ProxyProcess(up.url, "--record", str(tmp_path))
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY_B}"})
        for _ in range(2):
            assert (
                client.post("/v1/videos", json={"model": "sora-2", "prompt": "p", "seconds": "5"}).status_code
                == 200
            )
        proxy.settle(2)
        report = httpx.get(f"{proxy.url}/__proxy/report").text
        proxy.stop()
    assert (
        "rule SORA-SECONDS" in report and "DRIFTED" in report
    )  # SORA-SECONDS is confirmed: accepting it is drift
    out = subprocess.run([BIN, "evidence", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert "CONTRADICTED  SORA-SECONDS: 2 exchange(s), status [200]" in out.stdout
    har = subprocess.run([BIN, "export-har", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert har.returncode == 0 and "2 exchanges written" in har.stdout
    log = json.loads((tmp_path / "exchanges.har").read_text())["log"]
    assert log["version"] == "1.2" and len(log["entries"]) == 2
    entry = log["entries"][0]
    assert entry["request"]["method"] == "POST" and entry["request"]["url"].startswith("http://127.0.0.1:")
    assert entry["response"]["status"] == 200 and entry["startedDateTime"].endswith("Z")
    assert KEY_B not in (tmp_path / "exchanges.har").read_text()


def test_the_cli_says_what_to_do_with_bad_arguments(tmp_path):
    bad = subprocess.run([BIN, "proxy", "--upstream", "ftp://x"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not an http(s) URL" in bad.stderr
    missing = subprocess.run(
        [BIN, "evidence", str(tmp_path / "nope")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2 and "give the folder passed to --record" in missing.stderr
    listed = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=60)
    assert all(name in listed.stdout for name in ("proxy", "export-har", "evidence"))


# ------------------------------------------------------------------------------------ the suite records
def test_the_suite_records_its_own_run_and_the_judge_agrees_with_the_mock(tmp_path):
    """`--record DIR` on the contract suite (here over a socket; a nightly against production does
    the same): every exchange recorded, no drift on the faithful mock, and for every create the
    rules the proxy says a request breaks are the rules the mock named (X-Mock-Rule on a 400,
    X-Mock-Unconfirmed-Rules on a 200 it accepted)."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "contract_tests/test_model_rules.py",
            "-q",
            "-p",
            "no:randomly",
            "--target",
            "socket",
            "--record",
            str(tmp_path),
        ],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    report = json.loads((tmp_path / "report" / "drift.json").read_text())
    assert report["verdict"] == "conforms", report["drifts"][:3]
    assert report["proxy"]["dropped"] == 0 and report["proxy"]["errors"] == 0
    checked, differ = 0, []
    for line in read(tmp_path):
        verdict, response = line["verdict"], line["response"]
        if verdict["operation"] != "createVideo":
            continue
        named = response["headers"].get(
            "x-mock-rule" if response["statusCode"] == 400 else "x-mock-unconfirmed-rules", ""
        )
        if response["statusCode"] == 400:
            assert named in verdict["broken_rules"], line
        elif response["statusCode"] == 200:
            theirs = sorted(r.strip() for r in named.split(",") if r.strip())
            if sorted(verdict["broken_rules"]) != theirs:
                differ.append((theirs, verdict["broken_rules"], line["request"]["body"]))
        checked += 1
    assert checked > 1000
    # One known difference (1 create of ~1100): a GIF data URL, which the engine's format checker
    # (generate.py: JPEG, PNG or WebP) refuses as an image and the mock takes as one.
    assert len(differ) <= 1 and all("REFERENCE-IS-IMAGE" in mine for _, mine, _ in differ), differ


def test_installed_without_the_repository_the_engine_finds_the_packaged_spec(tmp_path):
    """Laid out as a wheel installs it (aihubmix_mock with its openapi/ data, contract_tests beside
    it, no repository around): `aihubmix-mock evidence` reads the rules from the packaged spec."""
    import shutil

    root = Path(__file__).parents[1]
    site = tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(root / "mock", site / "aihubmix_mock", ignore=skip)
    shutil.copytree(root / "openapi", site / "aihubmix_mock" / "openapi", ignore=skip)
    shutil.copytree(root / "contract_tests", site / "contract_tests", ignore=skip)
    recorded = tmp_path / "recordings"
    recorded.mkdir()
    line = {
        "startedAt": "2026-12-01T10:00:00.000Z",
        "request": {"method": "POST", "url": "/v1/videos", "body": {"model": "sora-2", "seconds": "5"}},
        "response": {"statusCode": 400, "body": {"error": {"message": "Invalid value for 'seconds'"}}},
        "verdict": {
            "operation": "createVideo",
            "model": "sora-2",
            "broken_rules": ["SORA-SECONDS"],
            "findings": [],
        },
    }
    (recorded / "exchanges-x.ndjson").write_text(json.dumps(line) + "\n")
    code = (
        "import sys; from contract_tests.engine import generate; print(generate.OPENAPI); "
        "from aihubmix_mock.cli import main; sys.exit(main(['evidence', sys.argv[1]]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(recorded)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == str(site / "aihubmix_mock" / "openapi")
    assert (
        "CONFIRMED     SORA-SECONDS: 1 exchange(s), status [400], models sora-2; the spec says confirmed"
        in run.stdout
    )


def test_a_chunked_upload_is_forwarded_and_judged():
    """A request body without a length (Transfer-Encoding: chunked) reaches the upstream whole."""
    body = json.dumps({"model": "sora-2", "prompt": "a fox", "seconds": "8"}).encode()

    def chunks():
        for at in range(0, len(body), 7):
            yield body[at : at + 7]

    with MockServer(job_seconds=0, keys=[KEY]) as up, ProxyThread(up.url) as proxy:
        answer = httpx.post(
            f"{proxy.url}/v1/videos",
            content=chunks(),
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        summary = proxy.summary(1)
    assert answer.status_code == 200 and answer.json()["seconds"] == "8"
    assert summary["counts"]["conforms"] == 1, summary["proxy"]
    assert summary["by_operation_and_model"] and any(
        r["operation"] == "createVideo" and r["model"] == "sora-2" and r["conforms"] == 1
        for r in summary["by_operation_and_model"]
    )


def test_a_long_session_keeps_few_exchanges_in_memory():
    session = Session("http://upstream.test")
    drifted = json.dumps({"id": "v1", "object": "video", "model": "sora-2", "status": "succeed"}).encode()
    seen = Seen(
        "GET",
        "/v1/videos/v1",
        status=200,
        response_headers=[("content-type", "application/json"), ("x-request-id", "r1")],
        response_body=drifted,
        started=time.time(),
    )
    for _ in range(60):
        session.process(seen)
    results = session.report.results
    assert len(results) == 60 and {r["state"] for r in results} == {"drift"}
    assert sum(r["exchange"] is not None for r in results) == 20
    summary = session.summary()
    assert summary["drifts"][0]["count"] == 60 and summary["drifts"][0]["exchange"]["status"] == 200
    session.close()


def test_a_flaky_upstream_gives_incidents_and_not_checked_never_drift():
    """tests/drift_standins.py `flaky`: 1 read in 8 is a 503 with Retry-After, another drops the
    connection mid-answer. The client sees both as they happened; neither is drift."""
    with MockServer(app=standin("flaky")) as up, ProxyThread(up.url) as proxy:
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY_A}"})
        video = client.post("/v1/videos", json={"model": "sora-2", "prompt": "p"}).json()
        statuses = []
        for _ in range(8):
            try:
                statuses.append(client.get(f"/v1/videos/{video['id']}").status_code)
            except httpx.HTTPError as exc:
                statuses.append(type(exc).__name__)
        summary = proxy.summary(9)
    assert 503 in statuses and any(isinstance(s, str) for s in statuses), statuses
    assert summary["counts"]["drift"] == 0, summary["drifts"]
    assert summary["counts"]["incident"] == 1 and summary["counts"]["not checked"] == 1
    assert summary["counts"]["conforms"] == 7


def test_evidence_lists_answer_members_the_spec_lacks_and_durations(tmp_path):
    def extra(method, path, status, headers, body):
        if "json" in headers.get("content-type", "") and status == 200:
            data = json.loads(body)
            if isinstance(data, dict) and data.get("object") == "video":
                data["billing_units"] = 4
                return status, json.dumps(data).encode()
        return status, body

    app = Rewrite(standin("faithful"), response=extra)
    with MockServer(app=app) as up, ProxyThread(up.url, record=tmp_path) as proxy:
        client = openai.OpenAI(api_key=KEY_A, base_url=f"{proxy.url}/v1")
        video = client.videos.create(model="sora-2", prompt="p")
        httpx.post(f"{up.url}/__mock/jobs/{video.id}/advance", json={"to": "completed"})
        client.videos.retrieve(video.id)
        proxy.summary(2)
    out = subprocess.run([BIN, "evidence", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert "MEMBER        createVideo: `billing_units` not in the spec (1x)" in out.stdout
    assert "MEMBER        retrieveVideo: `billing_units` not in the spec (1x)" in out.stdout
    assert re.search(r"DURATION      sora-2: 1 job\(s\), median [\d.]+ s", out.stdout), out.stdout


def test_killed_mid_download_the_proxy_loses_only_that_download(tmp_path):
    import asyncio as aio

    async def slow(scope, receive, send):
        """A JSON answer at once; a video that takes seconds to stream."""
        if scope["type"] != "http":
            return
        if not scope["path"].endswith("/content"):
            body = json.dumps({"id": "v1", "object": "video.deleted", "deleted": True}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"video/mp4")]}
        )
        for _ in range(40):
            await send({"type": "http.response.body", "body": bytes(64 * 1024), "more_body": True})
            await aio.sleep(0.05)
        await send({"type": "http.response.body", "body": b""})

    with MockServer(app=slow) as up:
        proxy = ProxyProcess(up.url, "--record", str(tmp_path))
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY}"})
        for _ in range(5):
            assert client.delete("/v1/videos/v1").status_code == 200
        proxy.settle(5)
        with client.stream("GET", "/v1/videos/v1/content") as streaming:
            chunks = streaming.iter_raw()
            next(chunks)  # the download is under way
            proxy.stop(signal.SIGKILL)
            with pytest.raises(httpx.HTTPError):
                for _ in chunks:
                    pass
    lines = list(read(tmp_path))
    assert [line["request"]["method"] for line in lines] == ["DELETE"] * 5


def test_a_known_difference_is_known_only_for_the_answer_it_describes():
    """`unknown_model_503` answers an unknown model as production does (503 "Incorrect model ID",
    K-UNKNOWN-MODEL-503): known, not an incident, since the entry names that status and wording."""
    with MockServer(app=standin("unknown_model_503")) as up, ProxyThread(up.url) as proxy:
        client = httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {KEY_A}"})
        answer = client.post("/v1/videos", json={"model": "sora-3-ultra", "prompt": "p"})
        assert answer.status_code == 503 and "Incorrect model ID" in answer.text
        summary = proxy.summary(1)
    assert summary["counts"]["known"] == 1 and summary["counts"]["incident"] == 0, summary["counts"]
    assert summary["groups"]["known"][0].get("difference") == "K-UNKNOWN-MODEL-503"
