"""Making a job from a validated request: what it renders, how it lives, how it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .lifecycle import Policy
from .renderplan import RenderError, asked_or_default, has_audio, plan, prompt_of, without
from .spec import Spec, Violation
from .store import Job

if TYPE_CHECKING:  # the type only: the X-Mock-* directives come parsed on the Call
    from .endpoint import Call

FAIL_MARKER = "[mock:fail]"


def request_policy(call: Call) -> Policy:
    return call.directives.policy or call.mock.policy


def request_outcome(call: Call, prompt: str) -> str:
    if call.directives.outcome == "failed" or FAIL_MARKER in prompt:
        return "failed"
    return call.directives.outcome or call.mock.config.outcome


def new_job(
    call: Call,
    spec: Spec,
    variant: str,
    body: dict[str, Any],
    *,
    dialect: str,
    base: str = "CreateVideoRequest",
    warnings: tuple[Violation, ...] = (),
) -> Job:
    """A normal job. `warnings`: the unconfirmed rules the request broke (production mode); the
    values that broke them are replaced by the spec's defaults for rendering and echoing."""
    ignore = [v.param for v in warnings]
    try:
        width, height, seconds = plan(spec, variant, body, ignore)
    except RenderError as exc:  # the spec tests keep this unreachable; say so if it is not
        raise ApiError(400, f"cannot render this request: {exc}") from None
    if warnings:
        body = without(body, ignore)
    policy = request_policy(call)
    prompt = prompt_of(spec, variant, body)
    model = body["model"]
    ttl = (
        spec.extension(variant, "x-content-ttl-seconds")
        or spec.extension(base, "x-content-ttl-seconds")
        or 86400
    )
    shape = "apimart" if dialect == "apimart" else spec.extension(variant, "x-response-shape", "gateway")
    initial = "queued" if dialect == "apimart" else spec.extension(variant, "x-initial-status", "in_progress")
    return Job(
        id=call.mock.ids.task_id()
        if dialect == "apimart"
        else call.mock.ids.video_id(model, call.mock.config.channel),
        owner=call.owner,
        dialect=dialect,
        model=model,
        variant=variant,
        shape=shape,
        prompt=prompt,
        width=width,
        height=height,
        duration=seconds,
        size=asked_or_default(spec, variant, body, "size"),
        seconds=asked_or_default(spec, variant, body, "seconds"),
        initial=initial,
        created_at=call.mock.clock.now(),
        policy=policy.kind,
        policy_arg=policy.arg,
        ttl=int(ttl),
        delete_supported=spec.extension(variant, "x-delete", "supported") != "not_supported",
        outcome=request_outcome(call, prompt),
        audio=has_audio(spec, variant, body),
    )
