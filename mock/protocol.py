"""The socket side of `aihubmix-mock serve`: uvicorn's httptools protocol with the limits it lacks.

uvicorn times out only idle keep-alive connections. This subclass also
- closes a connection that has not finished its request headers `header_timeout` seconds after
  they began (slow headers: 408, then close; checked once a second for all connections), and one whose headers are still incomplete after
  `max_incomplete_header_bytes` (431, then close; the app checks the exact header limits);
- gives a fresh connection that sends nothing the same idle timeout as one between requests;
- under pressure (connections at `shed_at` or more), closes idle keep-alive connections when a new
  one arrives, so idle sockets cannot lock out the clients that have requests to send.
- closes a connection whose request body has stalled `body_timeout` seconds (408; the app also
  times out later chunks itself, for other servers and in-process use).
Both timeouts are checked once a second for all connections: no timer per request on the hot path.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .errors import ApiError


def _raw_response(status: int, reason: str, message: str) -> bytes:
    # Written at the socket, before any route: in the AIHubMix gateway's shape (message only).
    body = orjson.dumps(ApiError(status, message).body("aihubmix"))
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode() + body


class GuardedProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_incomplete_header_bytes: int = 256 * 1024
    shed_at: int | None = None
    #: One watcher per server checks slow headers once a second: no timer per request on the hot path.
    _watchers: ClassVar[dict[int, asyncio.TimerHandle]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._headers_since: float | None = None  # loop time the current request's headers began
        self._header_bytes = 0
        self._last_data = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.shed_at is not None and len(self.connections) >= self.shed_at:
            self._shed_idle()
        # A connection that never sends a request is idle too: the keep-alive timeout closes it.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
        key = id(self.connections)
        if key not in self._watchers:
            self._watchers[key] = self.loop.call_later(1.0, self._watch, self.connections, key)

    def _watch(self, connections: set[Any], key: int) -> None:
        now = self.loop.time()
        for conn in list(connections):
            since = getattr(conn, "_headers_since", None)
            if since is not None and now - since > conn.header_timeout:
                conn._refuse(
                    408,
                    "Request Timeout",
                    f"the request headers were not complete within {conn.header_timeout:g} s",
                )
                continue
            cycle = getattr(conn, "cycle", None)
            if (
                cycle is not None
                and cycle.more_body
                and not cycle.response_started
                and not conn.flow.read_paused
                and now - conn._last_data > conn.body_timeout
            ):
                conn._refuse(
                    408, "Request Timeout", f"the request body stalled: no data for {conn.body_timeout:g} s"
                )
        self._watchers[key] = self.loop.call_later(1.0, self._watch, connections, key)

    def _shed_idle(self) -> None:
        for other in list(self.connections):
            task = getattr(other, "timeout_keep_alive_task", None)
            if other is not self and task is not None:
                task.cancel()
                setattr(other, "timeout_keep_alive_task", None)  # noqa: B010 (any protocol uvicorn holds)
                other.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        pass  # an Upgrade request is answered as plain HTTP (no WebSocket routes): nothing to warn about

    def _refuse(self, status: int, reason: str, message: str) -> None:
        self._headers_since = None
        if not self.transport.is_closing():
            self.transport.write(_raw_response(status, reason, message))
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_since = self.loop.time()
        self._header_bytes = 0

    def on_headers_complete(self) -> None:
        self._headers_since = None
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        self._last_data = self.loop.time()
        super().data_received(data)
        if self._headers_since is not None and self.parser is not None:
            self._header_bytes += len(data)
            if self._header_bytes > self.max_incomplete_header_bytes:
                self._refuse(
                    431,
                    "Request Header Fields Too Large",
                    f"request headers larger than {self.max_incomplete_header_bytes} bytes",
                )


def protocol_class(
    header_timeout: float, body_timeout: float, max_incomplete_header_bytes: int, shed_at: int | None
) -> type:
    return type(
        "MockHttpProtocol",
        (GuardedProtocol,),
        {
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "max_incomplete_header_bytes": max_incomplete_header_bytes,
            "shed_at": shed_at,
        },
    )
