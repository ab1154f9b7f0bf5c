"""Deliberately drifted stand-ins for production: the real mock behind an ASGI layer that breaks one
thing each, the way a gateway release might. The contract suite must fail on every one of them
(with a readable report) and pass on the faithful mock.

    python -m tests.drift_standins rename_status --port 4011   # serve one, to point the suite at it
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aihubmix_mock import create_app
from contract_tests.engine.target import KEY_A, KEY_B

Json = Any


async def read_body(receive) -> bytes:
    """The whole request body, from an ASGI `receive`."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def replay(body: bytes):
    """An ASGI `receive` that hands the app `body` (read, and perhaps rewritten, before)."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class Rewrite:
    """ASGI middleware: optional request-body and response rewrites, for /v1 API paths only."""

    def __init__(
        self,
        app,
        *,
        request: Callable[[str, str, dict, bytes], tuple[dict, bytes]] | None = None,
        response: Callable[[str, str, int, dict, bytes], tuple[int, bytes]] | None = None,
    ) -> None:
        self.app = app
        self.on_request = request
        self.on_response = response
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        if self.on_request is not None:
            body = await read_body(receive)
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            headers, body = self.on_request(method, path, headers, body)
            headers["content-length"] = str(len(body))
            scope = {**scope, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
            receive = replay(body)

        if self.on_response is None:
            return await self.app(scope, receive, send)
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
                    status, out = self.on_response(method, path, start["status"], headers, b"".join(chunks))
                    headers["content-length"] = str(len(out))
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                        }
                    )
                    await send({"type": "http.response.body", "body": out})

        await self.app(scope, receive, capture)


def _json_response(edit: Callable[[str, str, int, Json], Json]):
    def on_response(method, path, status, headers, body):
        if "json" not in headers.get("content-type", ""):
            return status, body
        return status, json.dumps(edit(method, path, status, json.loads(body))).encode()

    return on_response


def _rename_status(method, path, status, data):
    """Kling's native 'succeed' leaks through instead of 'completed' (api-facts)."""
    if isinstance(data, dict) and data.get("status") == "completed":
        data["status"] = "succeed"
    return data


def _drop_progress(method, path, status, data):
    """Sora-shaped objects lose `progress`."""
    if isinstance(data, dict) and "seconds" in data and "size" in data:
        data.pop("progress", None)
    return data


def _loosen_seconds(method, path, headers, body):
    """Sora silently clamps any `seconds` to "4" instead of rejecting it."""
    if (
        method == "POST"
        and path == "/v1/videos"
        and headers.get("content-type", "").startswith("application/json")
    ):
        data = json.loads(body or b"null")
        if (
            isinstance(data, dict)
            and str(data.get("model", "")).startswith("sora")
            and data.get("seconds") not in (None, "4", "8", "12")
        ):
            data["seconds"] = "4"
            body = json.dumps(data).encode()
    return headers, body


def _not_mp4(method, path, status, headers, body):
    """The content endpoint serves an HTML error page labelled video/mp4."""
    if path.endswith("/content") and status in (200, 206):
        return status, b"<html><body>Video temporarily unavailable</body></html>"
    return status, body


def _forget_auth(method, path, headers, body):
    """A missing key is treated as the first key (auth not enforced)."""
    if "authorization" not in headers:
        headers["authorization"] = f"Bearer {KEY_A}"
    return headers, body


def _shared_tenancy(method, path, headers, body):
    """Every valid key sees the same jobs (no per-key isolation)."""
    if headers.get("authorization") == f"Bearer {KEY_B}":
        headers["authorization"] = f"Bearer {KEY_A}"
    return headers, body


def _plain_text_errors(method, path, status, headers, body):
    """Errors come back as plain text instead of the JSON error body."""
    if status >= 400:
        headers["content-type"] = "text/plain; charset=utf-8"
        return status, b"error"
    return status, body


def _lossy_wan_sizes(method, path, status, data):
    """Wan reports 1280x720 whatever size was asked for."""
    if isinstance(data, dict) and str(data.get("model", "")).startswith("wan") and "width" in data:
        data["width"], data["height"] = 1280, 720
    return data


# ------------------------------------------------------------------ the gateway's state, not drift
#: production's answer when a key's balance ran out (fixtures/production/samples.json AHM-06)
BALANCE_BODY = {
    "error": {
        "type": "Aihubmix_api_error",
        "message": "Your account balance is insufficient. "
        "Please recharge your account to continue using the API.",
    }
}
CREATES = (("POST", "/v1/videos"), ("POST", "/v1/videos/generations"))


class Intercept:
    """ASGI middleware: `answer(method, path, count, keyed)` may answer a /v1 request itself: a
    (status, headers, body) tuple, or "drop" to cut the connection after the headers (the client
    sees the server disconnect, as when a keep-alive connection drops). `count` numbers the
    requests of that method."""

    def __init__(self, app, answer) -> None:
        self.app = app
        self.answer = answer
        self.state = app.state
        self.counts: dict[str, int] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            return await self.app(scope, receive, send)
        method = scope["method"]
        self.counts[method] = self.counts.get(method, 0) + 1
        keyed = any(k.lower() == b"authorization" for k, _ in scope["headers"])
        verdict = self.answer(method, scope["path"], self.counts[method], keyed)
        if verdict is None:
            return await self.app(scope, receive, send)
        if verdict == "drop":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"id":', "more_body": True})
            raise ConnectionResetError("stand-in: connection dropped")
        status, headers, body = verdict
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (k.encode(), v.encode()) for k, v in {**headers, "content-length": str(len(body))}.items()
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _balance(method, path, count, keyed):
    """Every create with a key answers 403 with production's balance body: the key ran dry."""
    if keyed and ((method, path) in CREATES or (method == "POST" and path.endswith("/remix"))):
        return 403, {"content-type": "application/json"}, json.dumps(BALANCE_BODY).encode()
    return None


def _flaky(method, path, count, keyed):
    """1 read in 8 answers 503 with Retry-After: 0; another 1 in 8 drops the connection."""
    if method != "GET":
        return None
    if count % 8 == 3:
        body = {
            "error": {"message": "Rate limited by provider - try again later", "type": "Aihubmix_api_error"}
        }
        return 503, {"content-type": "application/json", "retry-after": "0"}, json.dumps(body).encode()
    if count % 8 == 7:
        return "drop"
    return None


_PORTRAIT = {"asked": False, "ids": set()}
VEO31_MODELS = ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview", "veo-3.1-lite-generate-preview")


def _veo_portrait_request(method, path, headers, body):
    """Notes whether a create asks for 9:16 by `aspect_ratio` (what AHM-17 describes; JSON or form)."""
    if (method, path) == ("POST", "/v1/videos"):
        _PORTRAIT["asked"] = b"aspect_ratio" in body and b"9:16" in body
    return headers, body


def _veo_portrait(method, path, status, data):
    """K-VEO-PORTRAIT (x-known-differences): Veo 3.1 asked for 9:16 by `aspect_ratio` reports
    1280x720, on create and on every later answer about that job (AHM-17). A portrait asked by
    pixel size alone is left alone: the evidence does not speak of it."""
    if not (
        isinstance(data, dict)
        and data.get("model") in VEO31_MODELS
        and isinstance(data.get("width"), int)
        and isinstance(data.get("height"), int)
        and data["height"] > data["width"]
    ):
        return data
    if (method, path) == ("POST", "/v1/videos") and _PORTRAIT["asked"]:
        _PORTRAIT["ids"].add(data.get("id"))
    if data.get("id") in _PORTRAIT["ids"]:
        data["width"], data["height"] = 1280, 720
    return data


def _lax(method, path, headers, body):
    """Every create is accepted: the body is replaced by a valid one for its model (each a billed job)."""
    if (method, path) not in CREATES:
        return headers, body
    try:
        data = json.loads(body or b"null")
    except ValueError:
        data = None
    model = data.get("model") if isinstance(data, dict) else None
    if path == "/v1/videos":
        data = dict(_AIHUBMIX_MINIMAL.get(model) or _AIHUBMIX_MINIMAL["sora-2"])
    else:
        data = {"model": "sora-2-preview", "prompt": "p"}
    headers = {k: v for k, v in headers.items() if k != "content-type"}
    headers["content-type"] = "application/json"
    return headers, json.dumps(data).encode()


def _minimal_requests() -> dict[str, dict]:
    from contract_tests.engine import generate

    return {
        model: generate.minimal("aihubmix", variant) | {"model": model}
        for model, variant in generate.variants("aihubmix", "CreateVideoRequest").items()
    }


_AIHUBMIX_MINIMAL: dict[str, dict] = {}


# ------------------------------------------------------------------ the blind spots' classes
def _is_video(data) -> bool:
    return isinstance(data, dict) and data.get("object") == "video"


def _millis(method, path, status, data):
    """Timestamps in milliseconds instead of unix seconds (a gateway release changing its clock)."""
    videos = data.get("data") if isinstance(data, dict) and data.get("object") == "list" else [data]
    for video in videos or []:
        if _is_video(video):
            for key in ("created_at", "created", "completed_at", "expires_at"):
                if isinstance(video.get(key), int):
                    video[key] *= 1000
    return data


def _short_lifetime(method, path, status, data):
    """Downloads expire one hour after completion, whatever the model's x-content-ttl-seconds says."""
    if (
        _is_video(data)
        and isinstance(data.get("completed_at"), int)
        and isinstance(data.get("expires_at"), int)
    ):
        data["expires_at"] = data["completed_at"] + 3600
    return data


def _apimart_task_shape(method, path, status, data):
    """APIMart's task answers `progress` as a percent string ("40%") instead of an integer."""
    if path.startswith("/v1/tasks/") and isinstance(data, dict) and isinstance(data.get("data"), dict):
        task = data["data"]
        if isinstance(task.get("progress"), int):
            task["progress"] = f"{task['progress']}%"
    return data


class OverLimit:
    """ASGI middleware: the list ignores `limit` and serves one job more than asked."""

    def __init__(self, app) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/v1/videos":
            from urllib.parse import parse_qsl, urlencode

            query = dict(parse_qsl(scope["query_string"].decode()))
            if query.get("limit", "").isdigit():
                query["limit"] = str(int(query["limit"]) + 1)
                scope = {**scope, "query_string": urlencode(query).encode()}
        return await self.app(scope, receive, send)


#: the one model a stand-in refuses a listed value for, and the value (sora-2-pro lists 1024x1792: D2)
REFUSED_FOR = ("sora-2-pro", "1024x1792")
_REFUSE = {"now": False}


def _refuse_one_model_value(method, path, headers, body):
    """sora-2-pro refuses a size it lists (sora-2 takes it): one model's value, not the value."""
    if (method, path) == ("POST", "/v1/videos"):
        model, value = (s.encode() for s in REFUSED_FOR)
        _REFUSE["now"] = (
            b'"' + model + b'"' in body or b"\r\n\r\n" + model + b"\r\n" in body
        ) and value in body
    return headers, body


def _refuse_one_model_value_answer(method, path, status, headers, body):
    if (method, path) == ("POST", "/v1/videos") and _REFUSE["now"]:
        _REFUSE["now"] = False
        error = {
            "error": {
                "message": f"size: {REFUSED_FOR[1]} is not supported by {REFUSED_FOR[0]}",
                "type": "invalid_request_error",
            }
        }
        headers["content-type"] = "application/json"
        return 400, json.dumps(error).encode()
    return status, body


_FINISHED: dict[str, int] = {}


def _unfinish(method, path, status, data):
    """A completed job, read again, is back to in_progress (an upstream retry the gateway exposes)."""
    if method == "GET" and _is_video(data) and data.get("status") == "completed" and path.count("/") == 3:
        seen = _FINISHED.get(data["id"], 0)
        _FINISHED[data["id"]] = seen + 1
        if seen:
            data["status"], data["progress"], data["completed_at"] = "in_progress", 90, None
    return data


def _failed_without_error(method, path, status, data):
    """Every finished job is reported failed, without its error object."""
    if method == "GET" and _is_video(data) and data.get("status") in ("completed", "failed"):
        data["status"] = "failed"
        data.pop("error", None)
    return data


def _no_request_id(method, path, status, headers, body):
    """Answers lose their `x-request-id` header."""
    headers.pop("x-request-id", None)
    return status, body


_SHARED: dict[str, dict] = {}


def _one_shared_job(method, path, status, data):
    """Every create is answered with the first job created (its model, its id), whatever was asked."""
    if (method, path) == ("POST", "/v1/videos") and status == 200 and _is_video(data):
        first = _SHARED.setdefault("job", dict(data))
        return dict(first)
    return data


_GONE: dict[str, dict] = {"jobs": {}, "deleted": {}}


def _deleted_still_listed(method, path, status, data):
    """A deleted job stays on its owner's list (first, as the newest), the page keeping its size."""
    if _is_video(data):
        _GONE["jobs"][data["id"]] = dict(data)
    elif method == "DELETE" and status == 200 and isinstance(data, dict) and data.get("deleted"):
        if data.get("id") in _GONE["jobs"]:
            _GONE["deleted"][data["id"]] = _GONE["jobs"][data["id"]]
    elif (method, path) == ("GET", "/v1/videos") and isinstance(data, dict) and _GONE["deleted"]:
        size = max(len(data["data"]), 1)
        data["data"] = (list(_GONE["deleted"].values()) + data["data"])[:size]
        data["first_id"], data["last_id"] = data["data"][0]["id"], data["data"][-1]["id"]
    return data


# ------------------------------------------------------------------ whole-server drifts (issue 22)
#: the one model and the two operations the `two_operations` stand-in serves
TWO_OPERATIONS_MODEL = "sora-2"
_ROUTE_404 = {"detail": "Not Found"}


def _model_of(headers: dict, body: bytes) -> str | None:
    """The `model` a create sends, from a JSON body or a multipart form field."""
    if headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return None
        return data.get("model") if isinstance(data, dict) else None
    found = re.search(rb'name="model"(?:\r\n[^\r\n]+)*\r\n\r\n([^\r\n]*)', body)
    return found.group(1).decode("utf-8", "replace") if found else None


class TwoOperations:
    """ASGI: a server written by someone else that implements create and retrieve for sora-2 only:
    every other route answers 404 `{"detail": "Not Found"}` (a web framework's default), a create
    for any other model 404 `{"error": {"message": "model ... not found"}}`."""

    def __init__(self, app) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        retrieve = method == "GET" and re.fullmatch(r"/v1/videos/[^/]+", path) is not None
        if retrieve:
            return await self.app(scope, receive, send)
        if (method, path) != ("POST", "/v1/videos"):
            return await _answer(send, 404, _ROUTE_404)
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        model = _model_of(headers, body)
        if model != TWO_OPERATIONS_MODEL:
            return await _answer(send, 404, {"error": {"message": f"model {model!r} not found"}})
        return await self.app(scope, replay(body), send)


async def _answer(send, status: int, data: Json) -> None:
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _static_examples() -> tuple[dict[str, Json], Json]:
    """Per operationId, the first example of its success response in the specs; and the one error
    example a static mock answers every refusal with (createVideo's first 400 example)."""
    from contract_tests.engine import generate

    success: dict[str, Json] = {}
    refusal: Json = None
    for name in ("aihubmix", "apimart"):
        for item in generate.document(name)["paths"].values():
            for op in item.values():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                for status, response in sorted(op.get("responses", {}).items()):
                    content = generate.resolve(name, response).get("content") or {}
                    examples = list((content.get("application/json") or {}).get("examples", {}).values())
                    if not examples:
                        continue
                    if status.startswith("2"):
                        success.setdefault(op["operationId"], examples[0]["value"])
                    elif status == "400" and refusal is None and op["operationId"] == "createVideo":
                        refusal = examples[0]["value"]
    return success, refusal


_STATIC: list = []


def _static(method, path, status, headers, body):
    """A static mock (Prism-style): the real mock decides accept or refuse; the answer is the spec's
    first example for that operation (any 2xx), or the same 400 example for every refusal. Answers
    with no JSON example in the spec (a video, a list) pass through."""
    from contract_tests.engine.api import operation_of

    if not _STATIC:
        _STATIC.extend(_static_examples())
    success, refusal = _STATIC
    if status >= 400:
        headers["content-type"] = "application/json"
        return 400, json.dumps(refusal).encode()
    example = success.get(operation_of(method, path))
    if example is None or "json" not in headers.get("content-type", ""):
        return status, body
    return status, json.dumps(example).encode()


def _spec_503(example: str) -> bytes:
    from contract_tests.engine import generate

    responses = generate.document("aihubmix")["components"]["responses"]
    return json.dumps(
        responses["ServiceUnavailable"]["content"]["application/json"]["examples"][example]["value"]
    ).encode()


def _unknown_model_as(example: str):
    """Production's way (AHM-07): a create naming an unknown model answers 503 with the spec's
    `example` body instead of the mock's 400 naming MODEL-KNOWN."""

    def on_response(method, path, status, headers, body):
        if (method, path) == ("POST", "/v1/videos") and status == 400 and b"MODEL-KNOWN" in body:
            return 503, _spec_503(example)
        return status, body

    return on_response


STANDINS: dict[str, dict] = {
    "faithful": {},
    "rename_status": {"response": _json_response(_rename_status)},
    "drop_field": {"response": _json_response(_drop_progress)},
    "loosen_rule": {"request": _loosen_seconds},
    "not_mp4": {"response": _not_mp4},
    "forget_auth": {"request": _forget_auth},
    "shared_tenancy": {"request": _shared_tenancy},
    "plain_text_errors": {"response": _plain_text_errors},
    "wrong_dimensions": {"response": _json_response(_lossy_wan_sizes)},
    "balance": {"answer": _balance},
    "flaky": {"answer": _flaky},
    "veo_portrait": {"request": _veo_portrait_request, "response": _json_response(_veo_portrait)},
    "lax": {"request": _lax},
    "two_operations": {"wrap": TwoOperations},
    "static_examples": {"response": _static},
    # K-UNKNOWN-MODEL-503 describes the first (known); the second is the gateway's state (incident)
    "unknown_model_503": {"response": _unknown_model_as("unknown_model")},
    "unknown_model_rate_limited": {"response": _unknown_model_as("provider_rate_limit")},
    "millis": {"response": _json_response(_millis)},
    "lifetime": {"response": _json_response(_short_lifetime)},
    "apimart_task_shape": {"response": _json_response(_apimart_task_shape)},
    "over_limit": {"wrap": OverLimit},
    "refuse_model_value": {"request": _refuse_one_model_value, "response": _refuse_one_model_value_answer},
    "unfinish": {"response": _json_response(_unfinish)},
    "failed_without_error": {"response": _json_response(_failed_without_error)},
    "no_request_id": {"response": _no_request_id},
    "shared_job": {"response": _json_response(_one_shared_job)},
    "deleted_listed": {"response": _json_response(_deleted_still_listed)},
}


def standin(name: str):
    """The mock (keys KEY_A and KEY_B, as the suite's targets) with one drift applied."""
    app = create_app(job_seconds=30, keys=[KEY_A, KEY_B])
    hooks = dict(STANDINS[name])
    if name == "lax" and not _AIHUBMIX_MINIMAL:
        _AIHUBMIX_MINIMAL.update(_minimal_requests())
    if "answer" in hooks:
        return Intercept(app, hooks.pop("answer"))
    if "wrap" in hooks:
        return hooks.pop("wrap")(app)
    return Rewrite(app, **hooks) if hooks else app


if __name__ == "__main__":
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="serve a drifted stand-in of the API")
    parser.add_argument("name", choices=sorted(STANDINS))
    parser.add_argument("--port", type=int, default=4011)
    args = parser.parse_args()
    uvicorn.run(standin(args.name), host="127.0.0.1", port=args.port, log_level="warning")
