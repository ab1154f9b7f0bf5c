"""A small client for the video API that records every exchange, so a failing test can say in the
drift report what it sent and what came back."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
from collections.abc import Iterator, MutableSequence, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from .outcomes import incident, not_checked, not_sent
from .target import Target

if TYPE_CHECKING:
    from .conform import Problem

OPERATIONS = [
    ("POST", r"^/v1/videos$", "createVideo"),
    ("GET", r"^/v1/videos$", "listVideos"),
    ("POST", r"^/v1/videos/generations$", "apimartCreateGeneration"),
    ("GET", r"^/v1/videos/[^/]+$", "retrieveVideo"),
    ("DELETE", r"^/v1/videos/[^/]+$", "deleteVideo"),
    ("GET", r"^/v1/videos/[^/]+/content$", "downloadVideoContent"),
    ("POST", r"^/v1/videos/[^/]+/remix$", "remixVideo"),
    ("GET", r"^/v1/tasks/[^/]+$", "apimartGetTask"),
]
#: orders exchanges across clients (and Schemathesis's), so the one that failed is the last
SEQUENCE = itertools.count()
#: operations whose success creates a job somebody pays for
BILLABLE_OPERATIONS = {"createVideo", "remixVideo", "apimartCreateGeneration"}


def operation_of(method: str, path: str) -> str:
    """The spec's operationId of a request, from its own method and path."""
    path = path.split("?")[0]
    for verb, pattern, name in OPERATIONS:
        if verb == method.upper() and re.match(pattern, path):
            return name
    return f"{method.upper()} {path}"


def incident_reason(status: int, text: str) -> str | None:
    """Why an answer is the gateway's state rather than the API's contract, or None.

    Classified by status and message text (production's errors carry no `code`): balance, a model the
    key may not use, throttling, outages and gateway errors. Such answers say nothing about drift.
    """
    low = text.lower()
    if status == 403 and ("balance" in low or "quota" in low):
        return "the key's balance ran out (403)"
    if status == 403 and ("permission" in low or "not allowed" in low or "not authorized" in low):
        return "the key may not use this model (403)"
    if status == 429:
        return "throttled (429)"
    if status == 503 and "incorrect model id" in low:
        return "the model id is unknown to the gateway or not permitted for the key (503)"
    if status == 503:
        return "service unavailable or rate limited by the provider (503)"
    if status in (502, 504):
        return f"gateway error ({status})"
    if status == 500 and ("channel" in low or "upstream" in low):
        return "no channel available for the model (500)"
    return None


TERMINAL = ("completed", "failed")


def known_statuses() -> list[str]:
    from .generate import schemas

    return schemas("aihubmix")["VideoStatus"]["enum"]


@dataclass
class Exchange:
    method: str
    path: str
    request: Any
    status: int | None
    response: Any
    model: str | None = None
    #: whether an Authorization header went with the request
    auth: bool = True
    #: a transport error instead of an answer
    error: str | None = None
    attempts: int = 1
    #: the test asked for this answer (a fault it injected): its status is no incident
    asked: bool = False
    seq: int = field(default_factory=lambda: next(SEQUENCE))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "operation": operation_of(self.method, self.path),
            "method": self.method,
            "path": self.path,
            "model": self.model,
            "authorization_sent": self.auth,
            "request": self.request,
            "status": self.status,
            "response": self.response,
            "error": self.error,
            "attempts": self.attempts,
            **({"asked_for": True} if self.asked else {}),
        }


def excerpt(content: bytes, ctype: str) -> Any:
    """A body as the report shows it: JSON as JSON, printable bytes as text (whatever the declared
    type), and only real binary as its size and first bytes in hex."""
    if "json" in ctype:
        try:
            return json.loads(content)
        except ValueError:
            pass
    try:
        text = content[:2000].decode("utf-8")
        if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text):
            return (
                text[:500]
                if not ctype.startswith(("video/", "image/"))
                else {"content-type": ctype, "bytes": len(content), "text": text[:300]}
            )
    except UnicodeDecodeError:
        pass
    return {"content-type": ctype, "bytes": len(content), "starts": content[:12].hex()}


def _excerpt(response: httpx.Response) -> Any:
    return excerpt(response.content, response.headers.get("content-type", ""))


def flatten(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Form fields as openai-python writes them: bracket notation for nesting, "true"/"false"."""
    out: list[tuple[str, str]] = []

    def walk(key: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{key}[{k}]", v)
        elif isinstance(value, list):
            for item in value:
                walk(f"{key}[]", item)
        elif isinstance(value, bool):
            out.append((key, "true" if value else "false"))
        elif value is not None:
            out.append((key, str(value)))

    for k, v in body.items():
        walk(k, v)
    return out


def multipart_body(body: dict[str, Any], files=None) -> tuple[bytes, str]:
    """multipart/form-data even without a file (as openai-python always sends)."""
    from urllib3 import encode_multipart_formdata

    fields: list[tuple[str, Any]] = list(flatten(body))
    fields += list(files or [])
    return encode_multipart_formdata(fields)


def _short(value: Any) -> Any:
    text = json.dumps(value, default=str)
    return value if len(text) <= 600 else text[:600] + "…"


@dataclass
class Api:
    target: Target
    #: never in a repr: pytest shows a failing test's arguments, and the key must not reach a log
    key: str | None = field(repr=False)
    log: list[Exchange] = field(default_factory=list)
    #: headers every request carries for now (see `sending`)
    extra: dict[str, str] = field(default_factory=dict)

    def headers(self, extra: dict[str, str] | None = None, auth: bool = True) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.key}"} if auth and self.key else {}
        out.update(self.extra)
        out.update(extra or {})
        return out

    @contextmanager
    def sending(self, headers: dict[str, str]) -> Iterator[Api]:
        """Every request inside the block carries these headers too (e.g. the mock's X-Mock-Rules)."""
        before = dict(self.extra)
        self.extra.update(headers)
        try:
            yield self
        finally:
            self.extra = before

    #: what the test is checking now: the report's `check`, and the rule it is about
    check: str | None = None
    rule: str | None = None

    def checking(self, check: str, rule: str | None = None) -> None:
        """Name what the next assertions check (the drift's identity in the report)."""
        self.check, self.rule = check, rule

    def send(
        self,
        method: str,
        path: str,
        *,
        model: str | None = None,
        record_body: Any = None,
        auth: bool = True,
        headers: dict[str, str] | None = None,
        faults: bool | frozenset[int] = False,
        **kwargs,
    ) -> httpx.Response:
        """One exchange, recorded. GET (and DELETE, idempotent by the spec) are retried on transport
        errors and on 429/503 after their Retry-After (bounded); a POST is retried only when the
        connection was never made, since a POST that reached the server may have billed a job.
        An answer that is the gateway's state (balance, throttling, outage) or a transport error that
        outlasts the retries ends the test as an `incident`, with this exchange. `faults=True` for a
        test that asks for such an answer on purpose (not retried, never an incident); `faults={429}`
        for one that asks for those statuses only (a 503 from the network in between is still retried)."""
        target = self.target
        if target.out_of_time():
            not_checked("the run's time limit (--max-run-seconds) was reached")
        if auth and not self.key and not (headers and "Authorization" in headers):
            # a call that needs the run's key, on a run without one: nothing is asked of the target
            not_sent(f"{method} {path} needs an API key: pass --api-key or set AIHUBMIX_API_KEY")
        idempotent = method.upper() in ("GET", "HEAD", "DELETE")
        sent = record_body if record_body is not None else kwargs.get("json")
        if model is None and isinstance(sent, dict) and isinstance(sent.get("model"), str):
            model = sent["model"]  # the model is the request's own
        body = _short(sent)
        sent_auth = bool(auth and self.key) or bool(headers and "Authorization" in headers)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = target.client.request(method, path, headers=self.headers(headers, auth), **kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if (idempotent or never_sent) and attempt < target.max_attempts and not target.out_of_time():
                    continue
                exchange = Exchange(
                    method, path, body, None, None, model, sent_auth, f"{type(exc).__name__}: {exc}", attempt
                )
                self.log.append(exchange)
                incident(
                    f"transport error on {method} {path} after {attempt} attempt(s): {type(exc).__name__}: {exc}",
                    exchange=exchange.as_dict(),
                )
            if (
                idempotent
                and not (faults is True or (faults and response.status_code in faults))
                and response.status_code in (429, 503)
                and attempt < target.max_attempts
                and not target.out_of_time()
            ):
                target.sleep(target.retry_after(response))
                continue
            break
        exchange = Exchange(
            method,
            path,
            body,
            response.status_code,
            _short(_excerpt(response)),
            model,
            sent_auth,
            None,
            attempt,
            asked=faults is True or (isinstance(faults, frozenset) and response.status_code in faults),
        )
        self.log.append(exchange)
        if not faults:
            reason = incident_reason(response.status_code, response.text[:2000])
            if reason is None and response.status_code == 401 and auth and self.key:
                reason = "the run's own key was rejected (401)"
            if reason:
                incident(f"{reason} on {method} {path}", exchange=exchange.as_dict())
        self._conforms(exchange, response)
        return response

    def _conforms(self, exchange: Exchange, response: httpx.Response) -> None:
        """Every answer against the spec's declaration for its operation and status (engine/conform)."""
        from . import conform

        ctype = response.headers.get("content-type", "")
        body, is_json = None, False
        if "json" in ctype:
            with contextlib.suppress(ValueError):
                body, is_json = response.json(), True
        operation = operation_of(exchange.method, exchange.path)
        self.fail_on(
            conform.exchange_problems(
                operation, response.status_code, response.headers, ctype, body, is_json, exchange.model
            )
        )

    def fail_on(self, problems: Sequence[Problem]) -> None:
        """Fail the test with the spec's findings (conform.Problem), named by the first one's check."""
        if problems:
            self.checking(problems[0].check, problems[0].rule)
            raise AssertionError("; ".join(p.message for p in problems))

    # -- operations --------------------------------------------------------------------------
    def create(
        self,
        body: dict[str, Any],
        *,
        files=None,
        multipart: bool = False,
        billable: bool = True,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> httpx.Response:
        """POST /v1/videos. `billable=False` for a request that must be rejected (free)."""
        if billable:
            self.target.budget.spend(f"create {body.get('model')}", "createVideo", body.get("model"))
        model = body.get("model") if isinstance(body, dict) else None
        # An incident (no answer, or the gateway's state) keeps a reserved job counted: billed or not,
        # the run cannot tell.
        if multipart or files:
            content, ctype = multipart_body(body, files)
            response = self.send(
                "POST",
                "/v1/videos",
                content=content,
                model=model,
                record_body=body,
                auth=auth,
                headers={**(headers or {}), "Content-Type": ctype},
            )
        else:
            response = self.send("POST", "/v1/videos", json=body, model=model, headers=headers, auth=auth)
        self._account(billable, response, model)
        self._echoes("aihubmix", body, response)
        return response

    def _echoes(self, spec: str, body: Any, response: httpx.Response) -> None:
        """An accepted create echoes what was asked, under an id no earlier job had (engine/conform)."""
        from . import conform

        if response.status_code == 200:
            self.fail_on(conform.echo_problems(spec, body, response.json(), self.target.job_ids))

    def _account(self, billable: bool, response: httpx.Response, model: str | None) -> None:
        if billable and response.status_code >= 400:
            self.target.budget.refund()
        if not billable and 200 <= response.status_code < 300:
            self.target.budget.surprise(self.rule, model)

    def create_ok(self, body: dict[str, Any], **kwargs) -> dict[str, Any]:
        response = self.create(body, **kwargs)
        assert response.status_code == 200, (
            f"create {body.get('model')} answered {response.status_code}: {response.text[:300]}"
        )
        return response.json()  # (its shape was checked where it was received: send)

    def get(self, video_id: str, **kwargs) -> httpx.Response:
        return self.send("GET", f"/v1/videos/{video_id}", **kwargs)

    def content(self, video_id: str, variant: str | None = None, **kwargs) -> httpx.Response:
        params = {"variant": variant} if variant else None
        response = self.send("GET", f"/v1/videos/{video_id}/content", params=params, **kwargs)
        if response.status_code == 200:  # a finished job's content stays the same
            digest = hashlib.sha256(response.content).hexdigest()
            first = self.target.contents.setdefault((video_id, variant or "video"), digest)
            if first != digest:
                self.checking("content")
                raise AssertionError(
                    f"the {variant or 'video'} content of {video_id} changed between two downloads "
                    "(a finished job stays the same)"
                )
        return response

    def delete(self, video_id: str, **kwargs) -> httpx.Response:
        from . import conform

        response = self.send("DELETE", f"/v1/videos/{video_id}", **kwargs)
        problem = conform.operation_problem(
            "deleteVideo", self.target.job_ids.get(video_id), response.status_code
        )
        self.fail_on([problem] if problem else [])
        if response.status_code == 200:
            self.target.deleted.setdefault(self.key, set()).add(video_id)
        return response

    def remix(self, video_id: str, prompt: str, billable: bool = True, **kwargs) -> httpx.Response:
        if billable:
            self.target.budget.spend("remix", "remixVideo")
        from . import conform

        response = self.send("POST", f"/v1/videos/{video_id}/remix", json={"prompt": prompt}, **kwargs)
        self._account(billable, response, None)
        problem = conform.operation_problem(
            "remixVideo", self.target.job_ids.get(video_id), response.status_code
        )
        self.fail_on([problem] if problem else [])
        self._echoes("remix", None, response)
        return response

    def list(self, **params) -> httpx.Response:
        """One page of this key's list, checked for the list's contract (engine/conform)."""
        from . import conform

        response = self.send("GET", "/v1/videos", params=params)
        if response.status_code == 200:
            deleted = self.target.deleted.get(self.key, set())
            self.fail_on(conform.list_problems(params, response.json(), deleted))
        return response

    def wait(self, video_id: str, *, history: MutableSequence[Any] | None = None) -> dict[str, Any]:
        """Poll until completed or failed; a job that never ends fails the test, it does not hang."""
        waited = 0.0
        while True:
            response = self.get(video_id)
            assert response.status_code == 200, (
                f"status poll answered {response.status_code}: {response.text[:300]}"
            )
            job = response.json()
            if history is not None:
                history.append(job)
            assert job.get("status") in known_statuses(), (
                f"unknown status {job.get('status')!r} for {video_id} (the spec allows {known_statuses()}); "
                "openai-python's poll helper stops on it"
            )
            if job.get("status") in TERMINAL:
                return self._stays_finished(job)
            if self.target.out_of_time():
                not_checked(
                    f"the run's time limit (--max-run-seconds) was reached while {video_id} was "
                    f"{job.get('status')!r}"
                )
            if waited >= self.target.job_timeout:
                pytest.fail(
                    f"job {video_id} did not finish within {self.target.job_timeout:.0f} s "
                    f"(last status {job.get('status')!r}, progress {job.get('progress')!r})"
                )
            waited += self.target.pause()

    def _stays_finished(self, job: dict[str, Any]) -> dict[str, Any]:
        """A finished job read once more: the same status and members (engine/conform)."""
        from . import conform

        check, rule = self.check, self.rule
        self.checking("lifecycle")
        again = self.get(job["id"])
        assert again.status_code == 200, (
            f"{job['id']} was {job['status']}; read again it answered {again.status_code}: {again.text[:300]}"
        )
        problem = conform.stays_finished(job, again.json())
        self.fail_on([problem] if problem else [])
        self.checking(check or "", rule)
        return job

    # -- APIMart ---------------------------------------------------------------------------------
    def apimart_create(self, body: dict[str, Any], billable: bool = True, **kwargs) -> httpx.Response:
        if billable:
            self.target.budget.spend(
                f"apimart {body.get('model')}", "apimartCreateGeneration", body.get("model")
            )
        response = self.send("POST", "/v1/videos/generations", json=body, model=body.get("model"), **kwargs)
        self._account(billable, response, body.get("model"))
        self._echoes("apimart", body, response)
        return response

    def apimart_task(self, task_id: str, **kwargs) -> httpx.Response:
        """A task; once it was seen finished, every later read must say the same (engine/conform)."""
        from . import conform

        response = self.send("GET", f"/v1/tasks/{task_id}", **kwargs)
        task = response.json().get("data") if response.status_code == 200 else None
        if isinstance(task, dict):
            first = self.target.finished_tasks.get(task_id)
            if first is not None:
                problem = conform.stays_finished(first, task, conform.TASK_STABLE)
                self.fail_on([problem] if problem else [])
            elif task.get("status") in conform.TASK_TERMINAL:
                self.target.finished_tasks[task_id] = task
        return response
