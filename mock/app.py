"""The URL map (moto's `urls`): which path and method go to which handler, and create_app().

The app is Starlette's Router under a thin class of our own, not a `Starlette()` application:
every handler already turns errors into the gateway's JSON (endpoint.py), so Starlette's
ServerErrorMiddleware, ExceptionMiddleware and per-route exception wrapper would only add three
Python frames to every send (the profile in bench/NOTES.md).
"""

from __future__ import annotations

import logging

from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from . import ids
from .config import MockConfig
from .errors import ApiError, error_response
from .handlers import apimart, control, metadata, videos
from .state import MockState

log = logging.getLogger("aihubmix_mock")


def _dialect(path: str) -> str:
    if path.startswith("/__mock"):
        return "control"
    if path.startswith(("/v1/tasks", "/v1/videos/generations", "/apimart/")):
        return "apimart"
    return "aihubmix"


def _error(scope: Scope, status: int, message: str, code: str, headers: dict | None = None) -> Response:
    """An error outside any handler (no route, wrong method, a bug), in the path's dialect."""
    dialect = _dialect(scope.get("path", ""))
    request_id = None
    if dialect != "control":
        request_id = ids.request_id(scope["app"].state.mock.clock.now(), dialect)
    return error_response(ApiError(status, message, code=code, headers=headers), dialect, request_id)


class Dispatch:
    """One path's handlers by method, as a plain ASGI app: a wrong method gets 405 with the full
    `Allow` list, and `/v1/videos/generations` is never read as a video id."""

    def __init__(self, handlers: dict) -> None:
        self.table = {method.upper(): fn for method, fn in handlers.items()}
        if "GET" in self.table:
            self.table["HEAD"] = self.table["GET"]
        self.allow = ", ".join(sorted(self.table))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        handler = self.table.get(scope["method"])
        if handler is None:
            response = _error(scope, 405, f"method {scope['method']} is not allowed on {scope['path']}",
                              "method_not_allowed", {"Allow": self.allow})
        else:
            response = await handler(request)
        await response(scope, receive, send)


def _route(path: str, **handlers) -> Route:
    # methods=None: every method reaches Dispatch, which answers 405 itself (even for QUERY & co.)
    return Route(path, Dispatch(handlers), methods=None)


ROUTES = [
    # Most used first: the router tries them in order. /v1/videos/generations (APIMart) must come
    # before /v1/videos/{video_id}, or it would be read as a video id.
    _route("/v1/videos/generations", post=apimart.create_generation),
    _route("/v1/videos/{video_id}", get=videos.retrieve_video, delete=videos.delete_video),
    _route("/v1/videos/{video_id}/content", get=videos.download_content),
    _route("/v1/videos", post=videos.create_video, get=videos.list_videos),
    _route("/v1/videos/{video_id}/remix", post=videos.remix_video),
    _route("/v1/tasks/{task_id}", get=apimart.get_task),
    _route("/apimart/files/{task_id}.mp4", get=apimart.task_file),
    # the vendor's free metadata, derived from the spec (openapi/metadata.yaml): no key
    _route("/api/v1/models", get=metadata.list_models),
    _route("/call/schema/models/{model:path}/endpoints", get=metadata.model_endpoints),
    # control plane (openapi/control-plane.yaml)
    _route("/__mock/health", get=control.health),
    _route("/__mock/reset", post=control.reset),
    _route("/__mock/clock/advance", post=control.advance_clock),
    _route("/__mock/seed", post=control.seed),
    _route("/__mock/jobs/{job_id}", get=control.inspect_job),
    _route("/__mock/jobs/{job_id}/advance", post=control.advance_job),
    _route("/__mock/faults", post=control.add_fault, delete=control.clear_faults),
    _route("/__mock/journal", get=control.journal, delete=control.clear_journal),
    _route("/__mock/openapi/{name}", get=control.serve_spec),
]


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        message = f"no route for {scope['method']} {scope['path']}"
        if scope["path"].startswith(("/videos", "/tasks")):  # a base URL without /v1
            message += f"; did you mean /v1{scope['path']}? (the base URL for openai-python ends in /v1)"
        await _error(scope, 404, message, "not_found")(scope, receive, send)


class MockApp:
    """The ASGI app: `app.state.mock` holds the server's state (store, clock, journal, …)."""

    def __init__(self, config: MockConfig) -> None:
        self.state = State()
        self.state.mock = MockState(config)
        self.router = Router(routes=ROUTES, default=_not_found, redirect_slashes=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:  # from Starlette's own machinery, e.g. a malformed request
            await _error(scope, exc.status_code, str(exc.detail), "invalid_request", exc.headers)(scope, receive, send)
        except Exception:  # a bug in the mock must still answer, and say so
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if scope["type"] == "http":
                await _error(scope, 500, "internal error in the mock (a bug: please report it)", "server_error")(
                    scope, receive, send)


def create_app(config: MockConfig | None = None, **overrides) -> MockApp:
    """A fresh mock: `create_app(job_seconds=0)` or `create_app(MockConfig(...))`."""
    if config is None:
        config = MockConfig(**overrides)
    elif overrides:
        raise TypeError("pass either a MockConfig or keyword overrides, not both")
    return MockApp(config)
