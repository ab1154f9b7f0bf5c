"""JSON text as the mock reads it: strict (no NaN, no lone surrogates), UTF-8, and bounded in depth
and in the number of values, checked on the raw text at C speed before any walk of the value.

Used for request bodies (bodies.py) and for the JSON parts of a multipart form (forms.py).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .errors import ApiError

MAX_DEPTH = 32


def _too_deep() -> ApiError:
    return ApiError(400, f"request body is not valid JSON: nested deeper than {MAX_DEPTH} levels")


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


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise ApiError(400, "request body is empty; send a JSON object")
    try:
        raw.decode("utf-8")  # to say so precisely; orjson would reject it too
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"request body is not valid UTF-8 text: {exc.reason}") from None
    if too_many_values(raw):
        raise ApiError(
            400,
            f"request body holds more than {MAX_VALUES} JSON values (counting every ',', '[' "
            "and '{'); a video request needs a few dozen",
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
        raise ApiError(400, f"request body is not valid JSON: {text}") from None
    out_of_range = integer_out_of_range(raw, value)
    if out_of_range is not None:
        raise out_of_range
    return value


#: The integers a request may hold: a signed 64-bit integer's range. orjson reads larger ones as
#: floats (2**64 becomes 1.8446744073709552e+19, which JSON Schema's "integer" still accepts).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_LONG_DIGITS = re.compile(rb"\d{19}")
_LONG_INTEGER = re.compile(rb"(?<![\w.])-?\d{19,}(?![\d.eE])")


def number_range_error(text: str, where: str | None = None) -> ApiError:
    shown = text if len(text) <= 40 else f"{text[:20]}…({len(text)} digits)"
    return ApiError(
        400,
        f"{where + ': ' if where else ''}{shown} is out of the range of a 64-bit integer "
        f"({INT_MIN} to {INT_MAX}); send a number the parameter can mean",
        param=where,
        rule="NUMBER-RANGE",
    )


def integer_out_of_range(raw: bytes, value: Any = None) -> ApiError | None:
    """The error for an integer of the JSON text outside INT_MIN..INT_MAX, if there is one (a regex
    pass at C speed; strings are blanked only when some run of 19 digits exists at all). `value`,
    the parsed text, lets the error name the member."""
    if not _LONG_DIGITS.search(raw):
        return None
    for match in _LONG_INTEGER.finditer(_outside_strings(raw)):
        token = match.group(0).decode("ascii")
        if len(token) > 20 or not INT_MIN <= int(token) <= INT_MAX:
            return number_range_error(token, _where_out_of_range(value))
    return None


def _where_out_of_range(value: Any, path: str = "") -> str | None:
    """The path of the first number out of INT_MIN..INT_MAX in a parsed value (orjson reads such an
    integer as a float, or as an int up to 2**64 - 1). Walked only to word an error."""
    if isinstance(value, dict):
        items: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        big = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not INT_MIN <= value <= INT_MAX
        )
        return (path or None) if big else None
    for where, item in items:
        found = _where_out_of_range(item, where)
        if found is not None:
            return found
    return None
