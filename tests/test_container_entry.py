"""What the container image (and any CI step) relies on, tested without Docker: options from env
AIHUBMIX_MOCK_ARGS, the ready line a wait keys on, the health check that finds the server's port from
its command line, and the image's entry point script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from aihubmix_mock.cli import with_env_args
from aihubmix_mock.healthcheck import _is_mock, health_url
from tests.test_cli import BIN, Server

ROOT = Path(__file__).resolve().parent.parent
HEALTHCHECK = [sys.executable, "-m", "aihubmix_mock.healthcheck"]
AUTH = {"Authorization": "Bearer sk-env"}


def test_env_args_go_after_serve_and_the_command_line_wins(monkeypatch):
    monkeypatch.setenv("AIHUBMIX_MOCK_ARGS", "--job-seconds 30 --key 'sk a'")
    assert with_env_args(["serve", "--job-seconds", "0"]) == [
        "serve", "--job-seconds", "30", "--key", "sk a", "--job-seconds", "0",
    ]  # fmt: skip
    assert with_env_args(["--version"]) == ["--version"], "only serve takes them"
    monkeypatch.setenv("AIHUBMIX_MOCK_ARGS", "--key 'unclosed")
    with pytest.raises(ValueError):
        with_env_args(["serve"])


def test_a_server_takes_its_options_from_the_env_and_says_when_it_is_ready(monkeypatch):
    monkeypatch.setenv("AIHUBMIX_MOCK_ARGS", "--key sk-env --job-seconds 30")
    server = Server("--job-seconds", "0")  # the command line wins over the env's 30
    try:
        assert (
            httpx.get(f"{server.url}/v1/videos", headers={"Authorization": "Bearer sk-x"}).status_code == 401
        )
        job = httpx.post(f"{server.url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH)
        assert job.status_code == 200, job.text
        polled = httpx.get(f"{server.url}/v1/videos/{job.json()['id']}", headers=AUTH).json()
        assert polled["status"] == "completed", "--job-seconds 0 from the command line did not win"
    finally:
        assert server.stop() == 0
    assert f"aihubmix-mock ready on {server.url}\n" in server.output


def test_a_bad_env_is_a_clear_start_up_error():
    env = {**os.environ, "AIHUBMIX_MOCK_ARGS": "--key 'unclosed"}
    result = subprocess.run([BIN, "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "AIHUBMIX_MOCK_ARGS" in result.stderr and "Traceback" not in result.stderr


def test_the_ready_line_names_the_real_port_under_port_0():
    proc = subprocess.Popen(
        [BIN, "serve", "--port", "0", "--log-level", "warning"], stdout=subprocess.PIPE, text=True
    )
    url = ""
    try:
        for line in proc.stdout:
            if line.startswith("aihubmix-mock ready on "):
                url = line.split()[-1]
                break
        assert not url.endswith(":0")
        assert httpx.get(f"{url}/__mock/health").status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
        proc.stdout.close()


def test_health_url_reads_the_port_from_the_command_line_the_env_and_port(monkeypatch):
    monkeypatch.delenv("AIHUBMIX_MOCK_ARGS", raising=False)
    cmd = ["/opt/mock/bin/python", "/opt/mock/bin/aihubmix-mock", "serve", "--host", "0.0.0.0"]
    assert health_url([*cmd, "--port", "5001"]) == "http://127.0.0.1:5001/__mock/health"
    assert health_url([*cmd[:3], "--host", "::", "--port", "5001"]) == "http://[::1]:5001/__mock/health"
    monkeypatch.setenv("AIHUBMIX_MOCK_ARGS", "--port 5002")
    assert health_url(cmd) == "http://127.0.0.1:5002/__mock/health"
    with pytest.raises(ValueError):
        health_url(["python", "-m", "http.server"])


def test_the_health_check_knows_the_mock_from_an_init_or_itself():
    assert _is_mock(["/opt/mock/bin/python", "/opt/mock/bin/aihubmix-mock", "serve", "--host", "0.0.0.0"])
    assert _is_mock(["python3", "-m", "aihubmix_mock", "serve"])
    assert not _is_mock(["/sbin/docker-init", "--", "aihubmix-mock-entrypoint", "--job-seconds", "0"])
    assert not _is_mock(["python", "-m", "aihubmix_mock.healthcheck"])
    assert not _is_mock(["python", "-m", "http.server"])


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="the health check reads /proc (Linux)")
def test_the_health_check_probes_a_running_server_and_fails_once_it_stops():
    server = Server("--job-seconds", "0")
    try:
        ok = subprocess.run([*HEALTHCHECK, str(server.proc.pid)], capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0 and f"healthy: {server.url}/__mock/health" in ok.stdout, ok.stderr
    finally:
        pid = server.proc.pid
        assert server.stop() == 0
    gone = subprocess.run([*HEALTHCHECK, str(pid)], capture_output=True, text=True, timeout=30)
    assert gone.returncode == 1 and "unhealthy" in gone.stderr


@pytest.mark.skipif(shutil.which("sh") is None, reason="the entry point is a POSIX shell script")
def test_the_image_entry_point_serves_on_every_address_unless_given_a_command(tmp_path):
    fake = tmp_path / "aihubmix-mock"  # stands in for the real command: prints what it was given
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}

    def entry(*args: str) -> str:
        script = ROOT / "docker" / "entrypoint.sh"
        return subprocess.run(["sh", str(script), *args], env=env, capture_output=True, text=True).stdout

    assert entry() == "serve --host 0.0.0.0\n"
    assert entry("--job-seconds", "0") == "serve --host 0.0.0.0 --job-seconds 0\n"
    assert entry("serve", "--help") == "serve --help\n"
    assert entry("--help") == "serve --host 0.0.0.0 --help\n"
    assert entry("--version") == "--version\n"
