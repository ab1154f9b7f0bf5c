"""The URL map (moto's `urls`): which path and method go to which handler, and create_app()."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .config import MockConfig
from .handlers import apimart, control, videos
from .state import MockState

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def _route(path: str, **handlers) -> Route:
    """One route per path that takes every method, so `/v1/videos/generations` is never read as a
    video id, and a wrong method gets 405 with the full `Allow` list."""
    table = {method.upper(): fn for method, fn in handlers.items()}
    if "GET" in table:
        table["HEAD"] = table["GET"]
    allow = ", ".join(sorted(table))

    async def dispatch(request: Request):
        handler = table.get(request.method)
        if handler is None:
            raise HTTPException(405, headers={"Allow": allow})
        return await handler(request)

    return Route(path, dispatch, methods=ALL_METHODS)


ROUTES = [
    # APIMart (seed 004) first: /v1/videos/generations must not be taken for a video id
    _route("/v1/videos/generations", post=apimart.create_generation),
    _route("/v1/tasks/{task_id}", get=apimart.get_task),
    _route("/apimart/files/{task_id}.mp4", get=apimart.task_file),
    # AIHubMix (seeds 000-003)
    _route("/v1/videos", post=videos.create_video, get=videos.list_videos),
    _route("/v1/videos/{video_id}", get=videos.retrieve_video, delete=videos.delete_video),
    _route("/v1/videos/{video_id}/content", get=videos.download_content),
    _route("/v1/videos/{video_id}/remix", post=videos.remix_video),
    # control plane (openapi/control-plane.yaml)
    _route("/__mock/health", get=control.health),
    _route("/__mock/reset", post=control.reset),
    _route("/__mock/clock/advance", post=control.advance_clock),
    _route("/__mock/jobs/{job_id}", get=control.inspect_job),
    _route("/__mock/jobs/{job_id}/advance", post=control.advance_job),
    _route("/__mock/faults", post=control.add_fault, delete=control.clear_faults),
    _route("/__mock/journal", get=control.journal, delete=control.clear_journal),
    _route("/__mock/openapi/{name}", get=control.serve_spec),
]


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Unknown paths and wrong methods answer in the gateway's JSON error shape too."""
    messages = {404: f"no route for {request.method} {request.url.path}",
                405: f"method {request.method} is not allowed on {request.url.path}"}
    body = {"error": {"message": messages.get(exc.status_code, str(exc.detail)), "type": "invalid_request_error",
                      "param": None, "code": "not_found" if exc.status_code == 404 else "method_not_allowed"},
            "type": "error"}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def create_app(config: MockConfig | None = None, **overrides) -> Starlette:
    """A fresh mock: `create_app(job_seconds=0)` or `create_app(MockConfig(...))`."""
    if config is None:
        config = MockConfig(**overrides)
    elif overrides:
        raise TypeError("pass either a MockConfig or keyword overrides, not both")
    app = Starlette(routes=ROUTES, exception_handlers={HTTPException: http_error})
    app.state.mock = MockState(config)
    return app
