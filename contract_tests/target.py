"""The server under test, as the suite sees it: a base URL, keys, a budget and a way to wait."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

KEY_A = "sk-contract-alice"
KEY_B = "sk-contract-bob"


@dataclass
class Budget:
    """Jobs the run may still create; None is unlimited. Shared by every test of the session."""

    left: int | None
    spent: int = 0
    #: jobs created by requests that should have been rejected (a lax server bills them anyway)
    unplanned: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allows(self, jobs: int) -> bool:
        return self.left is None or self.left >= jobs

    def spend(self, what: str) -> None:
        with self._lock:
            if self.left is not None and self.left <= 0:
                pytest.skip(f"needs a billable job ({what}); the budget is spent: raise --max-billable-jobs")
            if self.left is not None:
                self.left -= 1
            self.spent += 1


class Target:
    def __init__(self, base_url: str, client: httpx.Client, key: str | None, key_2: str | None, *,
                 budget: int | None, poll_interval: float, job_timeout: float, live: bool, label: str,
                 app: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.key = key
        self.key_2 = key_2
        self.budget = Budget(budget)
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.live = live
        self.label = label
        self.app = app
        self._control: bool | None = None

    @classmethod
    def asgi(cls, app: Any, budget: int | None) -> Target:
        from starlette.testclient import TestClient

        client = TestClient(app, base_url="http://mock.test", raise_server_exceptions=True)
        return cls("http://mock.test", client, KEY_A, KEY_B, budget=budget, poll_interval=5.0,
                   job_timeout=600.0, live=False, label="mock in-process (ASGI)", app=app)

    @classmethod
    def remote(cls, base_url: str, key: str | None, key_2: str | None, *, budget: int | None,
               poll_interval: float | None, job_timeout: float | None, label: str | None = None) -> Target:
        client = httpx.Client(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(60.0, connect=10.0))
        return cls(base_url, client, key, key_2, budget=budget,
                   poll_interval=15.0 if poll_interval is None else poll_interval,
                   job_timeout=600.0 if job_timeout is None else job_timeout, live=True,
                   label=label or base_url)

    def close(self) -> None:
        self.client.close()

    # -- the control plane: present on the mock, absent in production --------------------------
    @property
    def has_control_plane(self) -> bool:
        if self._control is None:
            try:
                response = self.client.get("/__mock/health")
                self._control = response.status_code == 200 and response.json().get("status") == "ok"
            except (httpx.HTTPError, ValueError):
                self._control = False
        return self._control

    def control(self, method: str, path: str, **kwargs) -> httpx.Response:
        if not self.has_control_plane:
            pytest.skip("mock-only: the target has no control plane (/__mock)")
        response = self.client.request(method, f"/__mock{path}", **kwargs)
        assert response.status_code < 400, response.text
        return response

    def require_key(self) -> str:
        if not self.key:
            pytest.skip("needs an API key: pass --api-key or set AIHUBMIX_API_KEY")
        return self.key

    def pause(self) -> float:
        """Wait one poll interval: virtual time on the mock, real time elsewhere. Returns the seconds."""
        if self.has_control_plane:
            self.control("POST", "/clock/advance", json={"seconds": self.poll_interval})
        else:
            time.sleep(self.poll_interval)
        return self.poll_interval
