"""The in-process tap: an httpx transport that wraps another and does what the proxy does (judge,
follow jobs, probe media, record) for a Python client that cannot change its network path.

    client = OpenAI(http_client=httpx.Client(transport=Tap(record="recordings", report="reports")))
    client = AsyncOpenAI(http_client=httpx.AsyncClient(transport=AsyncTap(record="recordings")))

The response reaches the client as the wrapped transport gave it, streamed; a tap error never
reaches the client. Closing the client closes the tap: the queue is drained and the report written.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

from .judge import Seen
from .server import KEEP_BYTES, Observer
from .session import Session


def _seen(request: httpx.Request, started: float) -> Seen:
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
    return Seen(
        request.method,
        request.url.path,
        request.url.query.decode("latin-1"),
        headers,
        request.content[:KEEP_BYTES],  # read by the tap before it sends
        started=started,
    )


class _Watching:
    def __init__(self, stream: Any, observer: Observer, session: Session, clock: float) -> None:
        self.stream, self.observer, self.session, self.clock = stream, observer, session, clock
        self.finished = False

    def broke(self, exc: Exception) -> None:
        self.observer.seen.error = f"the answer broke off: {type(exc).__name__}: {exc}"


class _Watched(_Watching, httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.stream:
                _feed(self.observer, chunk)
                yield chunk
        except httpx.HTTPError as exc:
            self.broke(exc)
            raise

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            _finish(self)


class _AsyncWatched(_Watching, httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.stream:
                _feed(self.observer, chunk)
                yield chunk
        except httpx.HTTPError as exc:
            self.broke(exc)
            raise

    async def aclose(self) -> None:
        try:
            await self.stream.aclose()
        finally:
            _finish(self)


def _feed(observer: Observer, chunk: bytes) -> None:
    try:
        observer.feed(chunk)
    except Exception:  # fail-open: the client gets its bytes whatever the probe thinks
        observer.seen.truncated = True


def _finish(watched: _Watching) -> None:
    if watched.finished:
        return
    watched.finished = True
    try:
        watched.observer.seen.seconds = time.perf_counter() - watched.clock
        watched.session.submit(watched.observer.done())
    except Exception:
        watched.session.stats["errors"] += 1


class _Tapping:
    """What the two taps share: the session, and how an exchange is handed to it."""

    def __init__(
        self,
        *,
        session: Session | None = None,
        record: str | Path | None = None,
        report: str | Path | None = None,
        redact_prompts: bool = False,
        queue_size: int = 1000,
        label: str = "tap",
    ) -> None:
        self.session = session or Session(
            label, record=record, report=report, redact_prompts=redact_prompts, queue_size=queue_size
        )

    def failed(self, seen: Seen, exc: Exception, clock: float) -> None:
        seen.error, seen.seconds = f"{type(exc).__name__}: {exc}", time.perf_counter() - clock
        self.session.submit(seen)

    def watched(
        self, response: httpx.Response, seen: Seen, clock: float, kind: type[_Watching]
    ) -> httpx.Response:
        seen.status, seen.response_headers = response.status_code, list(response.headers.multi_items())
        stream = kind(response.stream, Observer(seen), self.session, clock)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=stream,  # type: ignore[arg-type]
            extensions=response.extensions,
        )


class Tap(_Tapping, httpx.BaseTransport):
    """`httpx.Client(transport=Tap(...))`: `inner` is the transport that really sends (default
    httpx.HTTPTransport()); `record`, `report`, `redact_prompts`, `queue_size` as the proxy's
    options; or a `session` shared with other taps."""

    def __init__(self, inner: httpx.BaseTransport | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started, clock = time.time(), time.perf_counter()
        request.read()  # the body as sent (an upload the size of a request body: multipart of an image)
        seen = _seen(request, started)
        try:
            response = self.inner.handle_request(request)
        except httpx.HTTPError as exc:
            self.failed(seen, exc, clock)
            raise
        return self.watched(response, seen, clock, _Watched)

    def close(self) -> None:
        self.inner.close()
        self.session.close()


class AsyncTap(_Tapping, httpx.AsyncBaseTransport):
    """`httpx.AsyncClient(transport=AsyncTap(...))`, the async twin of `Tap`."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started, clock = time.time(), time.perf_counter()
        await request.aread()
        seen = _seen(request, started)
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.HTTPError as exc:
            self.failed(seen, exc, clock)
            raise
        return self.watched(response, seen, clock, _AsyncWatched)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.session.close()
