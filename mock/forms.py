"""multipart/form-data as real clients send it, decoded into the JSON shape the spec describes.

openai-python and LiteLLM always send multipart (api-facts.md): every parameter is a text field,
`extra_body` keys become fields too, booleans arrive as "true"/"false", nested values in bracket
notation (`content[][type]`, `content[][image_url][url]`), and the reference image as a file part.
`decode_fields` rebuilds the nesting; `coerce` then gives each text value the type the variant's
schema declares, so the same JSON Schema judges multipart and JSON alike.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson

from .errors import ApiError
from .images import sniff_image
from .jsontext import INT_MAX, INT_MIN, integer_out_of_range, number_range_error, too_deep, too_many_values
from .spec import Spec

_SEGMENTS = re.compile(r"\[([^\]]*)\]")


class FormError(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def _split(key: str) -> list[str]:
    head, bracket, _rest = key.partition("[")
    if not bracket:
        return [key]
    tail = key[len(head) :]
    parts = _SEGMENTS.findall(tail)
    if "".join(f"[{p}]" for p in parts) != tail or not head:
        raise FormError(key, f"malformed field name {key!r}")
    return [head, *parts]


def _has(node: Any, parts: list[str]) -> bool:
    for part in parts:
        if part == "" or not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _assign(root: dict[str, Any], parts: list[str], value: Any) -> None:
    node: Any = root
    for i, part in enumerate(parts[:-1]):
        make = list if parts[i + 1] == "" else dict
        if part == "":
            if not isinstance(node, list):
                raise FormError(parts[0], "conflicting field names")
            # Rails' rule: keep filling the last element until a key repeats, then start a new one.
            if node and isinstance(node[-1], dict) and not _has(node[-1], parts[i + 1 :]):
                node = node[-1]
            else:
                node.append(make())
                node = node[-1]
        else:
            if not isinstance(node, dict):
                raise FormError(parts[0], "conflicting field names")
            child = node.get(part)
            if child is None:
                child = node[part] = make()
            elif not isinstance(child, make):
                raise FormError(parts[0], f"field {parts[0]!r} is given both as a value and as a nested one")
            node = child
    last = parts[-1]
    if last == "":
        if not isinstance(node, list):
            raise FormError(parts[0], "conflicting field names")
        node.append(value)
    elif isinstance(node, dict):
        if last in node:  # a repeated plain field is a list of values
            prev = node[last]
            node[last] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            node[last] = value
    else:
        raise FormError(parts[0], "conflicting field names")


def _indexed_lists(node: Any) -> Any:
    """`a[0]=x&a[1]=y` decodes to a dict with digit keys: make it the list it means."""
    if isinstance(node, dict):
        node = {k: _indexed_lists(v) for k, v in node.items()}
        if node and all(k.isascii() and k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        return node
    if isinstance(node, list):
        return [_indexed_lists(v) for v in node]
    return node


def file_as_reference(content_type: str | None, data: bytes) -> dict[str, str]:
    """A file part becomes the `{mime_type, data}` object form of a reference (002:469-473)."""
    declared = (content_type or "").split(";")[0].strip().lower()
    mime = (
        declared
        if declared.startswith("image/")
        else (sniff_image(data) or declared or "application/octet-stream")
    )
    return {"mime_type": mime, "data": base64.b64encode(data).decode("ascii")}


def decode_fields(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """Form items (text values, or (content_type, bytes) for files) -> nested dict."""
    root: dict[str, Any] = {}
    for key, value in items:
        _assign(root, _split(key), value)
    result: dict[str, Any] = _indexed_lists(root)
    return result


# ---------------------------------------------------------------------------------------- types
def _types(spec: Spec, schema: Any) -> set[str]:
    schema = spec.resolve(schema)
    if not isinstance(schema, dict):
        return set()
    declared = schema.get("type")
    found = set([declared] if isinstance(declared, str) else declared or [])
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            found |= _types(spec, branch)
    for literal in ([schema["const"]] if "const" in schema else []) + list(schema.get("enum", [])):
        found.add(
            {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}.get(
                type(literal), "string"
            )
        )
    return found


def _properties(spec: Spec, schema: Any) -> dict[str, Any]:
    schema = spec.resolve(schema)
    if not isinstance(schema, dict):
        return {}
    props = dict(schema.get("properties", {}))
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            for name, sub in _properties(spec, branch).items():
                props.setdefault(name, sub)
    return props


def _items(spec: Spec, schema: Any) -> Any:
    schema = spec.resolve(schema)
    if not isinstance(schema, dict):
        return {}
    if "items" in schema:
        return schema["items"]
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, []):
            found = _items(spec, branch)
            if found:
                return found
    return {}


_INT = re.compile(r"^-?\d+$")
_NUM = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


#: Digits a form number may have: longer ones stay text (the schema then says the type is wrong);
#: Python refuses to convert more than 4300 digits, and no parameter needs more than a few.
_MAX_DIGITS = 32


def _json_part(text: str, where: str, text_allowed: bool) -> Any:
    """A structured value sent as one JSON part, parsed as the JSON body is (same value and depth
    limits, no NaN, integers in range); left as text when it is not JSON and text is allowed."""
    raw = text.encode("utf-8", "surrogatepass")
    if too_many_values(raw):
        raise ApiError(400, f"{where}: this multipart field holds too many JSON values for a video request")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if text_allowed:
            return text
        long_number = re.search(r"-?\d{20,}", text)
        if long_number is not None:
            raise number_range_error(long_number.group(0), where) from None
        if re.search(r"\b(NaN|-?Infinity)\b", text):
            raise ApiError(
                400,
                f"{where}: NaN and Infinity are not numbers JSON can carry",
                param=where,
                rule="NUMBER-RANGE",
            ) from None
        raise ApiError(400, f"{where}: this multipart field is not valid JSON ({exc})", param=where) from None
    if too_deep(raw):
        raise ApiError(400, f"{where}: this multipart field's JSON is nested too deeply", param=where)
    out_of_range = integer_out_of_range(raw, {where: value})
    if out_of_range is not None:
        raise out_of_range
    return value


def _text_to(types: set[str], text: str, where: str) -> Any:
    if types & {"object", "array"} and text[:1] in "[{":
        value = _json_part(text, where, "string" in types)
        if value is not text:
            return value
    if (
        {"string", "integer"} <= types
        and len(text) <= _MAX_DIGITS
        and not _INT.match(text)
        and _NUM.match(text)
        and float(text).is_integer()
    ):
        return int(float(text))  # "5.0" for a string-or-number field (seconds, D32/D33): the number 5
    if "string" in types or not types:
        return text
    if len(text) > _MAX_DIGITS:
        if types & {"integer", "number"} and text.lstrip("-").isdigit():
            raise number_range_error(text, where)
        return text
    if "integer" in types and _INT.match(text):
        whole = int(text)
        if not INT_MIN <= whole <= INT_MAX:
            raise number_range_error(text, where)
        return whole
    if "number" in types and _NUM.match(text):
        number = float(text)
        return int(number) if "integer" in types and number.is_integer() else number
    if "integer" in types and _NUM.match(text) and float(text).is_integer():
        return int(float(text))
    if "boolean" in types and text in ("true", "false", "True", "False"):
        return text in ("true", "True")
    if "null" in types and text == "null":
        return None
    return text  # left as text: the schema will say what is wrong with it


def coerce(spec: Spec, schema: Any, value: Any, where: str = "") -> Any:
    """Give form text the types `schema` asks for; structure follows the schema recursively.
    `where` is the member's path, for the errors that name it."""
    if isinstance(value, tuple):  # a file part
        content_type, data = value
        return file_as_reference(content_type, data)
    types = _types(spec, schema)
    if isinstance(value, str):
        value = _text_to(types, value, where or "body")
        if isinstance(value, str) and "array" in types and "string" not in types:
            # A one-item list sent as repeated fields is a single field: `image_list=https://…`
            return [coerce(spec, _items(spec, schema), value, f"{where}[0]")]
        if not isinstance(value, (dict, list)):
            return value
    if isinstance(value, dict):
        props = _properties(spec, schema)
        return {
            k: coerce(spec, props.get(k, {}), v, f"{where}.{k}" if where else k) for k, v in value.items()
        }
    if isinstance(value, list):
        if "array" not in types and len(value) == 1 and types:
            return coerce(spec, schema, value[0], where)
        item_schema = _items(spec, schema)
        return [coerce(spec, item_schema, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value
