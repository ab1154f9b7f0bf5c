"""Zero-cost drift watch: what the vendor publishes for free, compared with the spec.

    pytest contract_tests -m free --base-url https://aihubmix.com     # production, no key

- catalogue: every model of the spec is listed and not deprecated; no video model is listed that
  the spec lacks (GET /api/v1/models);
- per-model schema: the vendor's request schema for the spec's endpoint (POST /v1/videos), compared
  with the spec's variant for the model (GET /call/schema/models/{model}/endpoints);
- docs: each page behind RULES.md, normalised, compared with fixtures/docs/; the rules whose source
  lines changed are named.

Only GETs of keyless metadata and docs pages: never a billable call, no key needed. What each check
fetched is kept (--free-dir) and the next run says what changed since. An outage or throttling of
the metadata host is an incident, not drift.
"""

from __future__ import annotations

import json

import pytest

from .engine import docs_watch
from .engine.free import (
    SchemaView,
    catalogue_path,
    choose_entry,
    compare,
    config,
    schema_path,
    spec_models,
    spec_name,
)
from .engine.generate import schemas
from .engine.outcomes import known, not_checked

pytestmark = pytest.mark.free

MODELS = spec_models()
MODEL_RULE = schemas(spec_name())[config()["request-schema"]].get("x-rule")
PAGES = [p["id"] for p in docs_watch.pages()]


def _video(row: dict) -> bool:
    tokens = {t.strip() for t in str(row.get("types") or "").split(",")}
    return bool(tokens & set(config()["video-types"]))


def _active(row: dict) -> bool:
    return str(row.get("retire_stage") or "active").lower() == "active"


@pytest.fixture(scope="module")
def catalogue(metadata, kept) -> dict[str, dict]:
    """The vendor's catalogue by model id; what changed since the previous run goes to changes.md."""
    _, body = metadata.get_json(catalogue_path())
    rows = body.get("data") if isinstance(body, dict) else None
    assert isinstance(rows, list) and all(isinstance(r, dict) and r.get("model_id") for r in rows), (
        f"GET {catalogue_path()}: not the catalogue's format ({{success, data: [{{model_id, …}}]}}): "
        f"{json.dumps(body)[:300]}"
    )
    by_id = {r["model_id"]: r for r in rows}
    summary = {m: {"types": r.get("types"), "retire_stage": r.get("retire_stage")} for m, r in by_id.items()}
    previous = kept.keep("catalogue", "models", summary)
    if previous is not None:
        for m in sorted(set(summary) - set(previous)):
            kept.note(f"catalogue: {m} appeared (types {summary[m]['types']})")
        for m in sorted(set(previous) - set(summary)):
            kept.note(f"catalogue: {m} disappeared")
        for m in sorted(set(summary) & set(previous)):
            if summary[m] != previous[m]:
                kept.note(f"catalogue: {m} changed from {previous[m]} to {summary[m]}")
    return by_id


def _per(operation: str, values, label=lambda v: v):
    """Parameters that carry their `contract` marker (so a setup incident is reported under them too)."""
    return [
        pytest.param(v, marks=pytest.mark.contract(operation=operation, model=label(v)), id=v) for v in values
    ]


@pytest.mark.parametrize("model", _per("listModels", MODELS))
def test_catalogue_lists_the_model(model, catalogue):
    row = catalogue.get(model)
    assert row is not None, (
        f"model {model}: the vendor's catalogue (GET {catalogue_path()}) no longer lists it; "
        f"the spec still accepts it [rule {MODEL_RULE}]"
    )
    assert _active(row), (
        f"model {model}: the vendor's catalogue marks it retire_stage={row.get('retire_stage')!r}; "
        f"the spec still accepts it [rule {MODEL_RULE}]"
    )
    assert _video(row), (
        f"model {model}: the vendor's catalogue lists it with types {row.get('types')!r}, "
        f"not as a video model ({', '.join(config()['video-types'])})"
    )


@pytest.mark.contract(operation="listModels", model="(catalogue)")
def test_catalogue_has_no_video_model_the_spec_lacks(catalogue):
    deliberate = {e["model"]: e for e in config().get("not-in-spec", [])}
    new = sorted(m for m, row in catalogue.items() if _video(row) and _active(row) and m not in MODELS)
    drifted = [m for m in new if m not in deliberate]
    assert not drifted, "\n".join(
        f"model {m}: the vendor's catalogue lists this video model (types {catalogue[m].get('types')!r}), "
        f"the spec has no variant for it [rule {MODEL_RULE}]"
        for m in drifted
    )
    listed = [m for m in new if m in deliberate]
    if listed:
        known(
            "; ".join(
                f"model {m}: listed by the vendor, left out of the spec on purpose: {deliberate[m]['why']}"
                for m in listed
            ),
            rule=MODEL_RULE,
            evidence=[e for m in listed for e in deliberate[m].get("evidence", [])],
        )


def _since(previous, status: int, document, model: str, kept) -> str:
    """What changed in this model's document since the previous run, as one line (or '')."""
    if previous is None:
        return ""
    if previous.get("status") != status:
        return kept.note(f"schema {model}: HTTP {previous.get('status')} -> {status} since the previous run")
    if previous.get("document") == document:
        return ""
    old_entry = choose_entry(previous["document"]).entry if previous.get("status") == 200 else None
    new_entry = choose_entry(document).entry if status == 200 else None
    props: list[str] = []
    if old_entry and new_entry:
        old_s, new_s = old_entry["request"].get("schema", {}), new_entry["request"].get("schema", {})
        old_p, new_p = old_s.get("properties", {}), new_s.get("properties", {})
        old_v, new_v = SchemaView(previous["document"]), SchemaView(document)
        props = [
            p
            for p in sorted(set(old_p) | set(new_p))
            if p not in old_p or p not in new_p or old_v.facets(old_p[p]) != new_v.facets(new_p[p])
        ]
    what = f" (properties: {', '.join(props)})" if props else ""
    return kept.note(f"schema {model}: the vendor's document changed since the previous run{what}")


@pytest.mark.parametrize("model", _per("getModelEndpoints", MODELS))
def test_vendor_schema_matches_the_spec(model, metadata, kept):
    status, document = metadata.get_json(schema_path(model), accept_404=True)
    previous = kept.keep("schema", model, {"status": status, "document": document})
    since = _since(previous, status, document, model, kept)
    if status == 404:
        not_checked(
            f"model {model}: the vendor publishes no schema for it (404 "
            f"{(document.get('error') or {}).get('code') if isinstance(document, dict) else ''}); "
            f"the catalogue check says whether it is still listed"
        )
    op = config()["operation"]
    choice = choose_entry(document)
    if choice.entry is None:
        native = [
            d
            for d in choice.described
            if any(d.split(" ", 1)[-1].startswith(p) for p in config()["native-paths"])
        ]
        if native:
            not_checked(
                f"model {model}: the vendor describes only {', '.join(choice.described)} (its native "
                f"protocol), not {op['method']} {op['path']} as the spec does: not compared"
            )
        not_checked(
            f"model {model}: the vendor's document describes {', '.join(choice.described) or 'no endpoint'}, "
            f"not {op['method']} {op['path']}"
        )
    request_part = choice.entry.get("request") or {}
    assert isinstance(request_part.get("schema"), dict), (
        f"model {model}: the vendor's {op['method']} {op['path']} entry has no request.schema"
    )
    if request_part.get("envelope") not in (None, "none"):
        not_checked(
            f"model {model}: the vendor wraps the request in envelope {request_part['envelope']!r}: not compared"
        )
    differences = compare(spec_name(), MODELS[model], request_part["schema"], document)
    assert not differences, "\n".join(
        [
            f"model {model}: the vendor's request schema for {op['method']} {op['path']} differs from the spec's "
            f"{MODELS[model]}:"
        ]
        + [d.line(model) for d in differences]
        + ([since] if since else [])
    )


@pytest.mark.parametrize("page", _per("docs", PAGES, lambda p: f"page {p}"))
def test_docs_page_matches_the_snapshot(page, docs, kept):
    source, base = docs
    meta = next(p for p in docs_watch.pages() if p["id"] == page)
    url = docs_watch.page_url(meta, base)
    fetched = source.get(url, accept_404=True)
    assert fetched.status != 404, f"docs page {page} ({meta['title']}): {url} is gone (404)"
    lines = docs_watch.normalise(fetched.text, fetched.content_type)
    previous = kept.keep("docs", page, {"url": url, "lines": lines})
    if previous is not None and previous.get("lines") != lines:
        since = docs_watch.diff(
            docs_watch.Snapshot(page, previous["lines"], [None] * len(previous["lines"])), lines
        )
        kept.note(f"docs {page}: {len(since)} change(s) since the previous run")
    snapshot = docs_watch.Snapshot.load(page)
    changes = docs_watch.diff(snapshot, lines)
    if not changes:
        return
    rules = docs_watch.rules_touched(page, changes)
    table = docs_watch.rules_by_line()
    head = (
        f"docs page {page} ({meta['title']}, {url}) differs from the snapshot in fixtures/docs/ "
        f"({len(changes)} change(s)); "
    )
    head += (
        f"rules whose source lines changed: {', '.join(rules)}"
        if rules
        else "no rule cites the changed lines (review them for new rules)"
    )
    detail = []
    for change in changes[:40]:
        under = sorted({r for n in change.seed_lines for r in table.get((page, n), [])})
        detail.append(f"- {change.describe(page)}" + (f" [rule {', '.join(under)}]" if under else ""))
    if len(changes) > 40:
        detail.append(f"- … and {len(changes) - 40} more")
    detail.append("Once reviewed (and the spec and RULES.md updated): make docs-snapshot DOCS_URL=...")
    raise AssertionError("\n".join([head, *detail]))
