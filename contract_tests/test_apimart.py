"""APIMart's dialect (seed 004, api-facts): the {code, data} envelope, task states, result URLs."""

from __future__ import annotations

import httpx
import pytest

from .engine import seeds
from .engine.media_check import probe_mp4

pytestmark = pytest.mark.apimart
STATES = {"pending": 0, "processing": 1, "completed": 2, "failed": 2, "cancelled": 2}


@pytest.mark.bills(jobs=1)
def test_submit_envelope(api, keyed):
    body = seeds.seed_requests("apimart")[0]["body"]
    response = api.apimart_create(body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["code"] == 200
    assert data["data"][0]["status"] == "submitted"
    assert data["data"][0]["task_id"].startswith("task_")


@pytest.mark.bills(jobs=1)
def test_task_states_and_result(api, keyed, target):
    body = {
        "model": "sora-2-pro-preview",
        "prompt": "A waterfall",
        "duration": 4,
        "aspect_ratio": "portrait",
        "resolution": "high",
    }
    task_id = api.apimart_create(body).json()["data"][0]["task_id"]
    seen, waited = [], 0.0
    while True:
        response = api.apimart_task(task_id)
        assert response.status_code == 200, response.text
        envelope = response.json()
        assert envelope["code"] == 200
        task = envelope["data"]
        assert task["id"] == task_id and task["status"] in STATES
        assert 0 <= task["progress"] <= 100
        seen.append(task)
        if STATES[task["status"]] == 2:
            break
        assert waited < target.job_timeout, f"task not finished after {waited:.0f}s"
        waited += target.pause()
    ranks = [STATES[t["status"]] for t in seen]
    assert ranks == sorted(ranks), [t["status"] for t in seen]
    assert [t["progress"] for t in seen] == sorted(t["progress"] for t in seen)
    final = seen[-1]
    assert final["status"] == "completed", final
    api.checking("lifecycle")
    api.apimart_task(task_id)  # read once more: a finished task stays finished (the client checks it)
    urls = final["result"]["videos"][0]["url"]
    assert isinstance(urls, list) and urls, "result.videos[].url is an array (api-facts)"
    url = urls[0]
    if target.app is not None and url.startswith(target.base_url):
        video = target.client.get(url)
    else:
        video = httpx.get(url, timeout=120, follow_redirects=True)
    assert video.status_code == 200
    width, height, seconds, _ = probe_mp4(video.content)
    assert (width, height) == (1024, 1792) and abs(seconds - 4) < 0.5


def test_unknown_task_is_404_with_integer_code(api, keyed):
    response = api.apimart_task("task_00000000000000000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404  # APM-07's shape: the HTTP status as an integer


@pytest.mark.bills(surprises=1)
def test_no_key_is_401_in_the_gateway_shape(api):
    """APM-06 (a live probe): code "", param "", type apimart_error, and the request id both in the
    message and in the X-Oneapi-Request-Id header."""
    response = api.send(
        "POST", "/v1/videos/generations", auth=False, json={"model": "sora-2-preview", "prompt": "p"}
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == ("", "", "apimart_error"), error
    request_id = response.headers.get("x-oneapi-request-id")
    assert request_id and error["message"].endswith(f"(request id: {request_id})"), (error, response.headers)
