"""What went over the wire, made readable and safe to keep: bodies parsed (JSON, or multipart the way
openai-python and LiteLLM send it, typed by the spec), and secrets taken out before anything is
judged, recorded or reported."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: headers that are about one connection, never forwarded as they are (RFC 9110 7.6.1)
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
#: a header or query parameter whose name says it carries a credential
SECRET_NAME = re.compile(r"auth|key|token|secret|password|passwd|cookie|session|signature|credential", re.I)
REDACTED = "[redacted]"
#: strings longer than this that decode to binary (base64, data URLs) are kept as hash and size
BLOB_CHARS = 512


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def secrets_in(headers: list[tuple[str, str]]) -> set[str]:
    """The credential values a request carries (the bearer key and every key-like header), so that
    they can be scrubbed wherever else they appear (an echo in a body, an error message)."""
    found: set[str] = set()
    for name, value in headers:
        if is_secret_name(name) and value:
            found.add(value)
            scheme, _, rest = value.partition(" ")
            if rest and scheme.lower() in ("bearer", "basic", "token"):
                found.add(rest.strip())
    return {s for s in found if len(s) >= 4}


def safe_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        low = name.lower()
        out[low] = REDACTED if is_secret_name(low) else value
    return out


def safe_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs])


def digest(data: bytes, content_type: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if content_type:
        out["content-type"] = content_type
    return out


#: how media begins (what a base64 string that decodes to it is)
MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"RIFF", b"GIF8", b"\x00\x00\x00")


def _blob(text: str) -> dict[str, Any] | None:
    """A string that is binary in disguise (a data URL, base64 of an image): its hash and size."""
    head, comma, _rest = text.partition(",")
    if comma and head.startswith("data:"):
        return {**digest(text.encode()), "data-url": head[5:60]}
    if len(text) < 64 or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", text[:4096]):
        return None
    try:
        start = base64.b64decode(text[:24], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(text) >= BLOB_CHARS or start.startswith(MAGIC):
        return {**digest(text.encode()), "base64": True}
    return None


def sniff(data: bytes) -> str | None:
    for magic, kind in ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif")):
        if data.startswith(magic):
            return kind
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def scrub(value: Any, secrets: set[str], *, redact_prompts: bool = False, key: str = "") -> Any:
    """A body as it may be kept: secret members and values redacted, blobs as hash and size,
    prompts too when asked."""
    if isinstance(value, dict):
        return {
            k: (
                REDACTED
                if is_secret_name(str(k)) and isinstance(v, str)
                else scrub(v, secrets, redact_prompts=redact_prompts, key=str(k))
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v, secrets, redact_prompts=redact_prompts, key=key) for v in value]
    if isinstance(value, str):
        if redact_prompts and key in ("prompt", "negative_prompt", "text"):
            return {**digest(value.encode()), "prompt": "redacted"}
        blob = _blob(value)
        if blob is not None:
            return blob
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    return value


# ------------------------------------------------------------------------------------ bodies
def parse_body(content_type: str, data: bytes) -> tuple[str, Any]:
    """(kind, value): ("json", parsed), ("form", {field: text | file digest}), ("empty", None),
    or ("other", digest) when it is neither."""
    if not data:
        return "empty", None
    low = content_type.lower()
    if "json" in low or (not low and data[:1] in (b"{", b"[")):
        try:
            return "json", json.loads(data)
        except ValueError:
            return "other", digest(data, content_type)
    if low.startswith("multipart/form-data"):
        try:
            return "form", _form(content_type, data)
        except (ValueError, TypeError, UnicodeDecodeError):
            return "other", digest(data, content_type)
    if low.startswith("application/x-www-form-urlencoded"):
        return "form", dict(parse_qsl(data.decode("utf-8", "replace")))
    return "other", digest(data, content_type)


def _form(content_type: str, data: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + data
    )
    if not message.is_multipart():
        raise ValueError("not multipart")
    fields: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        raw = part.get_payload(decode=True)
        payload: bytes = raw if isinstance(raw, bytes) else b""
        if part.get_filename() is not None:
            # a file part is the `{mime_type, data}` object form of a reference (the spec's
            # SoraInputReference says so); scrub() keeps only its hash and size
            declared = part.get_content_type()
            mime = declared if declared.startswith("image/") else (sniff(payload) or declared)
            fields.append((str(name), {"mime_type": mime, "data": base64.b64encode(payload).decode()}))
        else:
            fields.append((str(name), payload.decode("utf-8")))
    return _nest(fields)


_SEGMENTS = re.compile(r"\[([^\]]*)\]")


def _nest(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    """Bracket notation (`content[][type]`, `metadata[a]`) back into nesting, as clients flatten it."""
    root: dict[str, Any] = {}
    for key, value in fields:
        head, bracket, tail = key.partition("[")
        if not bracket:
            root[key] = value
            continue
        parts = [head, *_SEGMENTS.findall("[" + tail)]
        node: Any = root
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            nxt = parts[n + 1] if not last else None
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                # a list item: a new one when this member is already set in the last item
                if not node or not isinstance(node[-1], dict) or _has(node[-1], parts[n + 1 :]):
                    node.append({} if nxt != "" else [])
                node = node[-1]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt == "" else {})
    return root


def _has(node: dict[str, Any], parts: list[str]) -> bool:
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def typed(schema: dict[str, Any], value: Any, resolve) -> Any:
    """Form text given the JSON type the schema declares (multipart carries only text)."""
    schema = resolve(schema) if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {k: typed(props.get(k, {}), v, resolve) for k, v in value.items()} if props else value
    if isinstance(value, list):
        return [typed(schema.get("items") or {}, v, resolve) for v in value]
    if not isinstance(value, str):
        return value
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds} if kinds else set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        branch = resolve(branch)
        if isinstance(branch.get("type"), str):
            kinds.add(branch["type"])
    if "string" in kinds:
        return value
    if "integer" in kinds and re.fullmatch(r"-?\d+", value):
        return int(value)
    if "number" in kinds:
        try:
            return float(value) if not re.fullmatch(r"-?\d+", value) else int(value)
        except ValueError:
            return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    if kinds & {"object", "array"}:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
