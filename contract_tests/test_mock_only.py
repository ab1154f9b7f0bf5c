"""What only the mock does: forcing outcomes, injecting faults, the control plane and its clock.
Against production these skip, with the reason."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.mock_only
SORA = {"model": "sora-2", "prompt": "A fox in the snow", "seconds": "4"}


def test_forced_failure_by_header(api, control):
    job = api.create_ok(SORA, headers={"X-Mock-Outcome": "failed"})
    final = api.wait(job["id"])
    assert final["status"] == "failed"
    assert isinstance(final["error"], dict) and final["error"]["message"]
    assert api.content(job["id"]).status_code == 409


def test_forced_failure(api, control):
    """FAILED-ERROR: a prompt marker fails the job with the documented error object (002:516-525)."""
    job = api.create_ok({"model": "wan2.6-t2v", "prompt": "explode [mock:fail]"})
    final = api.wait(job["id"])
    assert final["status"] == "failed"
    assert final["error"]["message"] and final["error"].get("type") == "video_generation_error"


def test_injected_429_has_retry_after(api, control):
    control.control("POST", "/faults", json={"status": 429, "count": 2, "retry_after": 3, "method": "GET"})
    for _ in range(2):
        response = api.send("GET", "/v1/videos", faults=True)
        assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert api.list().status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_injected_server_errors(api, control, status):
    response = api.send("GET", "/v1/videos", headers={"X-Mock-Fault": str(status)}, faults=True)
    assert response.status_code == status and response.json()["error"]["message"]


def test_manual_policy_moves_only_when_told(api, control):
    job = api.create_ok(SORA, headers={"X-Mock-Policy": "manual"})
    control.control("POST", "/clock/advance", json={"seconds": 3600})
    assert api.get(job["id"]).json()["status"] == "queued"
    control.control("POST", f"/jobs/{job['id']}/advance", json={})
    assert api.get(job["id"]).json()["status"] == "in_progress"
    control.control("POST", f"/jobs/{job['id']}/advance", json={"to": "completed"})
    assert api.get(job["id"]).json()["status"] == "completed"


def test_polls_policy_and_poll_after_header(api, control):
    job = api.create_ok(SORA, headers={"X-Mock-Policy": "polls=3"})
    statuses = []
    for _ in range(3):
        response = api.get(job["id"])
        assert "openai-poll-after-ms" in response.headers
        statuses.append(response.json()["status"])
    assert statuses == ["in_progress", "in_progress", "completed"]


def test_downloads_expire(api, control):
    job = api.create_ok(SORA)
    final = api.wait(job["id"])
    assert api.content(job["id"]).status_code == 200
    control.control("POST", "/clock/advance", json={"seconds": final["expires_at"] - final["completed_at"] + 1})
    assert api.content(job["id"]).status_code == 404
    assert api.get(job["id"]).status_code == 200


def test_journal_records_requests_without_keys(api, control):
    control.control("DELETE", "/journal")
    api.create_ok({**SORA, "prompt": "journal me"})
    entries = control.control("GET", "/journal", params={"method": "POST", "path_prefix": "/v1/videos"}).json()["data"]
    assert entries[-1]["body"]["prompt"] == "journal me" and entries[-1]["status"] == 200
    text = str(entries)
    assert api.key not in text, "the journal shows a key in clear"
    assert "authorization" not in {h.lower() for e in entries for h in e["headers"]}


def test_reset_forgets_everything(api, control):
    job = api.create_ok(SORA)
    control.control("POST", "/reset")
    assert api.get(job["id"]).status_code == 404
