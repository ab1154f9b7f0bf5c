"""The checks every answer of a contract run goes through (contract_tests/engine/conform.py), case by
case on bodies written here: each class the spec declares is caught, a conforming answer is not."""

from __future__ import annotations

import pytest

from contract_tests.engine import conform, generate

RID = {"x-request-id": "2026120600000012345678901234567"}
SORA = {
    "id": "video_1",
    "object": "video",
    "model": "sora-2",
    "status": "completed",
    "progress": 100,
    "created_at": 1790000000,
    "completed_at": 1790000100,
    "expires_at": 1790000100 + 86400,
    "prompt": "p",
    "size": "720x1280",
    "seconds": "4",
    "remixed_from_video_id": None,
    "error": None,
}
KLING = {
    "id": "video_2",
    "object": "video",
    "model": "kling-v2-6",
    "status": "completed",
    "created": 1790000000,
    "duration": 5,
    "width": 1280,
    "height": 720,
    "completed_at": 1790000100,
    "expires_at": 1790000100 + 30 * 86400,
}
TASK = {
    "code": 200,
    "data": {
        "id": "task_1",
        "status": "completed",
        "progress": 100,
        "created": 1790000000,
        "completed": 1790000100,
        "result": {"videos": [{"url": ["https://x/v.mp4"], "expires_at": 1790000100 + 86400}]},
    },
}


def checks(operation, body, status=200, headers=RID, model=None):
    found = conform.exchange_problems(operation, status, headers, "application/json", body, True, model)
    return [(p.check, p.rule) for p in found], " ".join(p.message for p in found)


def test_conforming_answers_pass():
    assert checks("retrieveVideo", SORA) == ([], "")
    assert checks("retrieveVideo", KLING) == ([], ""), "Kling's lifetime is 30 days (x-content-ttl-seconds)"
    assert checks("listVideos", {"object": "list", "data": [SORA, KLING], "has_more": False}) == ([], "")
    assert checks("apimartGetTask", TASK, headers={"X-Oneapi-Request-Id": "r1"}) == ([], "")


@pytest.mark.parametrize(
    ("operation", "body", "wanted", "words"),
    [
        (
            "retrieveVideo",
            {**SORA, "created_at": SORA["created_at"] * 1000},
            ("schema", "TIMESTAMP-SECONDS"),
            "milliseconds",
        ),
        (
            "retrieveVideo",
            {**KLING, "expires_at": KLING["completed_at"] + 86400},
            ("content-ttl", "CONTENT-TTL"),
            "2592000 s",
        ),
        (
            "retrieveVideo",
            {**SORA, "status": "failed"},
            ("schema", "FAILED-ERROR"),
            "None is not of type 'object'",
        ),
        (
            "retrieveVideo",
            {k: v for k, v in KLING.items() if k != "width"},
            ("schema", "GATEWAY-SHAPE"),
            "'width'",
        ),
        (
            "retrieveVideo",
            {**SORA, "status": "succeed"},
            ("schema", "STATUS-ENUM"),
            "unknown status 'succeed'",
        ),
        (
            "listVideos",
            {
                "object": "list",
                "data": [{**SORA, "expires_at": SORA["completed_at"] + 60}],
                "has_more": False,
            },
            ("content-ttl", "CONTENT-TTL"),
            "expires",
        ),
    ],
)
def test_each_class_is_caught(operation, body, wanted, words):
    found, message = checks(operation, body)
    assert found and found[0] == wanted, (found, message)
    assert words in message, message


def test_apimart_task_shape_and_lifetime():
    headers = {"X-Oneapi-Request-Id": "r1"}
    task = {**TASK, "data": {**TASK["data"], "progress": "40%"}}
    assert checks("apimartGetTask", task, headers=headers)[0] == [("schema", None)]
    short = {
        **TASK["data"],
        "result": {"videos": [{"url": ["u"], "expires_at": TASK["data"]["completed"] + 60}]},
    }
    assert checks("apimartGetTask", {**TASK, "data": short}, headers=headers)[0] == [
        ("content-ttl", "APIMART-TASK-STATES")
    ]
    failed = {"id": "t", "status": "failed", "progress": 0, "created": 1790000000}
    assert checks("apimartGetTask", {"code": 200, "data": failed}, headers=headers)[0] == [("schema", None)]


def test_request_id_on_every_declared_answer_only():
    error = {"error": {"message": "no such job", "type": "Aihubmix_api_error"}}
    assert checks("retrieveVideo", error, status=404, headers={}) == (
        [("request-id", "REQUEST-ID")],
        "retrieveVideo answered 404 without the `x-request-id` header the spec requires on every answer "
        "(rule REQUEST-ID)",
    )
    assert checks("apimartGetTask", TASK, headers=RID)[0] == [("request-id", "APIMART-REQUEST-ID")]
    assert checks("retrieveVideo", error, status=418, headers={}) == ([], ""), (
        "an undeclared status: the test's"
    )
    assert checks("GET /elsewhere", error, headers={}) == ([], "")


def test_a_non_json_error_is_said_so():
    found = conform.exchange_problems("retrieveVideo", 404, RID, "text/plain", None, False)
    assert [p.message for p in found] == ["retrieveVideo answered 404: the error is not JSON (text/plain)"]


def test_echo_and_identity():
    earlier: dict[str, str] = {}
    asked = {"model": "sora-2", "prompt": "p", "size": "1280x720"}
    job = {**SORA, "status": "queued", "size": "1280x720"}
    assert conform.echo_problems("aihubmix", asked, job, earlier) == [] and earlier == {"video_1": "sora-2"}
    again = conform.echo_problems("aihubmix", {**asked, "model": "sora-2-pro"}, job, earlier)
    assert [p.check for p in again] == ["identity", "echo"], again
    assert "two jobs never share an id" in again[0].message
    other = conform.echo_problems("aihubmix", asked, {**job, "id": "video_9", "seconds": "8"}, earlier)
    assert [(p.check, p.message) for p in other] == [("echo", "sora-2: asked seconds '4', the job says '8'")]
    wan = {"model": "wan2.6-t2v", "prompt": "p", "size": "1920*1080", "seconds": "5"}
    width, height, seconds = generate.expected_render("aihubmix", "Wan26T2VRequest", wan)
    lossy = {
        "id": "video_10",
        "object": "video",
        "model": "wan2.6-t2v",
        "width": 1280,
        "height": 720,
        "duration": seconds,
    }
    assert (width, height) == (1920, 1080)
    assert [p.check for p in conform.echo_problems("aihubmix", wan, lossy, earlier)] == ["dimensions"]
    submit = {"code": 200, "data": [{"status": "submitted", "task_id": "task_1"}]}
    assert conform.echo_problems("apimart", {"model": "sora-2"}, submit, earlier) == []
    assert [p.check for p in conform.echo_problems("apimart", {"model": "sora-2"}, submit, earlier)] == [
        "identity"
    ]


def test_list_semantics():
    older, newer = (
        {**SORA, "id": "a", "created_at": 1790000000},
        {**SORA, "id": "b", "created_at": 1790000500},
    )
    page = {"object": "list", "data": [newer, older], "first_id": "b", "last_id": "a", "has_more": False}
    assert conform.list_problems({"limit": 2}, page, set()) == []
    said = [p.message for p in conform.list_problems({"limit": 1}, page, {"a"})]
    assert said == ["a page asked with limit=1 holds 2 jobs", "deleted job(s) still listed: a"]
    assert conform.list_problems({"order": "asc"}, page, set())[0].message.startswith(
        "a page asked in order 'asc'"
    )
    assert "are not the page's ends" in conform.list_problems({}, {**page, "last_id": "b"}, set())[0].message
    many = {**page, "data": [older] * 21}
    assert conform.list_problems({}, many, set())[0].message == "a page asked with limit=20 holds 21 jobs"


def test_a_finished_job_stays_finished():
    assert conform.stays_finished(SORA, dict(SORA)) is None
    problem = conform.stays_finished(SORA, {**SORA, "status": "in_progress", "completed_at": None})
    assert problem is not None and problem.check == "lifecycle"
    assert "status 'completed' -> 'in_progress'" in problem.message


def test_coverage_sends_each_listed_value_for_each_model():
    bodies = generate.coverage("aihubmix", "CreateVideoRequest", "SoraCreateRequest")
    sizes = generate.schemas("aihubmix")["SoraCreateRequest"]["properties"]["size"]
    listed = generate.listed_values("aihubmix", sizes)
    pairs = {(b["model"], b.get("size")) for b in bodies}
    for model in ("sora-2", "sora-2-pro"):
        assert {(model, size) for size in listed} <= pairs
    assert all(generate.validator("aihubmix", "SoraCreateRequest").is_valid(b) for b in bodies)
    assert [b["model"] for b in bodies[:2]] == ["sora-2", "sora-2-pro"], "the models take turns"


def test_the_docs_page_names_every_blind_spot_stand_in():
    """docs/contract-checks.md: its table and its command cover the stand-ins of each class."""
    import re
    from pathlib import Path

    from tests.drift_standins import STANDINS

    text = (Path(__file__).resolve().parents[1] / "docs" / "contract-checks.md").read_text("utf-8")
    table = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    command = re.search(r'tests/test_drift_standins.py -q -k "([^"]+)"', text)
    assert table and command, "the page lost its stand-in table or its command"
    assert table <= set(STANDINS), sorted(table - set(STANDINS))
    assert table <= set(command.group(1).split(" or ")), "the command leaves out a stand-in of the table"


def test_the_variant_extensions_of_a_job():
    assert conform.shape_of("sora-2-pro") == "SoraVideo" and conform.shape_of("kling-v1") == "GatewayVideo"
    assert conform.operation_problem("deleteVideo", "kling-v2-6", 501) is None
    assert conform.operation_problem("deleteVideo", "kling-v2-6", 200).rule == "DELETE-KLING-501"
    assert conform.operation_problem("deleteVideo", "sora-2", 501) is not None
    assert conform.operation_problem("deleteVideo", "sora-2", 200) is None
    assert conform.operation_problem("remixVideo", "wan2.6-t2v", 200).rule == "REMIX-SORA"
    assert conform.operation_problem("remixVideo", "wan2.6-t2v", 409) is None
    assert conform.operation_problem("remixVideo", None, 200) is None, "a job this run did not create"
    queued = {**KLING, "id": "video_11", "status": "queued"}
    found = conform.echo_problems(
        "aihubmix", {"model": "kling-v2-6", "prompt": "p", "duration": "5"}, queued, {}
    )
    assert [p.message for p in found][:1] == [
        "kling-v2-6: a new job is 'queued'; the spec says it starts 'in_progress' (x-initial-status)"
    ]
