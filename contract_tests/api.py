"""A small client for the video API that records every exchange, so a failing test can say in the
drift report what it sent and what came back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from .target import Target

TERMINAL = ("completed", "failed")


def known_statuses() -> list[str]:
    from .generate import schemas

    return schemas("aihubmix")["VideoStatus"]["enum"]


@dataclass
class Exchange:
    method: str
    path: str
    request: Any
    status: int
    response: Any
    model: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "request": self.request, "status": self.status,
                "response": self.response, "model": self.model}


def _excerpt(response: httpx.Response) -> Any:
    ctype = response.headers.get("content-type", "")
    if "json" in ctype:
        try:
            return response.json()
        except ValueError:
            pass
    if ctype.startswith(("video/", "image/")) or not ctype.startswith(("text", "application")):
        return {"content-type": ctype, "bytes": len(response.content), "starts": response.content[:12].hex()}
    return response.text[:500]


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
    key: str | None
    log: list[Exchange] = field(default_factory=list)

    def headers(self, extra: dict[str, str] | None = None, auth: bool = True) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.key}"} if auth and self.key else {}
        out.update(extra or {})
        return out

    def send(self, method: str, path: str, *, model: str | None = None, record_body: Any = None,
             auth: bool = True, headers: dict[str, str] | None = None, **kwargs) -> httpx.Response:
        response = self.target.client.request(method, path, headers=self.headers(headers, auth), **kwargs)
        self.log.append(Exchange(method, path, _short(record_body if record_body is not None else kwargs.get("json")),
                                 response.status_code, _short(_excerpt(response)), model))
        return response

    # -- operations --------------------------------------------------------------------------
    def create(self, body: dict[str, Any], *, files=None, multipart: bool = False, billable: bool = True,
               headers: dict[str, str] | None = None, auth: bool = True) -> httpx.Response:
        """POST /v1/videos. `billable=False` for a request that must be rejected (free)."""
        if billable:
            self.target.budget.spend(f"create {body.get('model')}")
        model = body.get("model") if isinstance(body, dict) else None
        if multipart or files:
            content, ctype = multipart_body(body, files)
            response = self.send("POST", "/v1/videos", content=content, model=model, record_body=body, auth=auth,
                                 headers={**(headers or {}), "Content-Type": ctype})
        else:
            response = self.send("POST", "/v1/videos", json=body, model=model, headers=headers, auth=auth)
        if not billable and response.status_code == 200:
            self.target.budget.unplanned += 1
        return response

    def create_ok(self, body: dict[str, Any], **kwargs) -> dict[str, Any]:
        response = self.create(body, **kwargs)
        assert response.status_code == 200, f"create {body.get('model')} answered {response.status_code}: {response.text[:300]}"
        return response.json()

    def get(self, video_id: str, **kwargs) -> httpx.Response:
        return self.send("GET", f"/v1/videos/{video_id}", **kwargs)

    def content(self, video_id: str, variant: str | None = None, **kwargs) -> httpx.Response:
        params = {"variant": variant} if variant else None
        return self.send("GET", f"/v1/videos/{video_id}/content", params=params, **kwargs)

    def delete(self, video_id: str, **kwargs) -> httpx.Response:
        return self.send("DELETE", f"/v1/videos/{video_id}", **kwargs)

    def remix(self, video_id: str, prompt: str, billable: bool = True, **kwargs) -> httpx.Response:
        if billable:
            self.target.budget.spend("remix")
        return self.send("POST", f"/v1/videos/{video_id}/remix", json={"prompt": prompt}, **kwargs)

    def list(self, **params) -> httpx.Response:
        return self.send("GET", "/v1/videos", params=params)

    def wait(self, video_id: str, *, history: list | None = None) -> dict[str, Any]:
        """Poll until completed or failed; a job that never ends fails the test, it does not hang."""
        waited = 0.0
        while True:
            response = self.get(video_id)
            assert response.status_code == 200, f"status poll answered {response.status_code}: {response.text[:300]}"
            job = response.json()
            if history is not None:
                history.append(job)
            assert job.get("status") in known_statuses(), (
                f"unknown status {job.get('status')!r} for {video_id} (the spec allows {known_statuses()}); "
                "openai-python's poll helper stops on it")
            if job.get("status") in TERMINAL:
                return job
            if waited >= self.target.job_timeout:
                pytest.fail(f"job {video_id} did not finish within {self.target.job_timeout:.0f} s "
                            f"(last status {job.get('status')!r}, progress {job.get('progress')!r})")
            waited += self.target.pause()

    # -- APIMart ---------------------------------------------------------------------------------
    def apimart_create(self, body: dict[str, Any], billable: bool = True, **kwargs) -> httpx.Response:
        if billable:
            self.target.budget.spend(f"apimart {body.get('model')}")
        response = self.send("POST", "/v1/videos/generations", json=body, model=body.get("model"), **kwargs)
        if not billable and response.status_code == 200:
            self.target.budget.unplanned += 1
        return response

    def apimart_task(self, task_id: str, **kwargs) -> httpx.Response:
        return self.send("GET", f"/v1/tasks/{task_id}", **kwargs)
