"""From a job to the JSON its response schema describes.

Which members a response has, and in which order, is the spec's: each document maps the shape
names its variants use (`x-response-shape`, and `apimart` for the APIMart task) to a schema in
`components/x-response-shapes`. Python says only where each member's value comes from (`FIELDS`,
an expression per member name); a `const` member takes the spec's constant. Each schema is compiled
once into one function (the poll path is benchmarked), and a member the mock cannot fill fails at
start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .job import DEFAULT_SESSION, Job
from .spec import Spec, get_spec

#: A member expression's answer for a member that this job's response leaves out.
OMIT: Any = object()


def _ts(value: float | None) -> int | None:
    return None if value is None else int(value)


def job_error(job: Job) -> dict[str, Any] | None:
    if job.status != "failed":
        return None
    message = job.error_message or "Video generation failed due to content policy violation"
    # 001 shows {code, message}, 002:518-525 {message, type}: send all three.
    return {"code": "video_generation_failed", "message": message, "type": "video_generation_error"}


def content_url(base_url: str, job: Job) -> str:
    return f"{base_url}/v1/videos/{job.id}/content"


def _url(job: Job, base_url: str) -> str | None:
    return content_url(base_url, job) if job.status == "completed" else None


APIMART_STATUS = {
    "queued": "pending",
    "in_progress": "processing",
    "completed": "completed",
    "failed": "failed",
}


def _task_result(job: Job, base_url: str) -> Any:
    if job.status != "completed":
        return OMIT
    url = f"{base_url}/apimart/files/{job.id}.mp4"
    if job.session != DEFAULT_SESSION:  # a link needs no header: it names its session itself
        url += "?session=" + quote(job.session, safe="")
    return {"videos": [{"url": [url], "expires_at": _ts(job.expires_at)}]}


def _actual_time(job: Job, base_url: str) -> Any:
    if job.status != "completed" or job.completed_at is None:
        return OMIT
    return max(0, int(job.completed_at - job.created_at))


#: Where each member's value comes from, by the member's name in the response schemas: a Python
#: expression in `job` and `base_url` (and this module's helpers). A shape's expressions are
#: compiled together into one function (ResponseShape), so a poll builds its body in one call.
VIDEO_FIELDS: dict[str, str] = {
    "id": "job.id",
    "model": "job.model",
    "status": "job.status",
    "progress": "job.progress",
    "created_at": "int(job.created_at)",
    "created": "int(job.created_at)",
    "completed_at": "_ts(job.completed_at)",
    "expires_at": "_ts(job.expires_at)",
    "prompt": "job.prompt",
    "size": "job.size",
    "seconds": "job.seconds",
    "duration": "job.duration",
    "width": "job.width",
    "height": "job.height",
    "url": "_url(job, base_url)",
    "remixed_from_video_id": "job.remixed_from",
    "error": "job_error(job)",
}

#: The APIMart task; a member whose expression gives OMIT is left out.
TASK_FIELDS: dict[str, str] = {
    "id": "job.id",
    "status": "APIMART_STATUS[job.status]",
    "progress": "job.progress",
    "created": "int(job.created_at)",
    # How long a job takes under the time policy; other policies cannot say.
    "estimated_time": "int(job.policy_arg) if job.policy == 'time' else 0",
    "completed": "_ts(job.completed_at) if job.status == 'completed' else OMIT",
    "actual_time": "_actual_time(job, base_url)",
    "result": "_task_result(job, base_url)",
    "error": "{'message': job.error_message or 'Video generation failed'} if job.status == 'failed' else OMIT",
}


class ResponseShape:
    """One response schema's members, compiled once into a single function that returns the dict
    literal (as `dataclasses` compiles `__init__`): no loop and no call per member on the poll
    path (bench/NOTES.md). A `const` member takes the spec's constant."""

    def __init__(self, spec: Spec, shape: str, fields: dict[str, str], may_omit: bool = False) -> None:
        shapes = spec.document["components"].get("x-response-shapes", {})
        if shape not in shapes:
            raise LookupError(f"{spec.name}: components/x-response-shapes has no {shape!r}")
        schema = spec.resolve(shapes[shape])
        namespace: dict[str, Any] = dict(globals())
        members: list[str] = []
        for index, (name, node) in enumerate(schema.get("properties", {}).items()):
            member = spec.resolve(node)
            if "const" in member:
                namespace[f"const{index}"] = member["const"]
                members.append(f"{name!r}: const{index}")
            elif name in fields:
                members.append(f"{name!r}: ({fields[name]})")
            else:
                raise LookupError(
                    f"{spec.name}: the {shape!r} response has a member {name!r} that the mock "
                    f"cannot fill: say where its value comes from in shapes.py"
                )
        body = "{" + ", ".join(members) + "}"
        if may_omit:
            body = f"{{k: v for k, v in {body}.items() if v is not OMIT}}"
        source = f"def build(job, base_url):\n    return {body}\n"
        # this module's own text (names through repr, constants through the namespace), under a
        # file name that tracebacks show
        exec(compile(source, f"<response shape {spec.name}:{shape}>", "exec"), namespace)  # noqa: S102
        self.build: Callable[[Job, str], dict[str, Any]] = namespace["build"]


_SHAPES: dict[tuple[str, str], ResponseShape] = {}


def response_shape(dialect: str, shape: str) -> ResponseShape:
    found = _SHAPES.get((dialect, shape))
    if found is None:
        task = dialect == "apimart"
        found = ResponseShape(get_spec(dialect), shape, TASK_FIELDS if task else VIDEO_FIELDS, may_omit=task)
        _SHAPES[(dialect, shape)] = found
    return found


def prepare(spec: Spec) -> None:
    """Build every shape a document names, so a member the mock cannot fill fails at start-up."""
    for shape in spec.document["components"].get("x-response-shapes", {}):
        response_shape(spec.name, shape)


def video_object(job: Job, base_url: str) -> dict[str, Any]:
    return response_shape("aihubmix", job.shape).build(job, base_url)


def apimart_task(job: Job, base_url: str) -> dict[str, Any]:
    return response_shape("apimart", job.shape).build(job, base_url)
