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


def _value(spec: Spec, variant: str, params: dict[str, Any], source: Any) -> Any:
    names = source if isinstance(source, list) else [source]
    for name in names:
        if params.get(name) is not None:
            return params[name]
    return spec.default_of(variant, names[0])


def plan(spec: Spec, variant: str, body: dict[str, Any]) -> tuple[int, int, int]:
    """(width, height, seconds) the request renders at."""
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
