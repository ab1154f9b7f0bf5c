"""Shared fixtures of the project's own tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, wait_for

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def standins():
    """The drifted stand-ins as a user serves them (`python -m tests.drift_standins NAME`)."""
    running: dict[str, tuple[subprocess.Popen, str]] = {}

    def start(name: str) -> str:
        if name not in running:
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.drift_standins", name, "--port", str(port)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            running[name] = (process, f"http://127.0.0.1:{port}")
            wait_for(running[name][1])
        return running[name][1]

    yield start
    for process, _ in running.values():
        process.terminate()
        process.wait(10)
