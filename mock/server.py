"""A mock server on a loopback port in a background thread, with a handle to steer it.

    with MockServer(job_seconds=30, seed=1) as mock:
        client = openai.OpenAI(api_key="sk-test", base_url=mock.api_url)
        video = client.videos.create(model="sora-2", prompt="a cat")
        mock.advance(30)                       # the mock's clock, not a sleep
        mock.fail(video.id, "content policy")  # or complete(video.id)
        print(mock.journal(method="POST"))

The handle speaks to the control plane over HTTP (openapi/control-plane.yaml), as any client would,
so what it does is what `curl` would do. The pytest plugin's `aihubmix_mock` fixture is one of these.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from types import TracebackType
from typing import Any

from .config import MockConfig


class ControlPlaneError(RuntimeError):
    """The control plane refused a request (the message is the mock's)."""


class MockServer:
    """`MockServer(MockConfig(...))`, `MockServer(job_seconds=..., keys=[...], seed=...)`, or
    `MockServer(app=...)` to serve an ASGI app of your own (e.g. one wrapping the mock)."""

    def __init__(self, config: MockConfig | None = None, *, app: Any = None, **settings: Any) -> None:
        import uvicorn

        from .app import create_app
        from .config import IDLE_TIMEOUT

        self._owns_app = app is None
        if app is None:
            app = create_app(config, **settings)
        elif config is not None or settings:
            raise TypeError("pass an app, or settings for a new one, not both")
        self.app = app
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))  # bound before the server starts: no race for the port
        self.port: int = self._sock.getsockname()[1]
        #: The base URL as the docs give it, without /v1 (curl, httpx, the contract suite).
        self.url = f"http://127.0.0.1:{self.port}"
        #: The base URL with /v1, as openai-python and LiteLLM take it.
        self.api_url = f"{self.url}/v1"
        uv_config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=int(IDLE_TIMEOUT),
        )  # longer than clients' pool expiry
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    # -- life ---------------------------------------------------------------------------------
    def start(self) -> MockServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the aihubmix mock did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        if self._owns_app:
            self.app.state.mock.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- the control plane --------------------------------------------------------------------
    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/__mock/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            raise ControlPlaneError(f"{method} /__mock/{path}: {exc.code} {exc.read().decode()}") from None

    def reset(self) -> None:
        """Forget every job, the journal and queued faults; the clock goes back; seeded ids start over."""
        self._control("POST", "reset", {})

    def advance(self, seconds: float) -> float:
        """Move the mock's clock on (jobs progress, downloads expire); returns the new time."""
        return float(self._control("POST", "clock/advance", {"seconds": seconds})["clock"])

    def seed(self, seed: int | None) -> None:
        """Reproducible ids from now on (None: random again)."""
        self._control("POST", "seed", {"seed": seed})

    def job(self, job_id: str) -> dict[str, Any]:
        """The job as the mock holds it (status, policy, forced outcome), whichever key owns it."""
        found: dict[str, Any] = self._control("GET", f"jobs/{urllib.parse.quote(job_id, safe='')}")
        return found

    def force(self, job_id: str, to: str, error: str | None = None) -> str:
        """Push a job to `in_progress`, `completed` or `failed` now; returns its status."""
        body: dict[str, Any] = {"to": to} if error is None else {"to": to, "error": error}
        return str(
            self._control("POST", f"jobs/{urllib.parse.quote(job_id, safe='')}/advance", body)["status"]
        )

    def complete(self, job_id: str) -> str:
        return self.force(job_id, "completed")

    def fail(self, job_id: str, error: str | None = None) -> str:
        return self.force(job_id, "failed", error)

    def journal(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        limit: int = 1000,
        warned: bool | None = None,
    ) -> list[dict[str, Any]]:
        """What clients sent, oldest first (bodies decoded, keys redacted); `warned=True`: only the
        requests accepted with a warning (unconfirmed rules broken)."""
        query = {
            "limit": str(limit),
            **({"method": method} if method else {}),
            **({"path_prefix": path_prefix} if path_prefix else {}),
            **({"warned": str(warned).lower()} if warned is not None else {}),
        }
        entries: list[dict[str, Any]] = self._control("GET", "journal?" + urllib.parse.urlencode(query))[
            "data"
        ]
        return entries

    def fault(
        self,
        fault: int | str,
        count: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` matching requests with a gateway fault: a name of the spec's catalogue
        (`"balance"`, `"no-channel"`, …) or a status (429, 500, 502, 503)."""
        body: dict[str, Any] = {"status": fault} if isinstance(fault, int) else {"fault": fault}
        body["count"] = count
        if retry_after is not None:
            body["retry_after"] = retry_after
        if method:
            body["method"] = method
        if path_prefix:
            body["path_prefix"] = path_prefix
        self._control("POST", "faults", body)
