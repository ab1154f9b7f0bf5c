"""What every answer the suite sees must be, read from the spec: checked once, where the suite's
client records each exchange (`Api.send`, `Api.create`, `Api.list`, `Api.wait`), so no test can
forget it and every target gets it, production included (none of these checks costs a call).

- the response schema the spec declares for that operation and status, per model for video objects
  (SoraVideo or GatewayVideo): shapes, the unit of timestamps (`x-unit: seconds`, with bounds a
  millisecond timestamp breaks), a failed job's error object, APIMart's task schema;
- the headers the spec marks `required` (each dialect's request id);
- the extensions JSON Schema cannot say: each model's content lifetime (`x-content-ttl-seconds`:
  `expires_at - completed_at`, APIMart `result.videos[].expires_at - completed`);
- echo and identity of an accepted create: the model asked, its size and seconds (Sora's shape) or
  its frame and duration (the gateway's, through `x-render`), and an id no earlier job had;
- list semantics: a page holds at most `limit` items, in the order asked, `first_id`/`last_id` its
  ends, and no job its owner deleted;
- a finished job stays finished, with the same members (read once more after its terminal status).

Each finding is a `Problem`: the check it belongs to (the drift report's `check`), the rule (`x-rule`)
it is about, and a message that says what the spec wanted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import generate

SPECS = ("aihubmix", "apimart")
#: the create body schema of each dialect (its discriminator maps models to variants)
BODIES = {"aihubmix": "CreateVideoRequest", "apimart": "GenerationRequest"}
#: members of a finished job that must not change on a later read
STABLE = (
    "id",
    "model",
    "status",
    "completed_at",
    "expires_at",
    "size",
    "seconds",
    "width",
    "height",
    "duration",
)
#: the same of a finished APIMart task
TASK_STABLE = ("id", "status", "completed")
TASK_TERMINAL = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    rule: str | None = None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@cache
def _operations() -> dict[str, tuple[str, str]]:
    """operationId -> (spec, JSON pointer of its operation object)."""
    out: dict[str, tuple[str, str]] = {}
    for spec in SPECS:
        for path, item in generate.document(spec).get("paths", {}).items():
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    out[operation["operationId"]] = (spec, f"/paths/{_escape(path)}/{method}")
    return out


def _at(spec: str, pointer: str) -> Any:
    node: Any = generate.document(spec)
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@cache
def _response(operation: str, status: int) -> tuple[str, str] | None:
    """(spec, pointer of the response object) the spec declares for this operation and status."""
    found = _operations().get(operation)
    if found is None:
        return None
    spec, pointer = found
    responses = _at(spec, pointer).get("responses", {})
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            node, where = responses[key], f"{pointer}/responses/{key}"
            if "$ref" in node:
                where = node["$ref"].removeprefix("#")
            return spec, where
    return None


@cache
def _validator(spec: str, pointer: str) -> Draft202012Validator:
    uri = f"urn:conform:{spec}"
    registry = Registry().with_resource(
        uri, Resource.from_contents(generate.document(spec), default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def _rule_of(error: ValidationError, default: str | None) -> str | None:
    for node in (error.schema, *(e.schema for e in (error.context or []))):
        if isinstance(node, dict) and node.get("x-rule"):
            return str(node["x-rule"])
    return default


def _say(error: ValidationError, where_from: str) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    text = f"{where_from}: {error.message}" + (f" at {where}" if where else "")
    schema = error.schema if isinstance(error.schema, dict) else {}
    unit = schema.get("x-unit")  # (the schema whose bound failed: UnixSeconds)
    if unit and isinstance(error.instance, int) and error.instance > 10**11:
        text += f" (the spec's unit is {unit}, x-unit; this looks like milliseconds)"
    return text


def video_problem(item: Any) -> Problem | None:
    """A video object against its model's shape (SoraVideo or GatewayVideo), said precisely."""
    if not isinstance(item, dict):
        return Problem("schema", f"a video is not an object: {str(item)[:120]}")
    shape = shape_of(item.get("model"))
    error = best_match(generate.validator("aihubmix", shape).iter_errors(item))
    if error is None:
        return ttl_problem("aihubmix", item.get("model"), item.get("completed_at"), item.get("expires_at"))
    default = generate.schemas("aihubmix")[shape].get("x-rule")
    text = _say(error, f"{shape} (model {item.get('model')})")
    if list(error.absolute_path) == ["status"]:
        text = (
            f"unknown status {error.instance!r} for {item.get('id')}: {text}; openai-python's poll helper "
            "stops on it"
        )
    return Problem("schema", text, _rule_of(error, default))


def extension(model: Any, name: str, default: Any = None) -> Any:
    """An AIHubMix model's variant extension (`x-response-shape`, `x-initial-status`, `x-delete`,
    `x-remix`, `x-content-ttl-seconds`), else the create body's, else `default`."""
    schemas = generate.schemas("aihubmix")
    variant = generate.variants("aihubmix", BODIES["aihubmix"]).get(model) if isinstance(model, str) else None
    return (schemas.get(variant or "", {}) or {}).get(name, schemas[BODIES["aihubmix"]].get(name, default))


def shape_of(model: Any) -> str:
    """The response schema of a model's `x-response-shape` (components/x-response-shapes); a model
    the spec does not list is judged as the spec's `Video` does (Sora models Sora-shaped)."""
    shape = extension(model, "x-response-shape")
    if shape is None:
        sora = generate.sora_models()
        return "SoraVideo" if model in sora else "GatewayVideo"
    ref = generate.document("aihubmix")["components"]["x-response-shapes"][shape]["$ref"]
    return str(ref).rsplit("/", 1)[-1]


#: how far a job has come, by status (VideoStatus; completed and failed are both the end)
RANK = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}


def operation_problem(operation: str, model: Any, status: int) -> Problem | None:
    """What `x-delete` / `x-remix` (supported | not_supported) say of a delete or a remix of a job of
    `model`: a supported one is not refused as unsupported (501 / 409), an unsupported one is not done
    (200). Other answers are left to the test."""
    name, refused = {"deleteVideo": ("x-delete", 501), "remixVideo": ("x-remix", 409)}.get(operation, ("", 0))
    if not name or not isinstance(model, str):
        return None
    supported = extension(model, name, "supported") != "not_supported"
    rule = "DELETE-KLING-501" if operation == "deleteVideo" else "REMIX-SORA"
    if status == 200 and not supported:
        return Problem(
            operation,
            f"{operation} of a {model} job answered 200; the spec says {name}: not_supported ({refused} expected, rule {rule})",
            rule,
        )
    if status == 501 and supported:
        return Problem(
            operation, f"{operation} of a {model} job answered 501; the spec says {name}: supported", rule
        )
    return None


# ----------------------------------------------------------------------------- content lifetime
def ttl_of(spec: str, model: Any) -> int | None:
    """A model's content lifetime: its variant's `x-content-ttl-seconds`, else the create body's."""
    schemas = generate.schemas(spec)
    base = BODIES[spec]
    variant = generate.variants(spec, base).get(model) if isinstance(model, str) else None
    value = (schemas.get(variant or "", {}) or {}).get("x-content-ttl-seconds") or schemas[base].get(
        "x-content-ttl-seconds"
    )
    return int(value) if value is not None else None


def ttl_problem(spec: str, model: Any, completed: Any, expires: Any) -> Problem | None:
    if not (isinstance(completed, int) and isinstance(expires, int)):
        return None
    ttl = ttl_of(spec, model)
    if ttl is None or expires - completed == ttl:
        return None
    rule = "CONTENT-TTL" if spec == "aihubmix" else "APIMART-TASK-STATES"
    return Problem(
        "content-ttl",
        f"{model or 'the task'}: the download expires {expires - completed} s after completion; the spec "
        f"says {ttl} s (x-content-ttl-seconds, rule {rule})",
        rule,
    )


# ----------------------------------------------------------------------------- any exchange
def exchange_problems(
    operation: str, status: int, headers: Any, content_type: str, body: Any, is_json: bool, model: Any = None
) -> list[Problem]:
    """What is wrong with one answer, by the spec's declaration for its operation and status.
    An operation or status the spec does not declare is left to the test (it asserts the status)."""
    found = _response(operation, status)
    if found is None:
        return []
    spec, pointer = found
    declared = _at(spec, pointer)
    problems: list[Problem] = []
    present = {str(k).lower() for k, v in headers.items() if v}
    for name, header in (declared.get("headers") or {}).items():
        header = generate.resolve(spec, header)
        if header.get("required") and name.lower() not in present:
            problems.append(
                Problem(
                    "request-id" if "request-id" in name.lower() else "headers",
                    f"{operation} answered {status} without the `{name}` header the spec requires on every "
                    f"answer (rule {header.get('x-rule')})",
                    header.get("x-rule"),
                )
            )
    json_content = (declared.get("content") or {}).get("application/json")
    if json_content is None or "schema" not in json_content:
        return problems
    if not is_json:
        what = "the error is not JSON" if status >= 400 else "the body is not JSON"
        problems.append(
            Problem("schema", f"{operation} answered {status}: {what} ({content_type or 'no type'})")
        )
        return problems
    videos: list[Any] = []
    if isinstance(body, dict) and body.get("object") == "video":
        videos = [body]
    elif isinstance(body, dict) and body.get("object") == "list" and isinstance(body.get("data"), list):
        videos = body["data"]
    for item in videos:
        problem = video_problem(item)
        if problem:
            return [*problems, problem]
    error = best_match(_validator(spec, f"{pointer}/content/application~1json/schema").iter_errors(body))
    if error is not None:
        problems.append(Problem("schema", _say(error, f"{operation} {status}"), _rule_of(error, None)))
        return problems
    if spec == "apimart" and isinstance(body, dict) and isinstance(body.get("data"), dict):
        task = body["data"]
        for video in (task.get("result") or {}).get("videos") or []:
            problem = ttl_problem("apimart", model, task.get("completed"), (video or {}).get("expires_at"))
            if problem:
                problems.append(problem)
                break
    return problems


# ----------------------------------------------------------------------------- echo and identity
def echo_problems(spec: str, body: Any, job: Any, earlier: dict[str, str]) -> list[Problem]:
    """An accepted create echoes what was asked (as its response shape has it) under a fresh id.
    `earlier`: id -> model of every job this run was given so far (updated here)."""
    problems: list[Problem] = []
    if spec == "remix":  # a remix is a new job: a fresh id, its lineage checked by its test
        spec, body = "aihubmix", None
    if spec == "apimart":
        items = job.get("data") if isinstance(job, dict) else None
        ids = [i.get("task_id") for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        model = body.get("model") if isinstance(body, dict) else None
    else:
        ids = [job.get("id")] if isinstance(job, dict) else []
        model = body.get("model") if isinstance(body, dict) else None
    label = model or (job.get("model") if isinstance(job, dict) else None)  # (a remix: its job's model)
    for new in ids:
        if isinstance(new, str) and new in earlier:
            problems.append(
                Problem(
                    "identity",
                    f"the create of {label or 'a remix'} was answered with id {new[:60]}, already given to an earlier "
                    f"job ({earlier[new]}) this run: two jobs never share an id",
                )
            )
        elif isinstance(new, str):
            earlier[new] = str(label or "a remix")
    if spec != "aihubmix" or not isinstance(job, dict) or not isinstance(model, str):
        return problems
    if job.get("model") != model:
        problems.append(Problem("echo", f"asked for {model}, the job says model {job.get('model')!r}"))
        return problems
    variant = generate.variants(spec, BODIES[spec]).get(model)
    if variant is None or not generate.validator(spec, variant).is_valid(body):
        return problems  # outside the valid space (an unconfirmed rule accepted): no oracle for the rest
    schema = generate.schemas(spec)[variant]
    initial = schema.get("x-initial-status")
    if initial in RANK and RANK.get(str(job.get("status")), 99) < RANK[initial]:
        problems.append(
            Problem(
                "echo",
                f"{model}: a new job is {job.get('status')!r}; the spec says it starts {initial!r} (x-initial-status)",
            )
        )
    if schema.get("x-response-shape") == "sora":
        for member in ("size", "seconds"):
            asked = body.get(member, generate.default_of(spec, variant, member))
            if asked is not None and job.get(member) != asked:
                problems.append(
                    Problem("echo", f"{model}: asked {member} {asked!r}, the job says {job.get(member)!r}")
                )
    elif "x-render" in schema:
        width, height, seconds = generate.expected_render(spec, variant, body)
        got = (job.get("width"), job.get("height"), job.get("duration"))
        if got != (width, height, seconds):
            problems.append(
                Problem(
                    "dimensions",
                    f"{model}: rendered {got[0]}x{got[1]} {got[2]}s, the spec says {width}x{height} {seconds}s",
                )
            )
    return problems


# ----------------------------------------------------------------------------- lists
@cache
def list_defaults() -> dict[str, Any]:
    """listVideos' query defaults (limit, order), from the spec."""
    spec, pointer = _operations()["listVideos"]
    return {
        p["name"]: generate.resolve(spec, p.get("schema", {})).get("default")
        for p in _at(spec, pointer).get("parameters", [])
    }


def _created(item: dict[str, Any]) -> Any:
    return item.get("created_at", item.get("created"))


def list_problems(params: dict[str, Any], page: Any, deleted: set[str]) -> list[Problem]:
    """A page of the owner's list: at most `limit` items, in the order asked, its ends named, none
    of the jobs its owner deleted."""
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        return []
    defaults = list_defaults()
    data = [item for item in page["data"] if isinstance(item, dict)]
    problems: list[Problem] = []
    asked = params.get("limit", defaults.get("limit"))
    limit = int(asked) if isinstance(asked, (int, str)) and str(asked).isdigit() else None
    if limit is not None and len(page["data"]) > limit:
        problems.append(Problem("list", f"a page asked with limit={limit} holds {len(page['data'])} jobs"))
    gone = [item.get("id") for item in data if item.get("id") in deleted]
    if gone:
        problems.append(
            Problem("list", f"deleted job(s) still listed: {', '.join(str(g)[:60] for g in gone)}")
        )
    stamps = [_created(item) for item in data]
    if data and all(isinstance(s, int) for s in stamps):
        order = params.get("order", defaults.get("order"))
        pairs = list(zip(stamps, stamps[1:], strict=False))
        wrong = [p for p in pairs if (p[0] < p[1] if order == "desc" else p[0] > p[1])]
        if wrong:
            problems.append(Problem("list", f"a page asked in order {order!r} is not: created {stamps}"))
    if data and (page.get("first_id"), page.get("last_id")) not in (
        (data[0].get("id"), data[-1].get("id")),
        (None, None),
    ):
        problems.append(
            Problem(
                "list",
                f"first_id/last_id {page.get('first_id')!r}/{page.get('last_id')!r} are not the page's ends",
            )
        )
    return problems


# ----------------------------------------------------------------------------- finished jobs
def stays_finished(
    first: dict[str, Any], again: dict[str, Any], members: tuple[str, ...] = STABLE
) -> Problem | None:
    """A job (or task) read again after its terminal status: the same status and members."""
    changed = [k for k in members if k in first and again.get(k) != first.get(k)]
    if not changed:
        return None
    said = ", ".join(f"{k} {first.get(k)!r} -> {again.get(k)!r}" for k in changed)
    return Problem(
        "lifecycle",
        f"{first.get('id')} was {first.get('status')} and, read again, changed ({said}): a finished job "
        "stays finished, with the same content",
    )
