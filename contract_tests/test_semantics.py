"""Operation semantics: auth, tenancy, not-found, remix lineage, delete, content states, list."""

from __future__ import annotations

import re

import pytest

from .engine import plan
from .engine.media_check import image_format
from .engine.outcomes import not_checked

SORA_BODY = {"model": "sora-2", "prompt": "A lighthouse in a storm", "seconds": "4", "size": "1280x720"}
UNKNOWN_ID = "eyJtb2RlbCI6InNvcmEtMiIsImlkIjoidmlkZW9fMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwIn0channel1"
OPERATIONS = [
    ("POST", "/v1/videos"),
    ("GET", "/v1/videos"),
    ("GET", "/v1/videos/{id}"),
    ("DELETE", "/v1/videos/{id}"),
    ("GET", "/v1/videos/{id}/content"),
    ("POST", "/v1/videos/{id}/remix"),
    ("POST", "/v1/videos/generations"),
    ("GET", "/v1/tasks/{id}"),
]


def assert_error_shape(response, status: int | tuple) -> dict:
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status_code in wanted, (
        f"expected {wanted}, got {response.status_code}: {response.text[:300]}"
    )
    body = response.json()
    assert isinstance(body.get("error"), dict), f"no error object: {body}"
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"]
    return body["error"]


@pytest.mark.bills(surprises=plan.posts_once)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_key_is_401(api, method, path):
    response = api.send(
        method,
        path.replace("{id}", UNKNOWN_ID),
        auth=False,
        json={"model": "sora-2", "prompt": "p"} if method == "POST" else None,
    )
    if method == "POST":  # a server that ignores the missing key may create (and bill) a job
        api._account(False, response, "sora-2")
    api.checking("auth-required")
    error = assert_error_shape(response, 401)
    if path.startswith(("/v1/videos/generations", "/v1/tasks")):
        # APM-06 (a live probe, verbatim): the gateway's body, its request id in the message and a header
        assert (error.get("code"), error.get("param"), error.get("type")) == ("", "", "apimart_error"), error
        request_id = response.headers.get("x-oneapi-request-id")
        assert request_id and error["message"].endswith(f"(request id: {request_id})"), (
            error,
            response.headers,
        )
    else:
        # AHM-04/05: the gateway's own type, a tid in the message, no `code` or `param` member
        assert error.get("type") == "Aihubmix_api_error" and "code" not in error and "param" not in error, (
            error
        )
        assert re.search(r"\(tid: ?[^)]+\)$", error["message"]), error


@pytest.mark.parametrize("header", ["Bearer", "Basic c2stdGVzdA==", "Bearer two words", "sk-no-scheme"])
def test_malformed_authorization_is_401(api, header):
    response = api.send("GET", f"/v1/videos/{UNKNOWN_ID}", auth=False, headers={"Authorization": header})
    assert_error_shape(response, 401)


@pytest.mark.parametrize("path", ["/v1/videos/{id}", "/v1/videos/{id}/content"])
def test_unknown_id_is_404(api, keyed, path):
    assert_error_shape(api.send("GET", path.replace("{id}", UNKNOWN_ID)), 404)


@pytest.mark.bills(surprises=1)
def test_unknown_id_delete_and_remix_are_404(api, keyed):
    assert_error_shape(api.delete(UNKNOWN_ID), 404)
    assert_error_shape(api.remix(UNKNOWN_ID, "again", billable=False), 404)


@pytest.mark.bills(jobs=1)
def test_content_before_completion_is_not_200(api, keyed):
    job = api.create_ok(SORA_BODY)
    response = api.content(job["id"])
    # Statuses only move forward: unfinished after the content request means unfinished during it.
    after = api.get(job["id"]).json()
    if after.get("status") in ("completed", "failed"):
        not_checked(f"the job was {after.get('status')} before its content could be asked for unfinished")
    api.checking("content-not-ready")
    assert response.status_code != 200, "content was served before the job completed"
    assert response.status_code != 404, "an existing job's content answered 404 (use 409: not ready)"
    assert_error_shape(response, (409, 400))


@pytest.mark.bills(jobs=1, surprises=1, priority=1)
def test_another_key_cannot_see_a_job(api, api_b, keyed):
    job = api.create_ok(SORA_BODY)
    assert_error_shape(api_b.get(job["id"]), 404)
    assert_error_shape(api_b.content(job["id"]), 404)
    assert_error_shape(api_b.delete(job["id"]), 404)
    assert_error_shape(api_b.remix(job["id"], "steal", billable=False), 404)
    listed = api_b.list(limit=100).json()["data"]
    assert job["id"] not in [v["id"] for v in listed], "another key's job is listed"
    assert api.get(job["id"]).status_code == 200, "the owner lost its job"


@pytest.mark.bills(jobs=2)
def test_remix_lineage(api, keyed):
    source = api.create_ok(SORA_BODY)
    assert api.wait(source["id"])["status"] == "completed"
    response = api.remix(source["id"], "The same lighthouse at dawn")
    assert response.status_code == 200, response.text
    remix = response.json()
    assert remix["id"] != source["id"]
    assert remix["remixed_from_video_id"] == source["id"]
    assert (
        remix["model"] == source["model"]
        and remix["size"] == source["size"]
        and remix["seconds"] == source["seconds"]
    )
    assert remix["prompt"] == "The same lighthouse at dawn"
    final = api.wait(remix["id"])
    assert final["status"] == "completed" and final["remixed_from_video_id"] == source["id"]


@pytest.mark.bills(jobs=1, surprises=1)
def test_remix_of_an_unfinished_job_is_409(api, keyed):
    source = api.create_ok(SORA_BODY)
    response = api.remix(source["id"], "too early", billable=False)
    if api.get(source["id"]).json().get("status") in ("completed", "failed"):
        not_checked("the job finished before it could be remixed unfinished")
    assert_error_shape(response, 409)


@pytest.mark.bills(jobs=1, surprises=1)
def test_remix_of_a_non_sora_job(api, keyed):
    source = api.create_ok({"model": "wan2.6-t2v", "prompt": "A red kite", "seconds": "2"})
    assert api.wait(source["id"])["status"] == "completed"
    assert_error_shape(api.remix(source["id"], "again", billable=False), 409)


@pytest.mark.bills(jobs=1, surprises=1)
def test_delete_then_404_everywhere(api, keyed):
    job = api.create_ok(SORA_BODY)
    response = api.delete(job["id"])
    assert response.status_code == 200, response.text
    assert response.json() == {"id": job["id"], "object": "video.deleted", "deleted": True}
    for call in (api.get, api.content, api.delete):
        assert_error_shape(call(job["id"]), 404)
    assert_error_shape(api.remix(job["id"], "gone", billable=False), 404)


@pytest.mark.bills(jobs=1)
def test_kling_delete_is_not_supported(api, keyed):
    job = api.create_ok({"model": "kling-v2-6", "prompt": "A kite", "duration": "3"})
    error = assert_error_shape(api.delete(job["id"]), 501)
    if error.get("code") is not None:  # production's errors carry no code; where there is one, it is this
        assert error["code"] == "not_supported", error
    assert api.get(job["id"]).status_code == 200, "the job is gone after a refused delete"


@pytest.mark.bills(jobs=5)
def test_list_paginates_like_openai(api, keyed):
    ids = [api.create_ok({**SORA_BODY, "prompt": f"frame {n}"})["id"] for n in range(5)]
    seen: list[str] = []
    after = None
    for _ in range(10):  # newest first: other tests' jobs of this key are older
        params = {"limit": 2, "order": "desc"} | ({"after": after} if after else {})
        page = api.list(**params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["object"] == "list"
        seen += [v["id"] for v in body["data"]]
        if not body["has_more"] or set(ids) <= set(seen):
            break
        after = body["last_id"]
        assert after == body["data"][-1]["id"]
    mine = [i for i in seen if i in ids]
    assert mine == ids[::-1], "pagination lost, repeated or reordered jobs"
    assert len(seen) == len(set(seen)), "a job appeared on two pages"


@pytest.mark.bills(jobs=1)
@pytest.mark.parametrize(("variant", "fmt"), [("thumbnail", "WEBP"), ("spritesheet", "JPEG")])
def test_content_variants(api, keyed, variant, fmt):
    job = api.create_ok(SORA_BODY)
    assert api.wait(job["id"])["status"] == "completed"
    response = api.content(job["id"], variant)
    assert response.status_code == 200
    assert response.headers["content-type"] == {"WEBP": "image/webp", "JPEG": "image/jpeg"}[fmt]
    assert image_format(response.content) == fmt


@pytest.mark.bills(jobs=1)
def test_content_byte_ranges(api, keyed):
    job = api.create_ok(SORA_BODY)
    assert api.wait(job["id"])["status"] == "completed"
    whole = api.content(job["id"]).content
    part = api.send("GET", f"/v1/videos/{job['id']}/content", headers={"Range": "bytes=10-99"})
    assert part.status_code == 206, part.status_code
    assert part.content == whole[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(whole)}"
    tail = api.send("GET", f"/v1/videos/{job['id']}/content", headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == whole[-16:]
    beyond = api.send("GET", f"/v1/videos/{job['id']}/content", headers={"Range": f"bytes={len(whole) + 5}-"})
    assert beyond.status_code == 416
