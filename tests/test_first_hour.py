"""Messages a newcomer meets in the first hour: each says what happened and what to do next."""

from __future__ import annotations

from starlette.testclient import TestClient

from aihubmix_mock import create_app

AUTH = {"Authorization": "Bearer sk-first-hour"}


def client() -> TestClient:
    return TestClient(create_app(job_seconds=0))


def test_a_failed_jobs_download_says_it_will_never_have_content():
    api = client()
    job = api.post("/v1/videos", json={"model": "sora-2", "prompt": "p"},
                   headers={**AUTH, "X-Mock-Outcome": "failed"}).json()
    assert api.get(f"/v1/videos/{job['id']}", headers=AUTH).json()["status"] == "failed"
    response = api.get(f"/v1/videos/{job['id']}/content", headers=AUTH)
    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert "failed" in message and "never" in message, message
