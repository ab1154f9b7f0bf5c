"""`aihubmix-mock serve` as a user runs it: a real process on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BIN = str(Path(sys.executable).with_name("aihubmix-mock"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, what: str = "the mock") -> None:
    """Until `url`/__mock/health answers 200 (20 s at most), or `proc` has exited."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/__mock/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
        if proc.poll() is not None:
            out = proc.stdout if proc.stdout is not None else proc.stderr
            raise RuntimeError(f"{what} exited: {out.read() if out else ''}")
    proc.terminate()
    raise RuntimeError(f"{what} did not start within 20 s")


class Server:
    def __init__(self, *args: str, access_log: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        quiet = ["--access-log"] if access_log else ["--no-access-log"]
        self.proc = subprocess.Popen(
            [BIN, "serve", "--port", str(self.port), *quiet, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_healthy(self.url, self.proc)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        finally:
            self.output = self.proc.stdout.read()
            self.proc.stdout.close()


def test_help_lists_the_options():
    out = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for option in (
        "--host",
        "--port",
        "--job-seconds",
        "--policy",
        "--key",
        "--max-jobs",
        "--max-body-mb",
        "--state-file",
        "--media-cache-dir",
    ):
        assert option in out


@pytest.mark.parametrize("args", [["--policy", "soon"], ["--job-seconds", "-1"], ["--polls", "0"]])
def test_bad_options_exit_2(args):
    result = subprocess.run([BIN, "serve", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stderr


def test_serve_keys_and_sigterm():
    server = Server("--key", "sk-allowed", "--job-seconds", "0")
    try:
        ok = httpx.post(
            f"{server.url}/v1/videos",
            json={"model": "sora-2", "prompt": "p"},
            headers={"Authorization": "Bearer sk-allowed"},
        )
        assert ok.status_code == 200
        assert (
            httpx.get(
                f"{server.url}/v1/videos/{ok.json()['id']}", headers={"Authorization": "Bearer sk-allowed"}
            ).json()["status"]
            == "completed"
        )
        assert (
            httpx.get(f"{server.url}/v1/videos", headers={"Authorization": "Bearer sk-other"}).status_code
            == 401
        )
    finally:
        assert server.stop() == 0


def test_keys_never_reach_the_logs():
    good, bad = "sk-secret-good-0123456789", "sk-secret-bad-9876543210"
    server = Server("--key", good, "--log-level", "debug", access_log=True)
    try:
        for key in (good, bad):
            headers = {"Authorization": f"Bearer {key}"}
            httpx.post(f"{server.url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=headers)
            httpx.get(f"{server.url}/v1/videos/nope", headers=headers)
            httpx.post(
                f"{server.url}/v1/videos",
                content=b"{broken",
                headers={**headers, "Content-Type": "application/json"},
            )
    finally:
        assert server.stop() == 0
    assert "POST /v1/videos" in server.output, "the access log was not on"
    assert good not in server.output and bad not in server.output, "a key was logged"
    assert "secret" not in server.output


def test_jobs_survive_a_restart_with_a_state_file(tmp_path):
    state = str(tmp_path / "mock.sqlite3")
    auth = {"Authorization": "Bearer sk-keep"}
    server = Server("--state-file", state, "--job-seconds", "30")
    try:
        kept = [
            httpx.post(
                f"{server.url}/v1/videos", json={"model": "sora-2", "prompt": f"p{n}"}, headers=auth
            ).json()
            for n in range(20)
        ]
        gone = kept.pop()
        assert httpx.delete(f"{server.url}/v1/videos/{gone['id']}", headers=auth).status_code == 200
        httpx.post(f"{server.url}/__mock/clock/advance", json={"seconds": 31})
        done = httpx.get(f"{server.url}/v1/videos/{kept[0]['id']}", headers=auth).json()
        assert done["status"] == "completed"
    finally:
        assert server.stop() == 0
    server = Server("--state-file", state, "--job-seconds", "30")
    try:
        again = httpx.get(f"{server.url}/v1/videos/{kept[0]['id']}", headers=auth).json()
        assert again == done, "a completed job changed across the restart"
        listed = httpx.get(
            f"{server.url}/v1/videos", params={"limit": 100, "order": "asc"}, headers=auth
        ).json()
        assert [v["id"] for v in listed["data"]] == [v["id"] for v in kept]
        assert httpx.get(f"{server.url}/v1/videos/{gone['id']}", headers=auth).status_code == 404
        assert httpx.get(f"{server.url}/v1/videos/{kept[0]['id']}/content", headers=auth).status_code == 200
    finally:
        assert server.stop() == 0


def test_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "aihubmix_mock", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "aihubmix-mock" in result.stdout


def test_env_keys(monkeypatch):
    env = {**os.environ, "AIHUBMIX_MOCK_KEYS": "sk-a,sk-b"}
    port = free_port()
    proc = subprocess.Popen(
        [BIN, "serve", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/__mock/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        assert (
            httpx.get(
                f"http://127.0.0.1:{port}/v1/videos", headers={"Authorization": "Bearer sk-b"}
            ).status_code
            == 200
        )
        assert (
            httpx.get(
                f"http://127.0.0.1:{port}/v1/videos", headers={"Authorization": "Bearer sk-c"}
            ).status_code
            == 401
        )
    finally:
        proc.terminate()
        proc.wait(timeout=15)
