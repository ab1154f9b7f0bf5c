"""The vendor's free metadata endpoints (openapi/metadata.yaml), derived from aihubmix.yaml.

- `GET /api/v1/models`: the catalogue, one row per model of the spec's discriminated create body;
- `GET /v1/models`: the OpenAI-compatible list (`{object: list, data: [{id, object: model, …}]}`);
- `GET /call/schema/models/{model}/endpoints`: the model's `POST /v1/videos` entry, whose request
  schema is the spec's variant for that model with its `$ref`s inlined and the spec's bookkeeping
  keywords removed (the list is `x-metadata.endpoints-document.strip`).

No key is needed (as in production). Every value that is not the spec's own comes from
`x-metadata` in metadata.yaml, where what is inferred for video models is said. No model name and no
rule appears here.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from ..jsonresponse import FastJSONResponse
from ..spec import Spec, get_spec, load_document


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    config: dict[str, Any] = load_document("metadata")["x-metadata"]
    return config


def _resolve_external(node: Any) -> Any:
    """`{$ref: 'aihubmix.yaml#/…'}` inside x-metadata: the spec's value at that pointer."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and "#" in ref:
            name, pointer = ref.split("#", 1)
            return copy.deepcopy(get_spec(name.removesuffix(".yaml")).pointer("#" + pointer))
        return {k: _resolve_external(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_external(v) for v in node]
    return node


def _inline(spec: Spec, node: Any, strip: frozenset[str], seen: tuple[str, ...] = ()) -> Any:
    """A spec schema as plain JSON Schema: `$ref`s inlined, the spec's own keywords removed."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:  # a recursive schema: keep the reference rather than loop
                return {"$ref": ref}
            merged = {
                **_inline(spec, spec.pointer(ref), strip, (*seen, ref)),
                **{k: v for k, v in node.items() if k != "$ref"},
            }
            return _inline(spec, merged, strip, (*seen, ref))
        return {k: _inline(spec, v, strip, seen) for k, v in node.items() if k not in strip}
    if isinstance(node, list):
        return [_inline(spec, v, strip, seen) for v in node]
    return node


def _models() -> dict[str, str]:
    cfg = _config()
    return get_spec(cfg["spec"]).variants(cfg["request-schema"])


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    cfg = _config()["catalogue"]
    rows = [{"model_id": model, "model_name": model, **cfg["row"]} for model in _models()]
    return {**cfg["envelope"], "data": rows}


@lru_cache(maxsize=256)
def endpoints_document(model: str) -> dict[str, Any] | None:
    """The per-model document, or None for a model the spec does not know."""
    variant = _models().get(model)
    if variant is None:
        return None
    cfg = _config()
    doc_cfg = cfg["endpoints-document"]
    spec = get_spec(cfg["spec"])
    schema = _inline(spec, spec.schemas[variant], frozenset(doc_cfg["strip"]))
    prop = spec.discriminator_property(cfg["request-schema"])
    schema.setdefault("properties", {})[prop] = copy.deepcopy(doc_cfg["model-property"])
    entry = _resolve_external(copy.deepcopy(doc_cfg["entry"]))
    entry["request"] = {**entry.get("request", {}), "schema": schema}
    return {**copy.deepcopy(doc_cfg["top"]), "endpoints": [entry], "model": model}


@lru_cache(maxsize=1)
def openai_list() -> dict[str, Any]:
    """`GET /v1/models`: OpenAI's list shape, one row per model of the spec."""
    cfg = _config()["openai-list"]
    return {**cfg["envelope"], "data": [{"id": model, **cfg["row"]} for model in _models()]}


async def list_openai_models(request: Request) -> Response:
    return FastJSONResponse(openai_list())


async def list_models(request: Request) -> Response:
    body = catalogue()
    wanted = request.query_params.get("type")
    if wanted:
        tokens = {t.strip() for t in wanted.split(",") if t.strip()}
        body = {
            **body,
            "data": [
                row
                for row in body["data"]
                if tokens & {t.strip() for t in str(row.get("types", "")).split(",")}
            ],
        }
    return FastJSONResponse(body, headers={"Cache-Control": _config()["catalogue"]["cache-control"]})


async def model_endpoints(request: Request) -> Response:
    model = unquote(request.path_params["model"])
    document = endpoints_document(model)
    if document is None:
        body = copy.deepcopy(_config()["error"]["not-found"])
        body["error"]["message"] = f"model not found: {model}"
        return FastJSONResponse(body, status_code=404)
    return FastJSONResponse(document)
