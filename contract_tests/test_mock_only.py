"""What only the mock does: forcing outcomes, injecting faults, the control plane and its clock.
Against production these skip, with the reason."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.mock_only
SORA = {"model": "sora-2", "prompt": "A fox in the snow", "seconds": "4"}


@pytest.mark.bills(jobs=1)
def test_forced_failure_by_header(api, control):
    job = api.create_ok(SORA, headers={"X-Mock-Outcome": "failed"})
    final = api.wait(job["id"])
    assert final["status"] == "failed"
    assert isinstance(final["error"], dict) and final["error"]["message"]
    assert api.content(job["id"]).status_code == 409


@pytest.mark.bills(jobs=1)
def test_forced_failure(api, control):
    """FAILED-ERROR: a prompt marker fails the job with the documented error object (002:516-525)."""
    job = api.create_ok({"model": "wan2.6-t2v", "prompt": "explode [mock:fail]"})
    final = api.wait(job["id"])
    assert final["status"] == "failed"
    assert final["error"]["message"] and final["error"].get("type") == "video_generation_error"


def test_injected_429_has_retry_after(api, keyed, control):
    control.control("POST", "/faults", json={"status": 429, "count": 2, "retry_after": 3, "method": "GET"})
    for _ in range(2):
        # the 429 asked for is not retried; a 503 from a network in between still is
        response = api.send("GET", "/v1/videos", faults=frozenset({429}))
        assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert api.list().status_code == 200


@pytest.mark.parametrize("status", [500, 503])
def test_injected_server_errors(api, control, status):
    response = api.send(
        "GET", "/v1/videos", headers={"X-Mock-Fault": str(status)}, faults=frozenset({status})
    )
    assert response.status_code == status and response.json()["error"]["message"]


@pytest.mark.bills(jobs=1)
def test_manual_policy_moves_only_when_told(api, control):
    job = api.create_ok(SORA, headers={"X-Mock-Policy": "manual"})
    control.control("POST", "/clock/advance", json={"seconds": 3600})
    assert api.get(job["id"]).json()["status"] == "queued"
    control.control("POST", f"/jobs/{job['id']}/advance", json={})
    assert api.get(job["id"]).json()["status"] == "in_progress"
    control.control("POST", f"/jobs/{job['id']}/advance", json={"to": "completed"})
    assert api.get(job["id"]).json()["status"] == "completed"


@pytest.mark.bills(jobs=1)
def test_polls_policy_and_poll_after_header(api, control):
    job = api.create_ok(SORA, headers={"X-Mock-Policy": "polls=3"})
    statuses = []
    for _ in range(3):
        response = api.get(job["id"])
        assert "openai-poll-after-ms" in response.headers
        statuses.append(response.json()["status"])
    assert statuses == ["in_progress", "in_progress", "completed"]


@pytest.mark.bills(jobs=1)
def test_downloads_expire(api, control):
    job = api.create_ok(SORA)
    final = api.wait(job["id"])
    assert api.content(job["id"]).status_code == 200
    control.control(
        "POST", "/clock/advance", json={"seconds": final["expires_at"] - final["completed_at"] + 1}
    )
    assert api.content(job["id"]).status_code == 404
    assert api.get(job["id"]).status_code == 200


@pytest.mark.bills(jobs=1)
def test_journal_records_requests_without_keys(api, control):
    control.control("DELETE", "/journal")
    api.create_ok({**SORA, "prompt": "journal me"})
    entries = control.control(
        "GET", "/journal", params={"method": "POST", "path_prefix": "/v1/videos"}
    ).json()["data"]
    assert entries[-1]["body"]["prompt"] == "journal me" and entries[-1]["status"] == 200
    text = str(entries)
    assert api.key not in text, "the journal shows a key in clear"
    assert "authorization" not in {h.lower() for e in entries for h in e["headers"]}


@pytest.mark.bills(jobs=1)
def test_reset_forgets_everything(api, control):
    job = api.create_ok(SORA)
    control.control("POST", "/reset")
    assert api.get(job["id"]).status_code == 404


def _fault_examples() -> dict[str, tuple[int, str | None, dict]]:
    """The spec's gateway faults: name -> (status, production's body), read from openapi/ (black-box)."""
    from .engine import generate

    doc = generate.document("aihubmix")
    out = {}
    for response in doc["components"]["responses"].values():
        for media in response.get("content", {}).values():
            for example in media.get("examples", {}).values():
                marker = example.get("x-mock-fault")
                if marker:
                    out[marker["name"]] = (marker["status"], marker.get("message"), example["value"])
    return out


FAULTS = _fault_examples()


def _production_text(template: str | None, example: dict, **fill: str) -> str:
    """The message production sends, without its tid: the example's, or the spec's template filled."""
    if template:
        for name, value in fill.items():
            template = template.replace("{" + name + "}", value)
        return template
    return example["error"]["message"].split(" (tid: ")[0]


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_named_fault_by_header_answers_production_body(api, control, name):
    status, template, example = FAULTS[name]
    before = _job_ids(api)
    response = api.send(
        "POST",
        "/v1/videos",
        headers={"X-Mock-Fault": name},
        json={**SORA, "model": "sora-2-pro"},
        faults=True,
    )  # asked for: not an incident
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "type"} and set(body["error"]) == {"message", "type"}, body
    assert body["error"]["type"] == example["error"]["type"]
    tid = response.headers["x-request-id"]
    want = _production_text(template, example, model="sora-2-pro", key_tail=api.key[-6:])
    assert body["error"]["message"] == f"{want} (tid: {tid})"
    assert "retry-after" not in response.headers, "no production evidence shows a Retry-After"
    assert _job_ids(api) == before, "a fault must not create a job"


def _job_ids(api) -> set[str]:
    """Every job the key holds now (all pages): the test owns no state it did not make."""
    ids: set[str] = set()
    after = None
    while True:
        page = api.list(limit=100, **({"after": after} if after else {})).json()
        ids |= {job["id"] for job in page["data"]}
        if not page.get("has_more") or not page["data"]:
            return ids
        after = page["data"][-1]["id"]


def test_named_fault_queued_by_the_control_plane(api, keyed, control):
    control.control("POST", "/faults", json={"fault": "balance", "count": 2, "method": "POST"})
    status, _, example = FAULTS["balance"]
    for _ in range(2):
        response = api.send("POST", "/v1/videos", json=SORA, faults=True)
        assert response.status_code == status
        assert response.json()["error"]["message"].startswith(example["error"]["message"])
    assert api.send("GET", "/v1/videos").status_code == 200  # method-matched: a GET is not taken
    assert api.send("POST", "/v1/videos", json=SORA).status_code == 200


def test_unknown_fault_name_is_400_listing_the_names(api, control):
    response = api.send("GET", "/v1/videos", headers={"X-Mock-Fault": "gremlins"})
    assert response.status_code == 400 and "X-Mock-Fault" in response.json()["error"]["message"]
    for name in FAULTS:
        assert name in response.json()["error"]["message"]
    response = control.client.post("/__mock/faults", json={"fault": "gremlins"})
    assert response.status_code == 400 and "fault" in response.json()["error"]["message"]


def test_every_answer_has_a_request_id(api, control):
    """x-request-id (AHM-30, AHM-33) on successes and errors; an error's message ends with the same tid."""
    ok = api.list()
    bad = api.send("POST", "/v1/videos", json={**SORA, "seconds": "5"})
    missing = api.get("eyJub3QiOiJoZXJlIn0channel1")
    ids = [r.headers.get("x-request-id") for r in (ok, bad, missing)]
    assert all(i and i.isdigit() and len(i) == 31 for i in ids), ids
    assert len(set(ids)) == 3
    for response in (bad, missing):
        assert response.json()["error"]["message"].endswith(f"(tid: {response.headers['x-request-id']})")
    assert (
        bad.headers["x-mock-rule"] == "SORA-SECONDS"
        and "[rule SORA-SECONDS]" in bad.json()["error"]["message"]
    )
    task = api.apimart_task("task_00000000000000000000000000")
    assert task.headers.get("x-oneapi-request-id")
