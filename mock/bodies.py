"""Reading request bodies safely: size-capped, strict JSON, multipart decoded to the JSON shape.

Whatever arrives, the result is a Python value or an ApiError with a 4xx: broken or non-UTF-8 JSON,
NaN, very deep nesting, lone surrogates, an unknown Content-Type, broken multipart, too large.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .errors import ApiError
from .forms import FormError, decode_fields

MAX_DEPTH = 32


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is larger than the limit of {limit} bytes", code="body_too_large")


#: Status journaled when the client goes away before its body is complete (nginx's "client closed
#: request"): nobody receives it, and it is not the mock's failure.
CLIENT_CLOSED = 499


def _body_timeout(request: Request) -> float:
    state = getattr(request.scope.get("app"), "state", None)
    mock = getattr(state, "mock", None)
    return mock.config.body_timeout if mock is not None else 30.0


async def read_raw(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
            raise ApiError(400, "Content-Length is not a number", code="invalid_header")
        if int(declared) > limit:
            raise _too_large(limit)
    if getattr(request, "_body", None) is not None:
        return request._body
    chunks, size = [], 0
    stall = _body_timeout(request)
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
                code="body_timeout",
                headers={"Connection": "close"},
            ) from None
        if message["type"] == "http.disconnect":
            raise ApiError(
                CLIENT_CLOSED,
                "the client disconnected before the request body was complete",
                code="client_disconnected",
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


def _too_deep() -> ApiError:
    return ApiError(
        400, f"request body is not valid JSON: nested deeper than {MAX_DEPTH} levels", code="invalid_json"
    )


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


#: Values (objects, lists and members) a JSON body may hold: a real request has a few dozen, and
#: parsing millions (a 24 MiB body of `[],` takes orjson seconds) would stall every other client.
MAX_VALUES = 100_000


def _outside_strings(raw: bytes) -> bytes:
    if b'"' not in raw:
        return raw
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")  # escapes first: then quotes pair up
    return b"".join(text.split(b'"')[::2])


def too_many_values(raw: bytes) -> bool:
    """Counted on the raw text (commas and brackets in strings too: stripping millions of strings
    would cost what the limit saves); bounding commas bounds the strings too_deep must skip."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{") > MAX_VALUES


def too_deep(raw: bytes) -> bool:
    """Whether valid JSON text nests containers more than MAX_DEPTH levels, at C speed: no walk of
    the parsed value (a 24 MiB body of small numbers took seconds that way). Strings are blanked,
    everything but brackets dropped (objects and lists alike), then the innermost empty pairs
    removed once per level: what is left after MAX_DEPTH rounds is deeper than that."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    brackets = _outside_strings(raw).translate(_ONE_KIND, _NOT_BRACKETS)
    for _ in range(MAX_DEPTH):
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    return bool(brackets)


def _check_prompt(request: Request, value: Any) -> None:
    """The mock's own cap on what it keeps per job (README, Limits): the prompt is stored and
    echoed on every poll. Sora's documented 32 000 is the spec's rule and is checked there."""
    if not isinstance(value, dict):
        return
    prompt = value.get("prompt")
    if not isinstance(prompt, str):
        return
    state = getattr(request.scope.get("app"), "state", None)
    mock = getattr(state, "mock", None)
    cap = mock.config.max_prompt_chars if mock is not None else 100_000
    if len(prompt) > cap:
        raise ApiError(
            400,
            f"prompt: {len(prompt)} characters is more than this mock keeps ({cap}; the mock's "
            "own limit, set by --max-prompt-chars, not a documented production rule)",
            param="prompt",
            code="prompt_too_long",
        )


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise ApiError(400, "request body is empty; send a JSON object", code="invalid_json")
    try:
        raw.decode("utf-8")  # to say so precisely; orjson would reject it too
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, f"request body is not valid UTF-8 text: {exc.reason}", code="invalid_json"
        ) from None
    if too_many_values(raw):
        raise ApiError(
            400,
            f"request body holds more than {MAX_VALUES} JSON values (counting every ',', '[' "
            "and '{'); a video request needs a few dozen",
            code="invalid_json",
        )
    try:
        value = orjson.loads(raw)  # rejects NaN / Infinity and lone surrogates
        if too_deep(raw):
            raise _too_deep()
    except orjson.JSONDecodeError as exc:  # orjson's own depth limit (1024) is far above ours
        text = str(exc)
        if "depth limit" in text:
            raise _too_deep() from None
        if re.search(rb"\b(NaN|-?Infinity)\b", raw):
            text = f"NaN and Infinity are not valid JSON ({text})"
        raise ApiError(400, f"request body is not valid JSON: {text}", code="invalid_json") from None
    return value


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)


def _check_closed(content_type: str, raw: bytes) -> None:
    """A multipart body must end with its closing delimiter; a truncated one would parse quietly."""
    match = _BOUNDARY.search(content_type)
    if match and not raw.rstrip(b"\r\n").endswith(b"--" + match.group(1).encode("latin-1") + b"--"):
        raise ApiError(
            400,
            "malformed multipart body: it does not end with the closing boundary (truncated?)",
            code="invalid_multipart",
        )


async def read_body(request: Request, limit: int) -> tuple[str, Any]:
    """('json' | 'form', value). Form values: str for fields, (content_type, bytes) for files."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await read_raw(request, limit)
    if media == "application/json" or media.endswith("+json"):
        value = parse_json(raw)
        _check_prompt(request, value)
        return "json", value
    if media == "multipart/form-data":
        _check_closed(request.headers.get("content-type", ""), raw)
        request._body = raw  # Starlette's form parser reads the body we already hold
        try:
            form = await request.form(max_files=16, max_fields=1000, max_part_size=limit)
        except (MultiPartException, HTTPException) as exc:  # Starlette wraps parser errors in HTTPException
            detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
            raise ApiError(400, f"malformed multipart body: {detail}", code="invalid_multipart") from None
        except (ValueError, KeyError, UnicodeError) as exc:
            raise ApiError(400, f"malformed multipart body: {exc}", code="invalid_multipart") from None
        items: list[tuple[str, Any]] = []
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    items.append((key, (value.content_type, await value.read())))
                else:
                    value.encode("utf-8")
                    items.append((key, value))
            value = decode_fields(items)
            _check_prompt(request, value)
            return "form", value
        except FormError as exc:
            raise ApiError(400, str(exc), param=exc.param, code="invalid_multipart") from None
        except UnicodeError:
            raise ApiError(400, "multipart field is not valid UTF-8 text", code="invalid_multipart") from None
        finally:
            await form.close()
    if not media and not raw:
        raise ApiError(400, "request body is required (JSON or multipart/form-data)", code="missing_body")
    raise ApiError(
        415,
        f"unsupported Content-Type {media or '(none)'!r}: send application/json or multipart/form-data",
        code="unsupported_media_type",
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
