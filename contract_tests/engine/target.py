"""The server under test, as the suite sees it: a base URL, keys, a budget and a way to wait."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

KEY_A = "sk-contract-alice"
KEY_B = "sk-contract-bob"


@dataclass
class Budget:
    """Jobs the run may still create; None is unlimited. Shared by every test of the session.

    Every call that may create a job goes through here, whatever the server answers:
    - a planned billable call (`spend`) takes one job from the budget before it is sent;
    - a request that must be rejected is free, but a server that wrongly accepts it bills a job:
      `surprise` counts it, and `may_send_breaking` stops sending breaking requests for that rule
      and model after the first such acceptance.
    """

    left: int | None
    spent: int = 0
    #: jobs created by requests that should have been rejected (a lax server bills them anyway)
    unplanned: int = 0
    #: (rule, model) pairs a server accepted although they must be rejected
    accepted_breaking: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.limit = self.left  # the budget the run started with (None: unlimited)

    def allows(self, jobs: int) -> bool:
        return self.left is None or self.left >= jobs

    def spend(self, what: str, operation: str | None = None, model: str | None = None) -> None:
        from .outcomes import not_sent

        with self._lock:
            if self.left is not None and self.left <= 0:
                not_sent(
                    f"needs a billable job ({what}); the budget is spent: raise --max-billable-jobs",
                    operation=operation,
                    model=model,
                )
            if self.left is not None:
                self.left -= 1
            self.spent += 1

    def refund(self) -> None:
        """A reserved job the server did not create (it rejected the request)."""
        with self._lock:
            if self.left is not None:
                self.left += 1
            self.spent -= 1

    def surprise(self, rule: str | None, model: str | None) -> None:
        with self._lock:
            self.unplanned += 1
            self.accepted_breaking.add((rule, model))

    def may_send_breaking(self, rule: str | None, model: str | None) -> bool:
        return (rule, model) not in self.accepted_breaking


class Target:
    def __init__(
        self,
        base_url: str,
        client: Any,  # httpx.Client, or Starlette's TestClient (one) for the in-process mock
        key: str | None,
        key_2: str | None,
        *,
        budget: int | None,
        poll_interval: float,
        job_timeout: float,
        live: bool,
        label: str,
        app: Any = None,
    ) -> None:
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
        self._any_key: bool | None = None
        #: run-level time limit (monotonic seconds), None for none
        self.deadline: float | None = None
        #: retries of idempotent calls: attempts in all, and the longest Retry-After honoured
        self.max_attempts = 4
        self.max_retry_after = 30.0
        #: what the run has seen, for the checks that span exchanges (engine/conform): every job id it
        #: was given (-> the model asked), each key's deleted jobs, each finished job's content digest
        self.job_ids: dict[str, str] = {}
        self.deleted: dict[str | None, set[str]] = {}
        self.contents: dict[tuple[str, str], str] = {}
        #: APIMart tasks seen finished (-> the task as first seen so)
        self.finished_tasks: dict[str, dict] = {}

    @classmethod
    def asgi(cls, app: Any, budget: int | None) -> Target:
        from starlette.testclient import TestClient

        client = TestClient(app, base_url="http://mock.test", raise_server_exceptions=True)
        return cls(
            "http://mock.test",
            client,
            KEY_A,
            KEY_B,
            budget=budget,
            poll_interval=5.0,
            job_timeout=600.0,
            live=False,
            label="mock in-process (ASGI)",
            app=app,
        )

    @classmethod
    def remote(
        cls,
        base_url: str,
        key: str | None,
        key_2: str | None,
        *,
        budget: int | None,
        poll_interval: float | None,
        job_timeout: float | None,
        label: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Target:
        """`transport`: what sends (default httpx's; --record passes the proxy's tap)."""
        client = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=httpx.Timeout(60.0, connect=10.0), transport=transport
        )
        return cls(
            base_url,
            client,
            key,
            key_2,
            budget=budget,
            poll_interval=15.0 if poll_interval is None else poll_interval,
            job_timeout=600.0 if job_timeout is None else job_timeout,
            live=True,
            label=label or base_url,
        )

    def close(self) -> None:
        self.client.close()
        if getattr(self, "_session", None) is not None:
            self._session.close()

    # -- the control plane: present on the mock, absent in production --------------------------
    @property
    def has_control_plane(self) -> bool:
        if self._control is None:
            try:
                response = self._control_call("GET", "/__mock/health")
                self._control = response.status_code == 200 and response.json().get("status") == "ok"
            except (httpx.HTTPError, ValueError):
                self._control = False
        return self._control

    @property
    def accepts_any_key(self) -> bool:
        """A mock started without --key accepts every well-formed key (its health says `keys: any`):
        a check that a wrong key is refused cannot be made against it. Production lists its keys."""
        if self._any_key is None:
            self._any_key = False
            if self.has_control_plane:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    self._any_key = self._control_call("GET", "/__mock/health").json().get("keys") == "any"
        return self._any_key

    def _control_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A control-plane call through whatever network is in front of the mock. The mock's control
        plane never answers 429/503 itself, so such an answer (or a connection never made) came from
        the network and the call did not reach it: retried, a POST too. A GET is retried on any
        transport error."""
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if last or not (method == "GET" or never_sent):
                    raise
                continue
            if response.status_code in (429, 503) and not last:
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.has_control_plane:
            from .outcomes import not_checked

            not_checked("mock-only: the target has no control plane (/__mock), e.g. production")
        try:
            response = self._control_call(method, f"/__mock{path}", **kwargs)
        except httpx.TransportError as exc:
            from .outcomes import incident

            incident(
                f"transport error on the control plane {method} /__mock{path}: {type(exc).__name__}: {exc}"
            )
        if response.status_code in (429, 503):
            from .outcomes import incident

            incident(
                f"the control plane {method} /__mock{path} answered {response.status_code} after retries"
            )
        assert response.status_code < 400, response.text
        return response

    def require_key(self) -> str:
        if not self.key:
            from .outcomes import not_sent

            not_sent("needs an API key: pass --api-key or set AIHUBMIX_API_KEY")
        return self.key

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def sleep(self, seconds: float) -> None:
        """Wait: on a target with a control plane the mock's clock moves, elsewhere real time passes
        (bounded by `max_retry_after`)."""
        seconds = max(0.0, min(float(seconds), self.max_retry_after))
        if seconds == 0:
            return
        if self.has_control_plane:
            self.control("POST", "/clock/advance", json={"seconds": seconds})
        else:
            time.sleep(seconds)

    def session(self):
        """A requests session for Schemathesis's calls, with the suite's retry policy: GET, HEAD and
        DELETE retried on dropped connections and on 429/503 after their Retry-After (bounded);
        never a POST that may have reached the server."""
        if getattr(self, "_session", None) is None:
            import requests
            from requests.adapters import HTTPAdapter
            from urllib3.util.retry import Retry

            target = self

            class BoundedRetry(Retry):
                def get_retry_after(self, response):
                    seconds = super().get_retry_after(response)
                    return None if seconds is None else min(seconds, target.max_retry_after)

                def sleep_for_retry(self, response):
                    seconds = self.get_retry_after(response) if response is not None else None
                    if seconds:
                        target.sleep(seconds)
                        return True
                    return False

            retry = BoundedRetry(
                total=self.max_attempts - 1,
                connect=self.max_attempts - 1,
                read=self.max_attempts - 1,
                status=self.max_attempts - 1,
                other=0,
                allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
                status_forcelist=(429, 503),
                respect_retry_after_header=True,
                raise_on_status=False,
                backoff_factor=0,
            )
            session = requests.Session()
            session.mount("http://", HTTPAdapter(max_retries=retry))
            session.mount("https://", HTTPAdapter(max_retries=retry))
            self._session = session
        return self._session

    def retry_after(self, response: httpx.Response) -> float:
        try:
            return min(float(response.headers.get("retry-after", "1")), self.max_retry_after)
        except ValueError:
            return 1.0

    def pause(self) -> float:
        """Wait one poll interval: virtual time on the mock, real time elsewhere. Returns the seconds."""
        if self.has_control_plane:
            self.control("POST", "/clock/advance", json={"seconds": self.poll_interval})
        else:
            time.sleep(self.poll_interval)
        return self.poll_interval
