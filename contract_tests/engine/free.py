"""The free checks' machinery: fetch the vendor's keyless metadata, keep what was fetched, and compare
a vendor request schema with the spec's variant for a model.

Black-box like the rest of the suite: it reads openapi/ (aihubmix.yaml, metadata.yaml) and speaks
HTTP. Nothing here sends a request that can create a job: only GETs of metadata and docs pages.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from .generate import document, resolve
from .outcomes import incident

#: hosts where the vendor serves its metadata (the docs live on docs.aihubmix.com)
VENDOR_HOSTS = ("aihubmix.com", "api.inferera.com")


@cache
def config() -> dict[str, Any]:
    return document("metadata")["x-metadata"]


def spec_name() -> str:
    return config()["spec"]


def spec_models() -> dict[str, str]:
    """Model -> its variant schema in the spec (the discriminator mapping of the create body)."""
    mapping = document(spec_name())["components"]["schemas"][config()["request-schema"]]["discriminator"][
        "mapping"
    ]
    return {model: ref.rsplit("/", 1)[-1] for model, ref in mapping.items()}


def is_vendor(url: str | None) -> bool:
    host = (urlsplit(url).hostname or "") if url else ""
    return any(host == h or host.endswith("." + h) for h in VENDOR_HOSTS)


# ---------------------------------------------------------------------------------------- fetching
@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Source:
    """GETs against one base URL, with no key. Outages and throttling are incidents, not drift."""

    def __init__(self, base_url: str, client: httpx.Client | None = None, label: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.label = label or self.base_url
        self._own = client is None
        self.client = client or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=True)
        self.sent: list[tuple[str, str]] = []
        self.down: str | None = None  # a transport error: later GETs do not wait for it again

    def close(self) -> None:
        if self._own:
            self.client.close()

    #: a GET is tried this often on a transport error or a 429/503 (after its Retry-After, at most 5 s)
    ATTEMPTS = 4

    def _get_retried(self, url: str) -> httpx.Response:
        """A flaky network (a dropped read, a 503 from a proxy) is not an incident until it lasts."""
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                response = self.client.get(
                    url, headers={"Accept": "application/json, text/markdown, text/plain, */*"}
                )
            except httpx.TransportError:
                if attempt == self.ATTEMPTS:
                    raise
                continue
            if response.status_code not in (429, 503) or attempt == self.ATTEMPTS:
                return response
            try:
                time.sleep(min(float(response.headers.get("retry-after", "1")), 5.0))
            except ValueError:
                time.sleep(1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, *, accept_404: bool = False) -> Fetched:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        if self.down and urlsplit(url).netloc == urlsplit(self.base_url).netloc:
            incident(f"GET {url} not sent: {self.down}", exchange={"method": "GET", "url": url})
        self.sent.append(("GET", url))
        try:
            response = self._get_retried(url)
        except httpx.HTTPError as exc:
            if urlsplit(url).netloc == urlsplit(self.base_url).netloc:
                self.down = f"{self.label} was unreachable earlier in this run ({type(exc).__name__}: {exc})"
            incident(
                f"GET {url}: {type(exc).__name__}: {exc}",
                exchange={"method": "GET", "url": url, "error": f"{type(exc).__name__}: {exc}"},
            )
        text = response.text
        exchange = {"method": "GET", "url": url, "status": response.status_code, "body": text[:500]}
        if response.status_code == 429 or response.status_code >= 500:
            incident(f"GET {url} answered {response.status_code}: {text[:200]}", exchange=exchange)
        if response.status_code >= 400 and not (accept_404 and response.status_code == 404):
            raise AssertionError(f"GET {url} answered {response.status_code}: {text[:300]}")
        return Fetched(url, response.status_code, response.headers.get("content-type", ""), text)

    def get_json(self, path: str, *, accept_404: bool = False) -> tuple[int, Any]:
        fetched = self.get(path, accept_404=accept_404)
        try:
            return fetched.status, fetched.json()
        except ValueError:
            raise AssertionError(
                f"GET {fetched.url}: not JSON ({fetched.content_type}): {fetched.text[:200]}"
            ) from None


def catalogue_path() -> str:
    return "/api/v1/models"


def schema_path(model: str) -> str:
    return f"/call/schema/models/{quote(model, safe='')}/endpoints"


# ---------------------------------------------------------------------------------------- keeping
class Kept:
    """What each free check fetched, under reports/free/, so the next run can say what changed since."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.changes: list[str] = []
        #: documents kept this run, and how many of them a previous run had kept too
        self.kept = 0
        self.compared = 0

    def keep(self, kind: str, name: str, data: Any) -> Any:
        """Store this run's `data` and return the previous run's (None the first time)."""
        path = self.directory / kind / (name.replace("/", "%2F") + ".json")
        previous = None
        if path.exists():
            try:
                previous = json.loads(path.read_text("utf-8"))
            except ValueError:
                previous = None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
        self.kept += 1
        self.compared += previous is not None
        return previous

    def note(self, line: str) -> str:
        self.changes.append(line)
        return line

    def write_changes(self, label: str) -> Path | None:
        if not self.directory.exists():
            return None
        path = self.directory / "changes.md"
        lines = [f"# What changed since the previous free run ({label})", ""]
        if self.kept and not self.compared:
            lines += [
                f"- no previous run to compare with: none of the {self.kept} documents fetched was kept "
                f"by an earlier run in {self.directory.name}/ (keep this folder for the next run)"
            ]
        else:
            lines += [f"- {c}" for c in self.changes] or [
                f"- nothing: every fetched document equals the previous run's ({self.compared} compared)"
            ]
            if self.kept > self.compared:
                lines.append(
                    f"- {self.kept - self.compared} document(s) had no previous copy to compare with"
                )
        path.write_text("\n".join(lines) + "\n", "utf-8")
        return path


# ---------------------------------------------------------------------------------------- schemas
BOUNDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "multipleOf",
)
CONDITIONAL = (
    "not",
    "if",
    "then",
    "else",
    "allOf",
    "oneOf",
    "anyOf",
    "dependentRequired",
    "dependentSchemas",
)
_TYPE_OF = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


def _j(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class SchemaView:
    """A schema and the document its local `$ref`s point into (the spec, or a vendor document)."""

    def __init__(self, root: Any, spec: str | None = None) -> None:
        self.root = root
        self.spec = spec

    def deref(self, node: Any) -> Any:
        if self.spec is not None:
            return resolve(self.spec, node)
        seen = 0
        while (
            isinstance(node, dict)
            and isinstance(node.get("$ref"), str)
            and node["$ref"].startswith("#")
            and seen < 32
        ):
            target: Any = self.root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = (
                    target.get(part.replace("~1", "/").replace("~0", "~"), {})
                    if isinstance(target, dict)
                    else {}
                )
            node, seen = target, seen + 1
        return node

    def inline(self, node: Any, depth: int = 0) -> Any:
        """Refs inlined and annotations dropped: what decides validity, for comparing rule blocks."""
        node = self.deref(node)
        if depth > 16:
            return node
        if isinstance(node, dict):
            return {
                k: self.inline(v, depth + 1)
                for k, v in node.items()
                if not k.startswith("x-")
                and k not in ("description", "title", "default", "examples", "$comment")
            }
        if isinstance(node, list):
            return [self.inline(v, depth + 1) for v in node]
        return node

    def facets(self, node: Any) -> dict[str, Any]:
        """Types, enumerated values (None: open) and bounds, however they are spelled (type arrays,
        enum, const, anyOf/oneOf of const arms, null for nullable)."""
        types: set[str] = set()
        values: list[Any] = []
        bounds: dict[str, set[str]] = {}
        open_ = False

        def visit(n: Any, depth: int) -> None:
            nonlocal open_
            n = self.deref(n)
            if not isinstance(n, dict) or depth > 8:
                open_ = True
                return
            declared = n.get("type")
            if isinstance(declared, str):
                types.add(declared)
            elif isinstance(declared, list):
                types.update(t for t in declared if isinstance(t, str))
            for key in BOUNDS:
                if key in n:
                    bounds.setdefault(key, set()).add(_j(n[key]))
            arms = n.get("anyOf") or n.get("oneOf")
            if "const" in n:
                values.append(n["const"])
            elif "enum" in n:
                values.extend(n["enum"])
            elif arms:
                for arm in arms:
                    visit(arm, depth + 1)
            elif declared == "null":
                values.append(None)
            else:
                open_ = True

        visit(node, 0)
        if None in values:
            types.add("null")
        enumerated = list(dict.fromkeys(_j(v) for v in values if v is not None))  # in the document's order
        for v in values:
            if v is not None and type(v) in _TYPE_OF:
                inferred = _TYPE_OF[type(v)]
                if not (inferred == "integer" and "number" in types):
                    types.add(inferred)
        return {
            "types": sorted(types),
            "enum": None if open_ else enumerated,
            "bounds": {k: sorted(v) for k, v in sorted(bounds.items())},
        }


def first_rule(spec: str, node: Any) -> str | None:
    """The `x-rule` of a spec node, looking through its `$ref` chain."""
    for _ in range(16):
        if not isinstance(node, dict):
            return None
        if node.get("x-rule"):
            return node["x-rule"]
        if "$ref" not in node:
            break
        node = resolve(spec, {"$ref": node["$ref"]})
    return None


def _rules_in(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("x-rule"), str):
            found.append(node["x-rule"])
        for v in node.values():
            found += _rules_in(v)
    elif isinstance(node, list):
        for v in node:
            found += _rules_in(v)
    return list(dict.fromkeys(found))


@dataclass
class Difference:
    prop: str | None
    what: str
    rule: str | None = None
    spec: Any = None
    vendor: Any = None

    def line(self, model: str) -> str:
        where = f"`{self.prop}`: " if self.prop else ""
        rule = f" [rule {self.rule}]" if self.rule else ""
        return f"model {model}: {where}{self.what}{rule}"


def _fmt(values: list[str]) -> str:
    return ", ".join(values) if values else "(none)"


def _differ(
    prop: str, a: dict[str, Any], b: dict[str, Any], rule: str | None, *, types_only: bool = False
) -> list[Difference]:
    """The differences of one property's facets (types, enumerated values, bounds)."""
    out: list[Difference] = []
    if a["types"] != b["types"]:
        out.append(
            Difference(
                prop,
                f"type: spec {_fmt(a['types'])}, vendor {_fmt(b['types'])}",
                rule,
                a["types"],
                b["types"],
            )
        )
    if types_only:
        return out
    if (a["enum"] is None) != (b["enum"] is None) or set(a["enum"] or ()) != set(b["enum"] or ()):
        if a["enum"] is None or b["enum"] is None:
            what = (
                f"values: spec {'any' if a['enum'] is None else _fmt(a['enum'])}, "
                f"vendor {'any' if b['enum'] is None else _fmt(b['enum'])}"
            )
        else:
            added = [v for v in b["enum"] if v not in a["enum"]]
            removed = [v for v in a["enum"] if v not in b["enum"]]
            parts = ([f"the vendor adds {_fmt(added)}"] if added else []) + (
                [f"the vendor drops {_fmt(removed)}"] if removed else []
            )
            what = f"enum: {'; '.join(parts)} (spec: {_fmt(a['enum'])})"
        out.append(Difference(prop, what, rule, a["enum"], b["enum"]))
    if a["bounds"] != b["bounds"]:
        keys = sorted(set(a["bounds"]) | set(b["bounds"]))
        diffs = [
            f"{k} spec {_fmt(a['bounds'].get(k, []))} vendor {_fmt(b['bounds'].get(k, []))}"
            for k in keys
            if a["bounds"].get(k) != b["bounds"].get(k)
        ]
        out.append(Difference(prop, "range: " + "; ".join(diffs), rule, a["bounds"], b["bounds"]))
    return out


def compare(
    spec: str, variant: str, vendor_schema: dict[str, Any], vendor_root: Any, discriminator: str = "model"
) -> list[Difference]:
    """How the vendor's request schema differs from the spec's variant: properties added or removed,
    types, enums, ranges (of each property and of an array's items), required, additional
    properties, and the conditional rules."""
    out: list[Difference] = []
    spec_view, vendor_view = SchemaView(document(spec), spec), SchemaView(vendor_root)
    mine = resolve(spec, document(spec)["components"]["schemas"][variant])
    theirs = vendor_view.deref(vendor_schema)
    variant_rule = mine.get("x-rule")
    unknown_rules = mine.get("x-unknown-rules", {})
    required_rules = mine.get("x-required-rules", {})
    my_props, their_props = mine.get("properties", {}), theirs.get("properties", {}) or {}
    for prop in sorted(set(their_props) - set(my_props)):
        out.append(
            Difference(
                prop,
                "the vendor's schema has it, the spec does not (a new parameter?)",
                unknown_rules.get(prop) or variant_rule,
                None,
                their_props[prop],
            )
        )
    for prop in sorted(set(my_props) - set(their_props)):
        out.append(
            Difference(
                prop,
                "the spec has it, the vendor's schema does not (removed?)",
                first_rule(spec, my_props[prop]) or variant_rule,
            )
        )
    for prop in sorted(set(my_props) & set(their_props)):
        rule = first_rule(spec, my_props[prop]) or variant_rule
        mine_p, theirs_p = spec_view.deref(my_props[prop]), vendor_view.deref(their_props[prop])
        out += _differ(
            prop,
            spec_view.facets(mine_p),
            vendor_view.facets(theirs_p),
            rule,
            types_only=prop == discriminator,
        )  # one model per document: its enum is itself
        if (
            isinstance(mine_p, dict)
            and isinstance(theirs_p, dict)
            and "items" in mine_p
            and "items" in theirs_p
        ):
            out += _differ(
                f"{prop}[]",
                spec_view.facets(mine_p["items"]),
                vendor_view.facets(theirs_p["items"]),
                first_rule(spec, mine_p["items"]) or rule,
            )
    my_req, their_req = set(mine.get("required", [])), set(theirs.get("required", []) or [])
    for prop in sorted(their_req - my_req):
        out.append(
            Difference(
                prop,
                "the vendor requires it, the spec does not",
                required_rules.get(prop) or "REQUIRED-PARAMS",
            )
        )
    for prop in sorted(my_req - their_req):
        out.append(
            Difference(
                prop,
                "the spec requires it, the vendor does not",
                required_rules.get(prop) or "REQUIRED-PARAMS",
            )
        )
    mine_closed = mine.get("additionalProperties") is False
    theirs_closed = theirs.get("additionalProperties") is False
    if mine_closed != theirs_closed:
        out.append(
            Difference(
                None,
                f"unknown parameters: the spec {'rejects' if mine_closed else 'allows'} them, "
                f"the vendor {'rejects' if theirs_closed else 'allows'} them",
                variant_rule,
            )
        )
    my_cond = {k: spec_view.inline(mine[k]) for k in CONDITIONAL if k in mine}
    their_cond = {k: vendor_view.inline(theirs[k]) for k in CONDITIONAL if k in theirs}
    if _j(my_cond) != _j(their_cond):
        rules = _rules_in({k: mine[k] for k in CONDITIONAL if k in mine})
        out.append(
            Difference(
                None,
                f"conditional rules differ (spec {_j(my_cond)[:300]}; vendor {_j(their_cond)[:300]})",
                ", ".join(rules) or variant_rule,
            )
        )
    return out


@dataclass
class EndpointChoice:
    entry: dict[str, Any] | None
    described: list[str] = field(default_factory=list)


def choose_entry(document_: Any) -> EndpointChoice:
    """The vendor document's entry for the spec's operation, chosen by method and path (META-16)."""
    op = config()["operation"]
    entries = document_.get("endpoints") if isinstance(document_, dict) else None
    if not isinstance(entries, list):
        raise AssertionError(f"the endpoints document has no `endpoints` list: {_j(document_)[:300]}")
    described = [f"{e.get('method', '?')} {e.get('path', '?')}" for e in entries if isinstance(e, dict)]
    for entry in entries:
        if (
            isinstance(entry, dict)
            and str(entry.get("method", "")).upper() == op["method"]
            and entry.get("path") == op["path"]
        ):
            return EndpointChoice(entry, described)
    return EndpointChoice(None, described)
