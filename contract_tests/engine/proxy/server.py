"""The validating, recording proxy: an ASGI app that forwards every request to the upstream and
every answer back unchanged and streamed (over httpcore, httpx's own transport layer: the proxy
needs none of httpx's URL, header and decoding work on its path, which cost most of its time) (status, headers, bytes: content-encoding untouched, the
MP4 included), and hands a copy of what passed to the session. Fail-open: nothing the session does
changes what the client gets. `/__proxy/report` (drift.md, or ?format=json) and `/__proxy/health`
are the proxy's own."""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

import httpcore
import httpx

from . import wire
from .judge import Seen, judge
from .mp4 import Mp4Probe
from .session import Session

#: bytes of a request or of a non-media answer kept for judging (the rest still passes, unjudged)
KEEP_BYTES = 8 * 1024 * 1024
MEDIA = ("video/", "image/", "audio/", "application/octet-stream", "application/binary")
HOP_BY_HOP_BYTES = frozenset(name.encode() for name in wire.HOP_BY_HOP)
#: what httpcore raises when the upstream cannot be reached or breaks off
UPSTREAM_ERRORS = (
    httpcore.NetworkError,
    httpcore.TimeoutException,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


def _decoded(data: bytes, encoding: str) -> bytes:
    """A copy of a compressed answer, decoded for judging (the client gets the original bytes)."""
    encoding = encoding.lower().strip()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(data)
        except zlib.error:
            return zlib.decompress(data, -zlib.MAX_WBITS)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]  # httpx[brotli]; absent: the answer is not judged

        return brotli.decompress(data)
    return data


class Observer:
    """Watches one answer's bytes go by: keeps a bounded copy of a JSON answer, probes media."""

    def __init__(self, seen: Seen) -> None:
        self.seen = seen
        ctype = seen.header("content-type").lower()
        self.media = ctype.startswith(MEDIA)
        self.probe = Mp4Probe() if self.media else None
        self.kept = bytearray()

    def feed(self, chunk: bytes) -> None:
        if self.probe is not None:
            self.probe.feed(chunk)
        elif len(self.kept) < KEEP_BYTES:
            self.kept += chunk[: KEEP_BYTES - len(self.kept)]
        else:
            self.seen.truncated = True

    def done(self) -> Seen:
        seen = self.seen
        if self.probe is not None:
            seen.media = self.probe.result()
            seen.media["content-type"] = seen.header("content-type")
        else:
            encoding = seen.header("content-encoding")
            try:
                seen.response_body = _decoded(bytes(self.kept), encoding) if encoding else bytes(self.kept)
            except Exception:  # an answer we cannot decode is still the client's, unchanged
                seen.response_body = b""
        return seen


def _json_error(status: int, message: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": {"message": message, "type": "proxy_error"}}).encode()
    return (
        status,
        [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        body,
    )


class Proxy:
    """ASGI: `Proxy(upstream, session)`; run it under uvicorn."""

    def __init__(
        self,
        upstream: str,
        session: Session,
        *,
        violations_header: bool = False,
        timeout: float = 600.0,
    ) -> None:
        self.upstream = httpx.URL(upstream.rstrip("/"))
        self.session = session
        self.violations_header = violations_header
        self.timeouts = {"connect": 10.0, "read": timeout, "write": timeout, "pool": timeout}
        up = self.upstream
        self._scheme, self._host = up.scheme.encode(), up.raw_host
        self._port = up.port
        self._prefix = up.raw_path.rstrip(b"/")
        self._host_header = up.netloc
        self.pool: httpcore.AsyncConnectionPool | None = None

    def _pool(self) -> httpcore.AsyncConnectionPool:
        if self.pool is None:
            self.pool = httpcore.AsyncConnectionPool(
                max_connections=200, max_keepalive_connections=50, keepalive_expiry=30.0
            )
        return self.pool

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"].startswith("/__proxy/"):
            await self._own(scope, send)
            return
        await self._forward(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.aclose()
                self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _own(self, scope: dict[str, Any], send: Any) -> None:
        path, query = scope["path"], scope.get("query_string", b"").decode()
        if path == "/__proxy/health":
            stats = {
                **self.session.stats,
                "pending": self.session.queue.qsize(),
                "upstream": str(self.upstream),
            }
            status, headers, body = 200, [(b"content-type", b"application/json")], json.dumps(stats).encode()
        elif path == "/__proxy/report":
            summary, text = self.session.render()
            if "format=json" in query:
                status, headers = 200, [(b"content-type", b"application/json")]
                body = json.dumps(summary, indent=2, default=str).encode()
            else:
                status, headers = 200, [(b"content-type", b"text/markdown; charset=utf-8")]
                body = text.encode()
        else:
            status, headers, body = _json_error(
                404, "the proxy's own paths are /__proxy/report and /__proxy/health"
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started, clock = time.time(), time.perf_counter()
        query = scope.get("query_string", b"")
        target = (
            self._prefix
            + (scope.get("raw_path") or scope["path"].encode())
            + (b"?" + query if query else b"")
        )
        raw = [
            (k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP_BYTES and k.lower() != b"host"
        ]
        chunked = any(k.lower() == b"transfer-encoding" for k, _ in scope["headers"])
        has_body = chunked or any(k.lower() == b"content-length" for k, _ in raw)
        forwarded = [
            (b"host", self._host_header),
            *raw,
            *([(b"transfer-encoding", b"chunked")] if chunked else []),
        ]
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
        seen = Seen(scope["method"], scope["path"], query.decode("latin-1"), headers, started=started)
        kept = bytearray()

        async def body():
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    if len(kept) < KEEP_BYTES:
                        kept.extend(chunk[: KEEP_BYTES - len(kept)])
                    yield chunk
                if not message.get("more_body"):
                    return

        request = httpcore.Request(
            scope["method"].encode("latin-1"),
            httpcore.URL(scheme=self._scheme, host=self._host, port=self._port, target=target),
            headers=forwarded,
            content=body() if has_body else None,
            extensions={"timeout": self.timeouts},
        )
        try:
            response = await self._pool().handle_async_request(request)
        except UPSTREAM_ERRORS as exc:
            seen.request_body = bytes(kept)
            seen.error = f"{type(exc).__name__}: {exc}"
            seen.seconds = time.perf_counter() - clock
            self.session.submit(seen)
            status, out_headers, out = _json_error(
                502,
                f"proxy: the upstream {self.upstream} did not answer ({type(exc).__name__}); "
                "check --upstream and that it is reachable",
            )
            await send({"type": "http.response.start", "status": status, "headers": out_headers})
            await send({"type": "http.response.body", "body": out})
            return
        seen.request_body = bytes(kept)
        seen.status = response.status
        seen.response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        observer = Observer(seen)
        out_headers = [(k, v) for k, v in response.headers if k.lower() not in HOP_BY_HOP_BYTES]
        try:
            if self.violations_header and not observer.media:
                await self._judged_answer(response, observer, out_headers, send)
            else:
                await send({"type": "http.response.start", "status": response.status, "headers": out_headers})
                async for chunk in response.aiter_stream():
                    observer.feed(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except (*UPSTREAM_ERRORS, OSError) as exc:
            seen.error = f"the answer broke off: {type(exc).__name__}: {exc}"
        finally:
            await response.aclose()
            seen.seconds = time.perf_counter() - clock
            self.session.submit(observer.done())

    async def _judged_answer(
        self, response: httpcore.Response, observer: Observer, headers: list, send: Any
    ) -> None:
        """--violations-header: a JSON answer is read first (bounded), judged, and sent with
        `X-Contract-Violations` (the rules and checks that drifted; `none` when it conforms)."""
        chunks = []
        async for chunk in response.aiter_stream():
            observer.feed(chunk)
            chunks.append(chunk)
        try:
            import copy

            verdict = judge(copy.copy(observer.done()))
            drifted = [f.rule or f.check for f in verdict.findings if f.state == "drift"]
            value = ", ".join(dict.fromkeys(drifted)) or "none"
        except Exception as exc:  # fail-open
            value = f"not judged ({type(exc).__name__})"
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [*headers, (b"x-contract-violations", value.encode("latin-1", "replace"))],
            }
        )
        await send({"type": "http.response.body", "body": b"".join(chunks)})
