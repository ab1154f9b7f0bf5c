"""Shared fixtures of the project's own tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, path: str = "/__mock/health") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + path, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not start")


@pytest.fixture(scope="session")
def standins():
    """The drifted stand-ins as a user serves them (`python -m tests.drift_standins NAME`)."""
    running: dict[str, tuple[subprocess.Popen, str]] = {}

    def start(name: str) -> str:
        if name not in running:
            port = _port()
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.drift_standins", name, "--port", str(port)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            running[name] = (process, f"http://127.0.0.1:{port}")
            _wait(running[name][1])
        return running[name][1]

    yield start
    for process, _ in running.values():
        process.terminate()
        process.wait(10)
