"""From a job to the JSON its response schema describes.

Which members a response has, and in which order, is the spec's: each document maps the shape
names its variants use (`x-response-shape`, and `apimart` for the APIMart task) to a schema in
`components/x-response-shapes`. Python says only where each member's value comes from (`FIELDS`),
once per member name; a `const` member takes the spec's constant. The member list is computed once
per schema (the poll path is benchmarked), and a member the mock cannot fill fails at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .spec import Spec, get_spec
from .store import Job

Getter = Callable[[Job, str], Any]

#: A getter's answer for a member that this job's response leaves out.
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
    return {
        "videos": [{"url": [f"{base_url}/apimart/files/{job.id}.mp4"], "expires_at": _ts(job.expires_at)}]
    }


def _actual_time(job: Job, base_url: str) -> Any:
    if job.status != "completed" or job.completed_at is None:
        return OMIT
    return max(0, int(job.completed_at - job.created_at))


#: Where each member's value comes from, by the member's name in the response schemas: the name of
#: a `Job` attribute, or a function of the job and the base URL.
VIDEO_FIELDS: dict[str, Getter | str] = {
    "id": "id",
    "model": "model",
    "status": "status",
    "progress": "progress",
    "created_at": lambda job, _: _ts(job.created_at),
    "created": lambda job, _: _ts(job.created_at),
    "completed_at": lambda job, _: _ts(job.completed_at),
    "expires_at": lambda job, _: _ts(job.expires_at),
    "prompt": "prompt",
    "size": "size",
    "seconds": "seconds",
    "duration": "duration",
    "width": "width",
    "height": "height",
    "url": _url,
    "remixed_from_video_id": "remixed_from",
    "error": lambda job, _: job_error(job),
}

TASK_FIELDS: dict[str, Getter | str] = {
    "id": "id",
    "status": lambda job, _: APIMART_STATUS[job.status],
    "progress": "progress",
    "created": lambda job, _: _ts(job.created_at),
    # How long a job takes under the time policy; other policies cannot say.
    "estimated_time": lambda job, _: int(job.policy_arg) if job.policy == "time" else 0,
    "completed": lambda job, _: _ts(job.completed_at) if job.status == "completed" else OMIT,
    "actual_time": _actual_time,
    "result": _task_result,
    "error": lambda job, _: (
        {"message": job.error_message or "Video generation failed"} if job.status == "failed" else OMIT
    ),
}


_JOB_ATTRIBUTES = frozenset(Job.__dataclass_fields__)


class ResponseShape:
    """One response schema's members, each with where its value comes from, compiled once into a
    single function that returns the dict (as `dataclasses` compiles `__init__`): a poll builds its
    body in one call, with no loop and no call per plain attribute (bench/NOTES.md)."""

    def __init__(
        self, spec: Spec, shape: str, getters: dict[str, Getter | str], may_omit: bool = False
    ) -> None:
        shapes = spec.document["components"].get("x-response-shapes", {})
        if shape not in shapes:
            raise LookupError(f"{spec.name}: components/x-response-shapes has no {shape!r}")
        schema = spec.resolve(shapes[shape])
        self.names = list(schema.get("properties", {}))
        namespace: dict[str, Any] = {}
        members: list[str] = []
        for index, (name, node) in enumerate(schema.get("properties", {}).items()):
            member = spec.resolve(node)
            source = member["const"] if "const" in member else getters.get(name, _MISSING)
            if "const" in member:
                namespace[f"c{index}"] = source
                members.append(f"{name!r}: c{index}")
            elif isinstance(source, str):
                if source not in _JOB_ATTRIBUTES:
                    raise LookupError(f"shapes.py: {name!r} reads Job.{source}, which Job does not have")
                members.append(f"{name!r}: job.{source}")
            elif source is not _MISSING:
                namespace[f"g{index}"] = source
                members.append(f"{name!r}: g{index}(job, base_url)")
            else:
                raise LookupError(
                    f"{spec.name}: the {shape!r} response has a member {name!r} that the mock "
                    f"cannot fill: say where its value comes from in shapes.py"
                )
        self.may_omit = may_omit  # whether a getter may answer OMIT
        body = "{" + ", ".join(members) + "}"
        if may_omit:
            namespace["OMIT"] = OMIT
            body = f"{{k: v for k, v in {body}.items() if v is not OMIT}}"
        exec(f"def build(job, base_url):\n    return {body}\n", namespace)  # noqa: S102 (our own names)
        self.build: Callable[[Job, str], dict[str, Any]] = namespace["build"]


_MISSING: Any = object()


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
    return response_shape("apimart", "apimart").build(job, base_url)
