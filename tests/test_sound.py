"""Sound: the MP4 carries an AAC track exactly when the spec's `x-audio` says the request has sound
(Sora, Veo 3+, Wan 2.5+, Seedance with generate_audio, Kling omni with sound "on"), of the video's
duration, and none otherwise. Decoded with PyAV."""

from __future__ import annotations

import struct

import pytest
from starlette.testclient import TestClient

from aihubmix_mock import create_app
from aihubmix_mock.media import AUDIO_RATE
from aihubmix_mock.persist import SqliteState
from contract_tests.engine import generate
from contract_tests.engine.media_check import probe_audio, probe_mp4

AUTH = {"Authorization": "Bearer sk-sound"}

# What the issue and the evidence say, written out, so that a wrong x-audio in the spec fails here.
CASES = [
    ({"model": "sora-2", "prompt": "p", "seconds": "4"}, True),
    ({"model": "veo-3.1-generate-preview", "prompt": "p", "seconds": "4"}, True),
    ({"model": "veo-3.0-generate-preview", "prompt": "p"}, True),
    ({"model": "veo-2.0-generate-001", "prompt": "p"}, False),
    ({"model": "wan2.6-t2v", "prompt": "p", "size": "1280*720"}, True),
    ({"model": "wan2.5-t2v-preview", "prompt": "p", "size": "832*480"}, True),
    ({"model": "wan2.2-t2v-plus", "prompt": "p", "size": "832*480"}, False),
    ({"model": "jimeng-3.0-pro", "prompt": "p"}, False),
    (
        {"model": "doubao-seedance-2-0-260128", "prompt": "p", "duration": 4},
        True,
    ),  # generate_audio defaults to true
    ({"model": "doubao-seedance-2-0-260128", "prompt": "p", "duration": 4, "generate_audio": False}, False),
    (
        {
            "model": "doubao-seedance-2-0-fast-260128",
            "prompt": "p",
            "extra_body": {"generate_audio": False, "duration": 4},
        },
        False,
    ),
    ({"model": "kling-v3-omni", "prompt": "p", "duration": "5", "sound": "on"}, True),
    ({"model": "kling-v3-omni", "prompt": "p", "duration": "5"}, False),  # sound defaults to off
    ({"model": "kling-v2-6", "prompt": "p", "duration": "5"}, False),
]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(job_seconds=0))


def _download(client, body: dict, **headers) -> tuple[dict, bytes]:
    created = client.post("/v1/videos", json=body, headers={**AUTH, **headers})
    assert created.status_code == 200, created.text
    job = client.get(f"/v1/videos/{created.json()['id']}", headers=AUTH).json()
    assert job["status"] == "completed"
    content = client.get(f"/v1/videos/{job['id']}/content", headers=AUTH)
    assert content.status_code == 200 and content.headers["content-type"] == "video/mp4"
    return job, content.content


def _loudest(data: bytes) -> float:
    """The largest decoded sample: the track is a tone, not silence."""
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        peak = 0.0
        for frame in container.decode(container.streams.audio[0]):
            plane = bytes(frame.planes[0])[: frame.samples * 4]
            peak = max(peak, max(abs(v) for v in struct.unpack(f"<{frame.samples}f", plane)))
        return peak


@pytest.mark.parametrize(
    ("body", "sound"),
    CASES,
    ids=[
        f"{c[0]['model']}-{'sound' if c[1] else 'silent'}"
        + ("-" + ",".join(sorted(set(c[0]) - {"model", "prompt"})))
        for c in CASES
    ],
)
def test_audio_track_exactly_when_the_model_makes_sound(client, body, sound):
    variant = generate.variants("aihubmix", "CreateVideoRequest")[body["model"]]
    assert generate.expected_audio("aihubmix", variant, body) is sound, "the spec's x-audio says otherwise"
    _, data = _download(client, body)
    width, height, seconds, _ = probe_mp4(data)
    audio = probe_audio(data)
    if not sound:
        assert audio is None, f"a silent model's MP4 has an audio stream: {audio}"
        return
    assert audio is not None, "no audio stream"
    codec, duration, samples = audio
    assert codec == "aac"
    assert duration == pytest.approx(seconds, abs=1e-6), f"audio {duration}s, video {seconds}s"
    expected = round(seconds) * AUDIO_RATE
    assert expected <= samples <= expected + 1024, samples  # AAC pads its last frame
    assert _loudest(data) > 0.01


def test_remix_keeps_the_sound(client):
    job, _ = _download(client, {"model": "sora-2", "prompt": "p", "seconds": "4"})
    remix = client.post(f"/v1/videos/{job['id']}/remix", json={"prompt": "again"}, headers=AUTH).json()
    client.get(f"/v1/videos/{remix['id']}", headers=AUTH)
    content = client.get(f"/v1/videos/{remix['id']}/content", headers=AUTH).content
    assert probe_audio(content) is not None


def test_sound_is_part_of_the_media_cache_key():
    """A silent and a sounding job of the same size and duration get different files."""
    client = TestClient(create_app(job_seconds=0))
    base = {"model": "doubao-seedance-2-0-260128", "prompt": "p", "duration": 4, "ratio": "1:1"}
    _, loud = _download(client, base)
    _, quiet = _download(client, {**base, "generate_audio": False})
    assert probe_audio(loud) is not None and probe_audio(quiet) is None
    assert client.get("/__mock/health").json()["media_renders"] == 2


def test_apimart_sora_has_sound():
    client = TestClient(create_app(job_seconds=0))
    task = client.post(
        "/v1/videos/generations", json={"model": "sora-2-preview", "prompt": "p"}, headers=AUTH
    )
    task_id = task.json()["data"][0]["task_id"]
    client.get(f"/v1/tasks/{task_id}", headers=AUTH)
    data = client.get(f"/apimart/files/{task_id}.mp4").content
    assert probe_audio(data) is not None


def test_the_job_remembers_its_sound_across_restarts(tmp_path):
    path = str(tmp_path / "state.db")
    app = create_app(job_seconds=0, state_file=path)
    client = TestClient(app)
    loud = client.post("/v1/videos", json=CASES[0][0], headers=AUTH).json()["id"]
    quiet = client.post("/v1/videos", json=CASES[3][0], headers=AUTH).json()["id"]
    app.state.mock.close()
    jobs = {job.id: job for job in SqliteState(path).load()}
    assert jobs[loud].audio is True and jobs[quiet].audio is False
