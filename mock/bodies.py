"""Reading request bodies safely: size-capped, strict JSON, multipart decoded to the JSON shape.

Whatever arrives, the result is a Python value or an ApiError with a 4xx: broken or non-UTF-8 JSON,
NaN, very deep nesting, lone surrogates, an unknown Content-Type, broken multipart, too large.
"""

from __future__ import annotations

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


async def read_raw(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "Content-Length is not a number", code="invalid_header")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_deep() -> ApiError:
    return ApiError(400, f"request body is not valid JSON: nested deeper than {MAX_DEPTH} levels",
                    code="invalid_json")


def _reject_too_deep(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _too_deep()
    if isinstance(value, dict):
        for item in value.values():
            _reject_too_deep(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _reject_too_deep(item, depth + 1)


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise ApiError(400, "request body is empty; send a JSON object", code="invalid_json")
    try:
        raw.decode("utf-8")  # to say so precisely; orjson would reject it too
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"request body is not valid UTF-8 text: {exc.reason}", code="invalid_json") from None
    try:
        value = orjson.loads(raw)  # rejects NaN / Infinity and lone surrogates
        _reject_too_deep(value)
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
        raise ApiError(400, "malformed multipart body: it does not end with the closing boundary (truncated?)",
                       code="invalid_multipart")


async def read_body(request: Request, limit: int) -> tuple[str, Any]:
    """('json' | 'form', value). Form values: str for fields, (content_type, bytes) for files."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await read_raw(request, limit)
    if media == "application/json" or media.endswith("+json"):
        return "json", parse_json(raw)
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
            return "form", decode_fields(items)
        except FormError as exc:
            raise ApiError(400, str(exc), param=exc.param, code="invalid_multipart") from None
        except UnicodeError:
            raise ApiError(400, "multipart field is not valid UTF-8 text", code="invalid_multipart") from None
        finally:
            await form.close()
    if not media and not raw:
        raise ApiError(400, "request body is required (JSON or multipart/form-data)", code="missing_body")
    raise ApiError(415, f"unsupported Content-Type {media or '(none)'!r}: send application/json or multipart/form-data",
                   code="unsupported_media_type")


def summarize(kind: str, value: Any) -> Any:
    """What the journal keeps of a body: the fields, with file parts and long data cut down."""
    if isinstance(value, dict):
        return {k: summarize(kind, v) for k, v in value.items()}
    if isinstance(value, list):
        return [summarize(kind, v) for v in value]
    if isinstance(value, tuple):
        content_type, data = value
        return {"file": True, "content_type": content_type, "bytes": len(data)}
    if isinstance(value, str) and len(value) > 512:
        return value[:64] + f"…({len(value)} chars)"
    return value
