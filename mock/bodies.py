"""Reading request bodies safely: size-capped, strict JSON, multipart decoded to the JSON shape.

Whatever arrives, the result is a Python value or an ApiError with a 4xx: broken or non-UTF-8 JSON,
NaN, very deep nesting, lone surrogates, an unknown Content-Type, broken multipart, too large.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive

from .config import MockConfig
from .errors import ApiError
from .forms import FormError, decode_fields
from .jsontext import parse_json


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than the limit of {limit} bytes")


#: Status journaled when the client goes away before its body is complete (nginx's "client closed
#: request"): nobody receives it, and it is not the mock's failure.
CLIENT_CLOSED = 499


async def read_raw(request: Request, limit: int, stall: float) -> bytes:
    """The whole body, at most `limit` bytes (then 413), no more than `stall` seconds between two
    chunks (then 408)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
            raise ApiError(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks, size = [], 0
    receive = request.receive
    first = True
    while True:
        try:
            if first:  # over a socket the server times out stalls itself (protocol.py): no timer here
                message = await receive()
            else:
                async with asyncio.timeout(stall):  # a stalled upload must not hold a slot forever
                    message = await receive()
        except TimeoutError:
            raise ApiError(
                408,
                f"the request body stalled: no data for {stall:g} s; send it at once",
                headers={"Connection": "close"},
            ) from None
        if message["type"] == "http.disconnect":
            raise ApiError(
                CLIENT_CLOSED,
                "the client disconnected before the request body was complete",
            )
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        first = False
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _check_prompt(value: Any, cap: int) -> None:
    """The mock's own cap on what it keeps per job (README, Limits): the prompt is stored and
    echoed on every poll. Sora's documented 32 000 is the spec's rule and is checked there."""
    if not isinstance(value, dict):
        return
    prompt = value.get("prompt")
    if isinstance(prompt, str) and len(prompt) > cap:
        raise ApiError(
            400,
            f"prompt: {len(prompt)} characters is more than this mock keeps ({cap}; the mock's "
            "own limit, set by --max-prompt-chars, not a documented production rule)",
            param="prompt",
        )


def _replay(raw: bytes) -> Receive:
    """An ASGI receive that hands over a body already read, for Starlette's form parser."""

    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)


def _check_closed(content_type: str, raw: bytes) -> None:
    """A multipart body must end with its closing delimiter; a truncated one would parse quietly."""
    match = _BOUNDARY.search(content_type)
    if match and not raw.rstrip(b"\r\n").endswith(b"--" + match.group(1).encode("latin-1") + b"--"):
        raise ApiError(
            400,
            "malformed multipart body: it does not end with the closing boundary (truncated?)",
        )


async def read_body(request: Request, raw: bytes, config: MockConfig) -> tuple[str, Any]:
    """('json' | 'form', value) of the body `raw` already read from `request`. Form values: str for
    fields, (content_type, bytes) for files."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        value = parse_json(raw)
        _check_prompt(value, config.max_prompt_chars)
        return "json", value
    if media == "multipart/form-data":
        _check_closed(request.headers.get("content-type", ""), raw)
        try:
            form = await Request(request.scope, _replay(raw)).form(
                max_files=16, max_fields=1000, max_part_size=config.max_body_bytes
            )
        except (MultiPartException, HTTPException) as exc:  # Starlette wraps parser errors in HTTPException
            detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
            raise ApiError(400, f"malformed multipart body: {detail}") from None
        except (ValueError, KeyError, UnicodeError) as exc:
            raise ApiError(400, f"malformed multipart body: {exc}") from None
        items: list[tuple[str, Any]] = []
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    items.append((key, (value.content_type, await value.read())))
                else:
                    value.encode("utf-8")
                    items.append((key, value))
            value = decode_fields(items)
            _check_prompt(value, config.max_prompt_chars)
            return "form", value
        except FormError as exc:
            raise ApiError(400, str(exc), param=exc.param) from None
        except UnicodeError:
            raise ApiError(400, "multipart field is not valid UTF-8 text") from None
        finally:
            await form.close()
    if not media and not raw:
        raise ApiError(400, "request body is required (JSON or multipart/form-data)")
    raise ApiError(
        415,
        f"unsupported Content-Type {media or '(none)'!r}: send application/json or multipart/form-data",
    )


#: The journal keeps at most this many members of any object or list, this many levels, and this
#: many values in all.
SUMMARY_ITEMS = 32
SUMMARY_DEPTH = 8
SUMMARY_VALUES = 256


def summarize(kind: str, value: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """What the journal keeps of a body: the fields, with file parts and long data cut down, and at
    most SUMMARY_ITEMS members per object or list, SUMMARY_DEPTH levels and SUMMARY_VALUES values in
    all (a marker says what was left out), so an entry stays small whatever the body holds."""
    if budget is None:
        budget = [SUMMARY_VALUES]
    budget[0] -= 1
    if isinstance(value, dict):
        if depth >= SUMMARY_DEPTH or budget[0] <= 0:
            return f"…(object of {len(value)} members)"
        out = {}
        for index, (k, v) in enumerate(value.items()):
            if index == SUMMARY_ITEMS or budget[0] <= 0:
                out["…"] = f"({len(value) - index} more members)"
                break
            out[k[:128] if isinstance(k, str) else k] = summarize(kind, v, depth + 1, budget)
        return out
    if isinstance(value, list):
        if depth >= SUMMARY_DEPTH or budget[0] <= 0:
            return f"…(list of {len(value)} items)"
        out_list = []
        for index, v in enumerate(value):
            if index == SUMMARY_ITEMS or budget[0] <= 0:
                out_list.append(f"…({len(value) - index} more items)")
                break
            out_list.append(summarize(kind, v, depth + 1, budget))
        return out_list
    if isinstance(value, tuple):
        content_type, data = value
        return {"file": True, "content_type": content_type, "bytes": len(data)}
    if isinstance(value, str) and len(value) > 512:
        return value[:64] + f"…({len(value)} chars)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1 << 64:
        return f"…(integer of {value.bit_length()} bits)"
    return value
