"""Lifecycle properties, for one model of each request variant: statuses only move forward and end
in completed or failed; progress stays in 0-100 and never decreases; the id never changes; a
completed job has sane timestamps and a decodable MP4 of the size and duration it promised."""

from __future__ import annotations

import pytest
from hypothesis import settings

from .engine import generate, plan
from .engine.media_check import probe_audio, probe_mp4

ORDER = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
VARIANT_MODELS: dict[str, str] = {}
for _model, _variant in generate.variants("aihubmix", "CreateVideoRequest").items():
    VARIANT_MODELS.setdefault(_variant, _model)
SORA = generate.sora_models()


def check_history(history: list[dict], model: str) -> None:
    ids = {job["id"] for job in history}
    assert len(ids) == 1, f"the id changed while polling: {ids}"
    statuses = [job["status"] for job in history]
    for status in statuses:
        assert status in ORDER, f"unknown status {status!r} (allowed: {sorted(ORDER)})"
    ranks = [ORDER[s] for s in statuses]
    assert ranks == sorted(ranks), f"status moved backwards: {statuses}"
    assert statuses[-1] in ("completed", "failed")
    if model not in SORA:
        assert "queued" not in statuses, f"queued is Sora-specific (002:136), {model} reported {statuses}"
    progress: list[int] = [job["progress"] for job in history if job.get("progress") is not None]
    assert all(0 <= p <= 100 for p in progress), f"progress out of 0..100: {progress}"
    assert progress == sorted(progress), f"progress decreased: {progress}"


@pytest.mark.bills(jobs=1, priority=plan.openai_family_first)
@pytest.mark.parametrize("variant", sorted(VARIANT_MODELS))
def test_job_lifecycle_and_content(api, keyed, variant):
    """The smallest request of each variant, start to finish (one billable job each)."""
    check_job(api, variant, generate.minimal("aihubmix", variant))


@pytest.mark.bills(jobs=plan.lifecycle_examples)
@pytest.mark.parametrize("variant", sorted(VARIANT_MODELS))
def test_lifecycle_properties_over_the_valid_space(api, keyed, target, variant):
    """The same properties for requests drawn from the variant's whole valid space (sizes, durations,
    references, extras): a few per variant in the fast profile, many in the deep one."""
    from .test_model_rules import run_examples

    examples = 12 if settings.get_current_profile_name().startswith("deep") else 2
    run_examples(
        target, generate.valid("aihubmix", variant), lambda body: check_job(api, variant, body), examples
    )


def check_job(api, variant: str, body: dict) -> None:
    model = body["model"]
    api.checking("accepted")
    created = api.create_ok(body)
    history = [created]
    api.checking("lifecycle")
    final = api.wait(created["id"], history=history)
    check_history(history, model)
    assert final["status"] == "completed", f"job failed: {final.get('error')}"
    width, height, seconds = generate.expected_render("aihubmix", variant, body)
    if model in SORA:
        assert final["progress"] == 100
        assert final["completed_at"] >= final["created_at"]
        assert final["expires_at"] > final["created_at"]
        api.checking("echo")
        assert final["size"] == body.get("size", generate.default_of("aihubmix", variant, "size"))
        assert final["seconds"] == body.get("seconds", generate.default_of("aihubmix", variant, "seconds"))
        width, height = (int(n) for n in final["size"].split("x"))
        seconds = int(final["seconds"])
    else:
        api.checking("dimensions")
        assert (final["width"], final["height"], final["duration"]) == (width, height, seconds), (
            f"the finished job says {final['width']}x{final['height']} {final['duration']}s, "
            f"the spec says {width}x{height} {seconds}s"
        )
        if final.get("completed_at") is not None and final.get("created") is not None:
            assert final["completed_at"] >= final["created"]
        if final.get("expires_at") is not None and final.get("created") is not None:
            assert final["expires_at"] > final["created"]
    api.checking("content")
    response = api.content(created["id"])
    assert response.status_code == 200, (
        f"content of a completed job: {response.status_code} {response.text[:200]}"
    )
    assert response.headers["content-type"].startswith("video/mp4")
    api.checking("lifecycle")  # a finished job keeps its content: its first KiB again (cheap on any target)
    again = api.send("GET", f"/v1/videos/{created['id']}/content", headers={"Range": "bytes=0-1023"})
    assert again.status_code in (200, 206) and again.content[:1024] == response.content[:1024], (
        f"the content of {created['id']} changed on a second read ({again.status_code})"
    )
    api.checking("content")
    got = probe_mp4(response.content)
    api.checking("dimensions")
    assert got[:2] == (width, height), f"MP4 is {got[0]}x{got[1]}, the job says {width}x{height}"
    assert abs(got[2] - seconds) < 0.5, f"MP4 lasts {got[2]:.2f}s, the job says {seconds}s"
    sound = probe_audio(response.content)
    if generate.expected_audio("aihubmix", variant, body):  # the spec's x-audio (inferred, see there)
        assert sound is not None, (
            f"{model}: the spec gives this request sound (x-audio); the MP4 has no audio stream"
        )
        assert abs(sound[1] - seconds) < 0.5, f"the soundtrack lasts {sound[1]:.2f}s, the video {seconds}s"
    else:
        assert sound is None, f"{model}: the spec gives this request no sound (x-audio); the MP4 has {sound}"
