"""pytest fixtures for projects that test a client against the mock (entry point `pytest11`).

- `aihubmix_mock_app`: a fresh ASGI app per test, for in-process clients (httpx ASGITransport,
  Starlette's TestClient).
- `aihubmix_mock_url`: the base URL of a real server on a free loopback port (one per session),
  reset before each test. Jobs complete on the first status poll unless the ini option
  `aihubmix_mock_job_seconds` says otherwise.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import pytest


def pytest_addoption(parser):
    parser.addini("aihubmix_mock_job_seconds", "job seconds for the aihubmix_mock fixtures", default="0")


def _job_seconds(config) -> float:
    return float(config.getini("aihubmix_mock_job_seconds") or 0)


class RunningMock:
    """A uvicorn server in a background thread, on a socket bound before it starts."""

    def __init__(self, app) -> None:
        import uvicorn

        from .config import IDLE_TIMEOUT

        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_keep_alive=IDLE_TIMEOUT)  # longer than clients' pool expiry
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def start(self) -> RunningMock:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the aihubmix mock did not start within 10 s")
            time.sleep(0.01)
        return self

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/__mock/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


@pytest.fixture
def aihubmix_mock_app(request):
    from aihubmix_mock import create_app

    return create_app(job_seconds=_job_seconds(request.config))


@pytest.fixture(scope="session")
def aihubmix_mock_server(request):
    from aihubmix_mock import create_app

    server = RunningMock(create_app(job_seconds=_job_seconds(request.config))).start()
    yield server
    server.stop()


@pytest.fixture
def aihubmix_mock_url(aihubmix_mock_server) -> str:
    aihubmix_mock_server.reset()
    return aihubmix_mock_server.url
