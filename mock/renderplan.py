"""From a valid request to what its video will be rendered at (the render plan).

The request side reads only the variant's `x-render` (which properties give the frame size and the
duration, through which table), its `x-audio` (whether the video has sound) and the properties'
`default`s: the spec's words, not Python's.
"""

from __future__ import annotations

import re
from typing import Any

from .spec import Spec

_PIXELS = re.compile(r"^(\d{2,5})[x*](\d{2,5})$")


class RenderError(ValueError):
    pass


def merged_params(spec: Spec, variant: str, body: dict[str, Any]) -> dict[str, Any]:
    """Top-level parameters win over the same ones nested in `x-render.merge` (e.g. extra_body)."""
    xr = spec.extension(variant, "x-render", {})
    nested = xr.get("merge")
    if nested and isinstance(body.get(nested), dict):
        return {**body[nested], **{k: v for k, v in body.items() if k != nested}}
    return body


def _default(spec: Spec, variant: str, name: str) -> Any:
    """The property's default; for a merged member (`x-render.merge`), the nested schema's."""
    found = spec.default_of(variant, name)
    nested = spec.extension(variant, "x-render", {}).get("merge")
    if found is None and nested:
        inner = spec.property_schema(variant, nested).get("properties", {}).get(name, {})
        found = spec.resolve(inner).get("default")
    return found


def _value(spec: Spec, variant: str, params: dict[str, Any], source: Any) -> Any:
    names = source if isinstance(source, list) else [source]
    for name in names:
        if params.get(name) is not None:
            return params[name]
    return _default(spec, variant, names[0])


_PARTS = re.compile(r"[^.\[\]]+")


def without(body: dict[str, Any], params: list[str | None]) -> dict[str, Any]:
    """`body` without the members named (`size`, `extra_body.duration`, `seconds,duration`), so
    the spec's defaults stand in for values accepted under unconfirmed rules."""
    out = dict(body)
    for param in params:
        for one in (param or "").split(","):
            parts = _PARTS.findall(one)
            if not parts or parts[0] not in out:
                continue
            inner = out[parts[0]]
            if len(parts) > 1 and isinstance(inner, dict) and parts[1] in inner:
                out[parts[0]] = {k: v for k, v in inner.items() if k != parts[1]}
            else:
                del out[parts[0]]
    return out


def prompt_of(spec: Spec, variant: str, body: dict[str, Any]) -> str:
    """The prompt, top-level or where `x-render.prompt` says (DashScope's `input.prompt`)."""
    node: Any = body
    for part in spec.extension(variant, "x-render", {}).get("prompt", ["prompt"]):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, str) else ""


def plan(
    spec: Spec, variant: str, body: dict[str, Any], ignore: list[str | None] | None = None
) -> tuple[int, int, int]:
    """(width, height, seconds) the request renders at. `ignore`: members whose values broke an
    unconfirmed rule; the spec's defaults replace them, and whatever still cannot be rendered
    falls back to the defaults of every render member."""
    if not ignore:
        return _plan(spec, variant, body)
    try:
        return _plan(spec, variant, without(body, ignore))
    except (RenderError, ValueError, TypeError, OverflowError):
        xr = spec.extension(variant, "x-render") or {}
        sources = [*xr.get("dims", {}).get("from", []), *xr.get("duration", [])]
        names = [n for src in sources for n in (src if isinstance(src, list) else [src])]
        if xr.get("merge"):
            names.append(xr["merge"])
        return _plan(spec, variant, without(body, names))


def _plan(spec: Spec, variant: str, body: dict[str, Any]) -> tuple[int, int, int]:
    xr = spec.extension(variant, "x-render")
    if not xr:
        raise RenderError(f"{variant} has no x-render in the spec")
    params = merged_params(spec, variant, body)
    dims = xr["dims"]
    values = [_value(spec, variant, params, src) for src in dims["from"]]
    node: Any = spec.pointer(dims["table"])["table"] if dims.get("table") else None
    for value in values:
        if isinstance(node, dict) and str(value) in node:
            node = node[str(value)]
        else:
            break
    if isinstance(node, list):
        width, height = node
    else:
        match = _PIXELS.match(str(values[0]))
        if not match:
            raise RenderError(f"cannot tell the frame size from {values!r}")
        width, height = int(match.group(1)), int(match.group(2))
    asked = _value(spec, variant, params, xr["duration"])
    seconds = -1 if asked is None else int(float(asked))
    if width < 2 or height < 2 or width > 8192 or height > 8192 or seconds > 60:
        raise RenderError(f"cannot render {width}x{height} for {seconds} s")
    if seconds < 0:  # not given and no default, or "the model decides" (Seedance -1)
        if "auto_duration" not in xr:
            raise RenderError(f"{variant} has no duration default and no x-render auto_duration")
        seconds = int(xr["auto_duration"])
    return width, height, seconds


def has_audio(spec: Spec, variant: str, body: dict[str, Any]) -> bool:
    """Whether the video has a soundtrack, by the variant's `x-audio` (absent: silent)."""
    rule = spec.extension(variant, "x-audio", False)
    if not isinstance(rule, dict):
        return rule is True
    name = rule["param"]
    value = merged_params(spec, variant, body).get(name)
    if value is None:
        value = rule.get("default", spec.default_of(variant, name))
    return bool(value == rule["when"]) if "when" in rule else value is True


def asked_or_default(spec: Spec, variant: str, body: dict[str, Any], prop: str) -> str | None:
    """What the request asked for `prop`, else the spec's default, as the response echoes it."""
    value = body.get(prop, spec.default_of(variant, prop))
    return None if value is None else str(value)
