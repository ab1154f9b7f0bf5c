"""The socket side of `aihubmix-mock serve`: uvicorn's httptools protocol with the limits it lacks.

uvicorn times out only idle keep-alive connections. This subclass also
- closes a connection that has not finished its request headers `header_timeout` seconds after
  they began (slow headers: 408, then close), and one whose headers are still incomplete after
  `max_incomplete_header_bytes` (431, then close; the app checks the exact header limits);
- gives a fresh connection that sends nothing the same idle timeout as one between requests;
- under pressure (connections at `shed_at` or more), closes idle keep-alive connections when a new
  one arrives, so idle sockets cannot lock out the clients that have requests to send.
Stalled request bodies are timed out in the app (bodies.read_raw), where the body is read.
"""

from __future__ import annotations

import asyncio

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _raw_response(status: int, reason: str, message: str) -> bytes:
    body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                   "code": reason.lower().replace(" ", "_")}, "type": "error"})
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode() + body


class GuardedProtocol(HttpToolsProtocol):
    header_timeout: float = 10.0
    max_incomplete_header_bytes: int = 256 * 1024
    shed_at: int | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.shed_at is not None and len(self.connections) >= self.shed_at:
            self._shed_idle()
        # A connection that never sends a request is idle too: the keep-alive timeout closes it.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def _shed_idle(self) -> None:
        for other in list(self.connections):
            if other is not self and getattr(other, "timeout_keep_alive_task", None) is not None:
                other.timeout_keep_alive_task.cancel()
                other.timeout_keep_alive_task = None
                other.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        pass  # an Upgrade request is answered as plain HTTP (no WebSocket routes): nothing to warn about

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _refuse(self, status: int, reason: str, message: str) -> None:
        self._cancel_header_timer()
        if not self.transport.is_closing():
            self.transport.write(_raw_response(status, reason, message))
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(
            self.header_timeout, self._refuse, 408, "Request Timeout",
            f"the request headers were not complete within {self.header_timeout:g} s")

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_headers and self.parser is not None and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.max_incomplete_header_bytes:
                self._refuse(431, "Request Header Fields Too Large",
                             f"request headers larger than {self.max_incomplete_header_bytes} bytes")


def protocol_class(header_timeout: float, max_incomplete_header_bytes: int, shed_at: int | None) -> type:
    return type("MockHttpProtocol", (GuardedProtocol,), {
        "header_timeout": header_timeout, "max_incomplete_header_bytes": max_incomplete_header_bytes,
        "shed_at": shed_at})
