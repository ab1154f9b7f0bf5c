"""The URL map (moto's `urls`): which path and method go to which handler, and create_app().

The app is Starlette's Router under a thin class of our own, not a `Starlette()` application:
every handler already turns errors into the gateway's JSON (endpoint.py), so Starlette's
ServerErrorMiddleware, ExceptionMiddleware and per-route exception wrapper would only add three
Python frames to every send (the profile in bench/NOTES.md).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.convertors import StringConvertor, register_url_convertor
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from . import ids
from .config import MockConfig
from .endpoint import HEADER_MAP
from .errors import ApiError, error_response
from .handlers import apimart, control, metadata, videos
from .journal import HEADER_BYTES, header_bytes
from .state import MockState

log = logging.getLogger("aihubmix_mock")

#: A route's handler for one method.
Endpoint = Callable[[Request], Awaitable[Response]]


def _dialect(path: str) -> str:
    if path.startswith("/__mock"):
        return "control"
    if path.startswith(("/v1/tasks", "/v1/videos/generations", "/apimart/")):
        return "apimart"
    return "aihubmix"


def _error(scope: Scope, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """An error outside any handler (no route, wrong method, a bug), in the path's dialect."""
    dialect = _dialect(scope.get("path", ""))
    request_id = None
    if dialect != "control":
        request_id = ids.request_id(scope["app"].mock.clock.now(), dialect)
    return error_response(ApiError(status, message, headers=headers), dialect, request_id)


def _journaled(scope: Scope, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """`_error` for a request no route or method serves, kept in the journal like any other: those
    are the calls a newer client makes to routes the API lacks."""
    if not scope["path"].startswith("/__mock"):
        mock = scope["app"].mock
        mock.journal.record(mock.clock.now(), scope, None, None, status)
    return _error(scope, status, message, headers)


class Dispatch:
    """One path's handlers by method, as a plain ASGI app: a wrong method gets 405 with the full
    `Allow` list, and `/v1/videos/generations` is never read as a video id."""

    def __init__(self, handlers: dict[str, Endpoint]) -> None:
        self.table = {method.upper(): fn for method, fn in handlers.items()}
        if "GET" in self.table:
            self.table["HEAD"] = self.table["GET"]
        self.allow = ", ".join(sorted(self.table))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        handler = self.table.get(scope["method"])
        if handler is None:
            response = _journaled(
                scope,
                405,
                f"method {scope['method']} is not allowed on {scope['path']}",
                {"Allow": self.allow},
            )
        else:
            response = await handler(request)
        await response(scope, receive, send)


class SegmentConvertor(StringConvertor):
    """A path segment, like Starlette's `str`, but matched possessively (`[^/]++`, Python 3.11):
    a path that does not fit the route fails at once instead of backtracking through the whole
    id (a download's path was tried against the poll route first, and paid for it)."""

    regex = "[^/]++"


register_url_convertor("segment", SegmentConvertor())


def _route(path: str, **handlers: Endpoint) -> Route:
    # methods=None: every method reaches Dispatch, which answers 405 itself (even for QUERY & co.)
    return Route(path, Dispatch(handlers), methods=None)


ROUTES = [
    # Most used first: the router tries them in order. /v1/videos/generations (APIMart) must come
    # before /v1/videos/{video_id}, or it would be read as a video id.
    _route("/v1/videos/generations", post=apimart.create_generation),
    _route("/v1/videos/{video_id:segment}", get=videos.retrieve_video, delete=videos.delete_video),
    _route("/v1/videos/{video_id:segment}/content", get=videos.download_content),
    _route("/v1/videos", post=videos.create_video, get=videos.list_videos),
    _route("/v1/videos/{video_id:segment}/remix", post=videos.remix_video),
    _route("/v1/tasks/{task_id:segment}", get=apimart.get_task),
    _route("/apimart/files/{task_id}.mp4", get=apimart.task_file),
    # the vendor's free metadata, derived from the spec (openapi/metadata.yaml): no key
    _route("/api/v1/models", get=metadata.list_models),
    _route("/v1/models", get=metadata.list_openai_models),
    _route("/call/schema/models/{model:path}/endpoints", get=metadata.model_endpoints),
    # control plane (openapi/control-plane.yaml)
    _route("/__mock/health", get=control.health),
    _route("/__mock/reset", post=control.reset),
    _route("/__mock/clock/advance", post=control.advance_clock),
    _route("/__mock/seed", post=control.seed),
    _route("/__mock/jobs/{job_id:segment}", get=control.inspect_job),
    _route("/__mock/jobs/{job_id:segment}/advance", post=control.advance_job),
    _route("/__mock/faults", post=control.add_fault, delete=control.clear_faults),
    _route("/__mock/journal", get=control.journal, delete=control.clear_journal),
    _route("/__mock/openapi/{name}", get=control.serve_spec),
]


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        message = f"no route for {scope['method']} {scope['path']}"
        if scope["path"].startswith(("/videos", "/tasks")):  # a base URL without /v1
            message += f"; did you mean /v1{scope['path']}? (the base URL for openai-python ends in /v1)"
        await _journaled(scope, 404, message)(scope, receive, send)


def _host_name(value: bytes) -> str:
    """The name in a Host header, without the port (IPv6 literals keep their brackets)."""
    text = value.decode("latin-1").strip().lower()
    if text.startswith("["):
        return text.partition("]")[0] + "]"
    return text.rpartition(":")[0] if text.count(":") == 1 else text


class Guard:
    """What every request passes before a route: header limits (431), the Host check against DNS
    rebinding, and for the control plane the cross-site checks and the optional control key.
    Written once here, for all /__mock routes, rather than in each handler."""

    def __init__(self, config: MockConfig) -> None:
        self.max_headers = config.max_headers
        self.max_header_bytes = config.max_header_bytes
        self.hosts: set[str] | None = None
        if config.allowed_hosts:
            self.hosts = {h.lower() for h in config.allowed_hosts}
            self.hosts |= {f"[{h}]" for h in self.hosts if ":" in h and not h.startswith("[")}
        self.control_key = config.control_key.encode() if config.control_key else None
        self.seen: set[bytes] = set()  # raw Host values already accepted

    def __call__(self, scope: Scope) -> Response | None:
        headers = scope["headers"]
        if len(headers) > self.max_headers:
            return _error(
                scope,
                431,
                f"{len(headers)} request headers: the mock takes at most {self.max_headers}",
                {"Connection": "close"},
            )
        size = header_bytes(headers)
        scope[HEADER_BYTES] = size  # the journal's size estimate reuses it
        if size > self.max_header_bytes:
            return _error(
                scope,
                431,
                f"request headers of {size} bytes: the mock takes at most {self.max_header_bytes}",
                {"Connection": "close"},
            )
        path = scope["path"]
        if self.hosts is None and not path.startswith("/__mock"):
            return None
        if not path.startswith("/__mock"):  # the hot path: only the Host matters
            by_name = scope[HEADER_MAP] = dict(headers)  # the endpoint's look-ups reuse it
            host = by_name.get(b"host", b"")
            if host in self.seen:
                return None
            assert self.hosts is not None  # None returned above for every path but /__mock
            if _host_name(host) not in self.hosts:
                return self.wrong_host(scope, host)
            if len(self.seen) < 64:
                self.seen.add(host)  # the few Host values clients send, as they arrive
            return None
        found = {
            name: value
            for name, value in headers
            if name in (b"host", b"origin", b"sec-fetch-site", b"x-mock-control-key")
        }
        host = found.get(b"host", b"")
        if self.hosts is not None and _host_name(host) not in self.hosts:
            return self.wrong_host(scope, host)
        return self.control(scope, found, host, path)

    def wrong_host(self, scope: Scope, host: bytes) -> Response:
        assert self.hosts is not None
        return _error(
            scope,
            403,
            f"Host {host.decode('latin-1')[:100]!r} is not served here (a guard against DNS "
            f"rebinding): use one of {', '.join(sorted(self.hosts))}, or start the mock with "
            "--allowed-host NAME",
        )

    def control(self, scope: Scope, found: dict[bytes, bytes], host: bytes, path: str) -> Response | None:
        site = found.get(b"sec-fetch-site")
        origin = found.get(b"origin")
        if site in (b"cross-site", b"same-site") or (
            origin is not None and origin.partition(b"://")[2].lower() != host.lower()
        ):
            return _error(
                scope,
                403,
                "the control plane refuses requests from web pages of other sites (Origin or "
                "Sec-Fetch-Site says cross-site); call it from a test or a terminal",
            )
        if self.control_key is not None and path != "/__mock/health":  # health stays open for probes
            given = found.get(b"x-mock-control-key", b"")
            if not hmac.compare_digest(given, self.control_key):
                return _error(
                    scope,
                    401,
                    "the control plane needs the key the mock was started with (--control-key): "
                    "send it in X-Mock-Control-Key",
                )
        return None


class MockApp:
    """The ASGI app: `app.state.mock` holds the server's state (store, clock, journal, …)."""

    def __init__(self, config: MockConfig) -> None:
        self.state = State()
        self.state.mock = self.mock = MockState(config)  # `mock` saves the hot path State's __getattr__
        self.guard = Guard(config)
        self.router = Router(routes=ROUTES, default=_not_found, redirect_slashes=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if scope["type"] == "websocket":  # no route speaks WebSocket: refuse the upgrade (403)
            await send(
                {"type": "websocket.close", "code": 1008, "reason": "the mock has no WebSocket routes"}
            )
            return
        if scope["type"] == "http":
            refused = self.guard(scope)
            if refused is not None:
                await refused(scope, receive, send)
                return
        try:
            await self.router(scope, receive, send)
        except HTTPException as exc:  # from Starlette's own machinery, e.g. a malformed request
            await _error(scope, exc.status_code, str(exc.detail), exc.headers)(scope, receive, send)
        except Exception:  # a bug in the mock must still answer, and say so
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if scope["type"] == "http":
                await _error(scope, 500, "internal error in the mock (a bug: please report it)")(
                    scope, receive, send
                )


def create_app(config: MockConfig | None = None, **overrides: Any) -> MockApp:
    """A fresh mock: `create_app(job_seconds=0)` or `create_app(MockConfig(...))`."""
    if config is None:
        config = MockConfig(**overrides)
    elif overrides:
        raise TypeError("pass either a MockConfig or keyword overrides, not both")
    return MockApp(config)
