"""Making a job from a validated request: what it renders, how it lives, how it ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ApiError
from .job import Job
from .lifecycle import Policy
from .renderplan import RenderError, asked_or_default, has_audio, plan, prompt_of, without
from .spec import Spec, Violation

FAIL_MARKER = "[mock:fail]"


def outcome_of(asked: str, prompt: str) -> str:
    """How a job ends: as asked (the outcome directive, else the server's), unless the prompt says
    `[mock:fail]`."""
    return "failed" if FAIL_MARKER in prompt else asked


def new_job(
    spec: Spec,
    variant: str,
    body: dict[str, Any],
    *,
    owner: str,
    session: str,
    now: float,
    policy: Policy,
    outcome: str,
    new_id: Callable[[str], str],
    base: str = "CreateVideoRequest",
    warnings: tuple[Violation, ...] = (),
) -> Job:
    """A normal job of `spec`'s dialect, from a validated request. `new_id(model)` makes its id
    (the caller's session's id source). `warnings`: the unconfirmed rules the request broke
    (production mode); the values that broke them are replaced by the spec's defaults for
    rendering and echoing. Its response shape and first status are the spec's (`x-response-shape`,
    `x-initial-status` on the variant, else on `base`)."""
    ignore = [v.param for v in warnings]
    try:
        width, height, seconds = plan(spec, variant, body, ignore)
    except RenderError as exc:  # the spec tests keep this unreachable; say so if it is not
        raise ApiError(400, f"cannot render this request: {exc}") from None
    if warnings:
        body = without(body, ignore)
    prompt = prompt_of(spec, variant, body)
    model = body["model"]

    def extension(name: str, default: Any) -> Any:
        return spec.extension(variant, name) or spec.extension(base, name) or default

    return Job(
        id=new_id(model),
        owner=owner,
        dialect=spec.name,
        model=model,
        variant=variant,
        shape=extension("x-response-shape", "gateway"),
        prompt=prompt,
        width=width,
        height=height,
        duration=seconds,
        size=asked_or_default(spec, variant, body, "size"),
        seconds=asked_or_default(spec, variant, body, "seconds"),
        initial=extension("x-initial-status", "in_progress"),
        created_at=now,
        policy=policy.kind,
        policy_arg=policy.arg,
        ttl=int(extension("x-content-ttl-seconds", 86400)),
        delete_supported=spec.extension(variant, "x-delete", "supported") != "not_supported",
        outcome=outcome_of(outcome, prompt),
        audio=has_audio(spec, variant, body),
        session=session,
    )
