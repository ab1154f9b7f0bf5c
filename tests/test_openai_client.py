"""The official openai client, unmodified, against the mock on a real socket (the plugin's
`aihubmix_mock_url` fixture: jobs complete on the first status poll)."""

from __future__ import annotations

import io
import re

import openai
import pytest
from PIL import Image

from contract_tests.engine.media_check import image_format, probe_mp4
from contract_tests.engine.seeds import FIXTURES


@pytest.fixture
def client(aihubmix_mock_url):
    return openai.OpenAI(api_key="sk-gateway-test", base_url=f"{aihubmix_mock_url}/v1", max_retries=0)


def test_create_and_poll_then_download(client):
    video = client.videos.create_and_poll(
        model="sora-2", prompt="A cat on a piano", seconds="8", size="1280x720", poll_interval_ms=1
    )
    assert video.status == "completed" and video.progress == 100
    assert video.size == "1280x720" and video.seconds == "8"
    content = client.videos.download_content(video.id)
    width, height, seconds, frames = probe_mp4(content.content)
    assert (width, height) == (1280, 720) and abs(seconds - 8) < 0.5 and frames >= 8
    thumb = client.videos.download_content(video.id, variant="thumbnail")
    assert image_format(thumb.content) == "WEBP"
    sprites = client.videos.download_content(video.id, variant="spritesheet")
    assert image_format(sprites.content) == "JPEG"


def test_create_with_a_reference_file_and_extra_body(client):
    with open(FIXTURES / "reference.jpg", "rb") as image:
        video = client.videos.create(model="sora-2", prompt="The kitten naps", input_reference=image)
    assert video.status == "queued"
    seedance = client.videos.create(
        model="doubao-seedance-2-0-260128",
        prompt="Tea",
        extra_body={
            "content": [
                {"type": "image_url", "image_url": {"url": "https://e.com/a.jpg"}, "role": "reference_image"}
            ],
            "ratio": "1:1",
            "duration": 4,
            "generate_audio": False,
        },
    )
    assert seedance.status == "in_progress"
    raw = client.videos.with_raw_response.retrieve(seedance.id).http_response.json()
    assert (raw["width"], raw["height"], raw["duration"]) == (960, 960, 4)


def test_retrieve_list_remix_delete(client):
    ids = [client.videos.create(model="sora-2", prompt=f"clip {n}").id for n in range(5)]
    assert client.videos.retrieve(ids[0]).status == "completed"  # first poll completes (plugin default)
    listed = [v.id for v in client.videos.list(limit=2, order="asc")]  # auto-paginates via has_more
    assert listed == ids
    remix = client.videos.remix(ids[0], prompt="clip 0, at night")
    assert remix.remixed_from_video_id == ids[0]
    deleted = client.videos.delete(ids[1])
    assert deleted.deleted is True and deleted.id == ids[1]
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(ids[1])


def test_error_classes(client, aihubmix_mock_url):
    with pytest.raises(openai.BadRequestError) as bad:
        client.videos.create(model="sora-2", prompt="p", seconds="5")
    # production's body has no `param` or `code` (AHM-03..06): the message names the field and the rule
    assert bad.value.param is None and bad.value.code is None
    assert bad.value.body["message"].startswith("seconds:") and "[rule SORA-SECONDS]" in bad.value.message
    assert bad.value.response.headers["x-mock-rule"] == "SORA-SECONDS"
    assert bad.value.response.headers["x-mock-param"] == "seconds"
    assert bad.value.type == "Aihubmix_api_error"
    tid = bad.value.response.headers["x-request-id"]
    assert re.fullmatch(r"\d{31}", tid) and bad.value.body["message"].endswith(f"(tid: {tid})")
    job = client.videos.create(model="sora-2", prompt="p", extra_headers={"X-Mock-Policy": "manual"})
    with pytest.raises(openai.ConflictError):
        client.videos.download_content(job.id)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="not a key", base_url=f"{aihubmix_mock_url}/v1", max_retries=0).videos.list()
    with pytest.raises(openai.RateLimitError) as limited:
        client.videos.list(extra_headers={"X-Mock-Fault": "429"})
    assert limited.value.response.headers["retry-after"] == "1"
    with pytest.raises(openai.InternalServerError):
        client.videos.retrieve(job.id, extra_headers={"X-Mock-Fault": "503"})


def test_client_retries_injected_faults(aihubmix_mock_url):
    import httpx

    httpx.post(f"{aihubmix_mock_url}/__mock/faults", json={"status": 503, "count": 2, "method": "POST"})
    client = openai.OpenAI(api_key="sk-x", base_url=f"{aihubmix_mock_url}/v1", max_retries=2)
    video = client.videos.create(model="sora-2", prompt="after two 503s")
    assert video.id
    posts = httpx.get(
        f"{aihubmix_mock_url}/__mock/journal", params={"method": "POST", "path_prefix": "/v1/videos"}
    ).json()
    assert [e["status"] for e in posts["data"]] == [503, 503, 200]


def test_failed_job_through_create_and_poll(client):
    video = client.videos.create_and_poll(model="sora-2", prompt="a storm [mock:fail]", poll_interval_ms=1)
    assert video.status == "failed" and video.error and video.error.message


def test_file_object_is_really_an_image(client):
    # bytes that are not an image break a structural rule (REFERENCE-IS-IMAGE): refused in every mode
    for mode in ("documents", "production"):
        with pytest.raises(openai.BadRequestError) as bad:
            client.videos.create(
                model="sora-2",
                prompt="p",
                input_reference=("x.png", io.BytesIO(b"nope"), "image/png"),
                extra_headers={"X-Mock-Rules": mode},
            )
        assert bad.value.body["message"].startswith("input_reference.data: not an image")
        assert bad.value.response.headers["x-mock-rule"] == "REFERENCE-IS-IMAGE"
    # a real image of a type the documents do not name (GIF) breaks only a value rule: warned about
    gif = io.BytesIO()
    Image.new("RGB", (2, 2)).save(gif, "GIF")
    accepted = client.videos.with_raw_response.create(
        model="sora-2", prompt="p", input_reference=("x.gif", io.BytesIO(gif.getvalue()), "image/gif")
    )
    assert "REFERENCE-FORMAT" in accepted.headers["x-mock-unconfirmed-rules"]


def test_gateway_faults_reach_the_client_with_production_bodies(client):
    """Each named fault answers with production's status and message (the spec's examples), no
    Retry-After (no evidence of one), and the openai client raises the matching class."""
    with pytest.raises(openai.PermissionDeniedError) as balance:
        client.videos.create(model="sora-2", prompt="p", extra_headers={"X-Mock-Fault": "balance"})
    assert balance.value.body["message"].startswith("Your account balance is insufficient.")
    assert "retry-after" not in balance.value.response.headers
    with pytest.raises(openai.RateLimitError) as limited:
        client.videos.create(
            model="sora-2-pro", prompt="p", extra_headers={"X-Mock-Fault": "model-rate-limit"}
        )
    assert limited.value.body["message"].startswith("The sora-2-pro model Too many requests")
    assert "retry-after" not in limited.value.response.headers
    with pytest.raises(openai.InternalServerError) as channel:
        client.videos.create(model="sora-2", prompt="p", extra_headers={"X-Mock-Fault": "no-channel"})
    assert channel.value.status_code == 500 and channel.value.body["message"].startswith(
        "no_valid_channel_error (tid: "
    )
    assert client.videos.list().data == []  # no fault created a job


def test_delete_while_paging_gets_every_page(client):
    """openai-python's `for v in client.videos.list(): client.videos.delete(v.id)` asks for the next
    page after an id it has just deleted: the listing goes on from that place."""
    ids = {client.videos.create(model="sora-2", prompt=f"clip {n}").id for n in range(7)}
    deleted = []
    for video in client.videos.list(limit=3):
        client.videos.delete(video.id)
        deleted.append(video.id)
        assert len(deleted) <= len(ids), "the listing did not end"
    assert sorted(deleted) == sorted(ids) and len(deleted) == len(set(deleted))
    assert client.videos.list().data == []


def test_list_limit_zero_is_an_empty_page(client):
    client.videos.create(model="sora-2", prompt="one")
    page = client.videos.list(limit=0)
    assert page.data == [] and list(page) == []
