"""The validating, recording proxy: an ASGI app that forwards every request to the upstream and
every answer back unchanged and streamed (status, headers, bytes: content-encoding untouched, the
MP4 included), and hands a copy of what passed to the session. Fail-open: nothing the session does
changes what the client gets. `/__proxy/report` (drift.md, or ?format=json) and `/__proxy/health`
are the proxy's own."""

from __future__ import annotations

import json
import time
import zlib
from typing import Any

import httpx

from . import wire
from .judge import Seen, judge
from .mp4 import Mp4Probe
from .session import Session

#: bytes of a request or of a non-media answer kept for judging (the rest still passes, unjudged)
KEEP_BYTES = 8 * 1024 * 1024
MEDIA = ("video/", "image/", "audio/", "application/octet-stream", "application/binary")


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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.upstream = httpx.URL(upstream.rstrip("/"))
        self.session = session
        self.violations_header = violations_header
        self.timeout = timeout
        self.transport = transport
        self.client: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(self.timeout, connect=10.0),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                follow_redirects=False,
                trust_env=False,
            )
        return self.client

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
                if self.client is not None:
                    await self.client.aclose()
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
            summary = self.session.summary()
            if "format=json" in query:
                status, headers = 200, [(b"content-type", b"application/json")]
                body = json.dumps(summary, indent=2, default=str).encode()
            else:
                status, headers = 200, [(b"content-type", b"text/markdown; charset=utf-8")]
                body = self.session.markdown(summary).encode()
        else:
            status, headers, body = _json_error(
                404, "the proxy's own paths are /__proxy/report and /__proxy/health"
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started, clock = time.time(), time.perf_counter()
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in wire.HOP_BY_HOP and k.lower() != b"host"
        ]
        seen = Seen(scope["method"], scope["path"], query.decode("latin-1"), headers, started=started)
        kept = bytearray()
        seen_ok = True

        async def body():
            nonlocal seen_ok
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    seen_ok = False
                    return
                chunk = message.get("body", b"")
                if chunk:
                    if len(kept) < KEEP_BYTES:
                        kept.extend(chunk[: KEEP_BYTES - len(kept)])
                    yield chunk
                if not message.get("more_body"):
                    return

        method = scope["method"]
        has_body = any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers) or any(
            k.lower() == b"transfer-encoding" for k, _ in scope["headers"]
        )
        url = self.upstream.copy_with(
            raw_path=self.upstream.raw_path.rstrip(b"/") + raw_path + (b"?" + query if query else b"")
        )
        client = self._client()
        try:
            request = client.build_request(method, url, headers=headers, content=body() if has_body else None)
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
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
        seen.status = response.status_code
        seen.response_headers = list(response.headers.multi_items())
        observer = Observer(seen)
        out_headers = [
            (k, v) for k, v in response.headers.raw if k.decode("latin-1").lower() not in wire.HOP_BY_HOP
        ]
        try:
            if self.violations_header and not observer.media:
                await self._judged_answer(response, observer, out_headers, send)
            else:
                await send(
                    {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
                )
                async for chunk in response.aiter_raw():
                    observer.feed(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except (httpx.HTTPError, OSError) as exc:
            seen.error = f"the answer broke off: {type(exc).__name__}: {exc}"
        finally:
            await response.aclose()
            seen.seconds = time.perf_counter() - clock
            self.session.submit(observer.done())

    async def _judged_answer(
        self, response: httpx.Response, observer: Observer, headers: list, send: Any
    ) -> None:
        """--violations-header: a JSON answer is read first (bounded), judged, and sent with
        `X-Contract-Violations` (the rules and checks that drifted; `none` when it conforms)."""
        chunks = []
        async for chunk in response.aiter_raw():
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
                "status": response.status_code,
                "headers": [*headers, (b"x-contract-violations", value.encode("latin-1", "replace"))],
            }
        )
        await send({"type": "http.response.body", "body": b"".join(chunks)})
