"""multipart/form-data as openai-python and LiteLLM send it (api-facts): every parameter a field,
file parts for references, booleans as "true"/"false", nesting in bracket notation."""

from __future__ import annotations

import pytest

from .engine import evidence, generate, seeds
from .test_model_rules import assert_rejected, send_breaking


@pytest.mark.bills(jobs=1)
@pytest.mark.parametrize("image", ["reference.png", "reference.jpg", "reference.webp"])
def test_reference_file_part(api, keyed, image):
    file = seeds.FilePart(image).as_httpx("input_reference")
    response = api.create(
        {"model": "sora-2", "prompt": "The kitten naps", "size": "1280x720", "seconds": "4"}, files=[file]
    )
    assert response.status_code == 200, response.text
    assert response.json()["size"] == "1280x720"


@pytest.mark.bills(jobs=1)
def test_reference_file_part_for_image_to_video(api, keyed):
    file = seeds.FilePart("reference.jpg").as_httpx("input_reference")
    response = api.create(
        {"model": "wan2.6-i2v", "prompt": "The cat turns", "seconds": "3", "size": "1280*720"}, files=[file]
    )
    assert response.status_code == 200, response.text
    assert (response.json()["width"], response.json()["height"]) == (1280, 720)


@pytest.mark.bills(surprises=1)
def test_non_image_file_part_is_rejected(api, keyed, target):
    """A file part is decoded as `{mime_type, data}`: bytes that are no image break `data`'s rule."""
    rule = _object_member_rule("sora-2", "input_reference", "data")
    files = [("input_reference", ("notes.png", b"this is not a picture", "image/png"))]
    response = send_breaking(
        api,
        target,
        rule,
        "sora-2",
        lambda billable: api.create({"model": "sora-2", "prompt": "p"}, billable=billable, files=files),
    )
    assert_rejected(
        response, "input_reference.data,input_reference", why=f"a file part that is no image (rule {rule})"
    )


def _object_member_rule(model: str, parameter: str, member: str) -> str | None:
    """The x-rule of `member` in the object form of a parameter (the spec's, not written here)."""
    variant = generate.variants("aihubmix", "CreateVideoRequest")[model]
    node = generate.resolve("aihubmix", generate.schemas("aihubmix")[variant]["properties"][parameter])
    for branch in [node, *node.get("anyOf", []), *node.get("oneOf", [])]:
        branch = generate.resolve("aihubmix", branch)
        sub = generate.resolve("aihubmix", branch.get("properties", {}).get(member, {}))
        if sub.get("x-rule"):
            return sub["x-rule"]
    return evidence.rule_of_parameter(model, parameter)


@pytest.mark.bills(jobs=1)
def test_text_only_multipart(api, keyed):
    response = api.create(
        {
            "model": "veo-3.1-generate-preview",
            "prompt": "Koi in a pond",
            "seconds": "6",
            "size": "1080p",
            "aspect_ratio": "9:16",
        },
        multipart=True,
    )
    assert response.status_code == 200, response.text
    job = response.json()
    assert (job["width"], job["height"], job["duration"]) == (1080, 1920, 6)


@pytest.mark.bills(jobs=1)
def test_extra_body_fields_in_bracket_notation(api, keyed):
    """Seedance through openai-python: extra_body keys become top-level fields (content[][type] …)."""
    body = {
        "model": "doubao-seedance-2-0-260128",
        "prompt": "A fruit tea commercial",
        "content": [
            {
                "type": "image_url",
                "image_url": {"url": "https://example.com/a.jpg"},
                "role": "reference_image",
            },
            {
                "type": "audio_url",
                "audio_url": {"url": "https://example.com/a.mp3"},
                "role": "reference_audio",
            },
        ],
        "ratio": "9:16",
        "resolution": "480p",
        "duration": 6,
        "generate_audio": False,
        "watermark": True,
    }
    response = api.create(body, multipart=True)
    assert response.status_code == 200, response.text
    job = response.json()
    assert (job["width"], job["height"], job["duration"]) == (480, 864, 6)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "sora-2", "prompt": "p", "seconds": "5"}, "seconds"),
        ({"model": "veo-3.1-generate-preview", "prompt": "p", "size": "1024x1024"}, "size"),
        (
            {"model": "doubao-seedance-2-0-260128", "prompt": "p", "generate_audio": "perhaps"},
            "generate_audio",
        ),
    ],
)
@pytest.mark.bills(surprises=1)
def test_multipart_rules_are_the_json_rules(api, keyed, target, body, param):
    rule = evidence.rule_of_parameter(body["model"], param)
    response = send_breaking(
        api, target, rule, body["model"], lambda billable: api.create(body, multipart=True, billable=billable)
    )
    assert_rejected(response, param, why=f"multipart {param} (rule {rule})")


@pytest.mark.bills(jobs=2)
def test_remix_as_multipart(api, keyed):
    job = api.create_ok({"model": "sora-2", "prompt": "A harbour"})
    assert api.wait(job["id"])["status"] == "completed"
    from .engine.api import multipart_body

    content, ctype = multipart_body({"prompt": "A harbour at night"})
    response = api.send(
        "POST", f"/v1/videos/{job['id']}/remix", content=content, headers={"Content-Type": ctype}
    )
    assert response.status_code == 200, response.text
    assert response.json()["remixed_from_video_id"] == job["id"]
