"""200 concurrent clients on loopback create, poll, download and delete: no 5xx, every job found
exactly once and only by its owner, statuses consistent. Bounded in count and time."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

CLIENTS = 200


async def one_client(base: str, n: int, seen: Counter, statuses: list) -> None:
    auth = {"Authorization": f"Bearer sk-load-{n}", "X-Mock-Policy": "polls=2"}
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=30) as client:
        created = await client.post(
            "/v1/videos", json={"model": "sora-2", "prompt": f"load {n}", "seconds": "4"}
        )
        assert created.status_code == 200, created.text
        job_id = created.json()["id"]
        seen[job_id] += 1
        for _ in range(10):
            polled = await client.get(f"/v1/videos/{job_id}")
            assert polled.status_code == 200, polled.text
            statuses.append((job_id, polled.json()["status"], polled.json()["progress"]))
            if polled.json()["status"] == "completed":
                break
        listed = (await client.get("/v1/videos")).json()["data"]
        assert [v["id"] for v in listed] == [job_id], "a client sees someone else's job, or not its own"
        assert listed[0]["status"] == "completed"
        content = await client.get(f"/v1/videos/{job_id}/content")
        assert content.status_code == 200 and content.content[4:8] == b"ftyp"
        deleted = await client.delete(f"/v1/videos/{job_id}")
        assert deleted.status_code == 200
        assert (await client.get(f"/v1/videos/{job_id}")).status_code == 404


def test_two_hundred_concurrent_clients(aihubmix_mock_url):
    seen: Counter = Counter()
    statuses: list = []
    # the server is shared with earlier tests (each in its own session), its media cache too
    renders_before = httpx.get(f"{aihubmix_mock_url}/__mock/health").json()["media_renders"]

    async def run() -> None:
        await asyncio.wait_for(
            asyncio.gather(*(one_client(aihubmix_mock_url, n, seen, statuses) for n in range(CLIENTS))),
            timeout=120,
        )

    asyncio.run(run())
    assert len(seen) == CLIENTS and set(seen.values()) == {1}, "a job id was handed out twice"
    by_job: dict[str, list] = {}
    for job_id, status, progress in statuses:
        by_job.setdefault(job_id, []).append((status, progress))
    for history in by_job.values():
        assert history[-1] == ("completed", 100)
        assert [p for _, p in history] == sorted(p for _, p in history)
    health = httpx.get(f"{aihubmix_mock_url}/__mock/health").json()
    assert health["jobs"] == 0, "deleted jobs are still held"
    assert health["media_renders"] - renders_before <= 1, "the same video was encoded more than once"
    journal = httpx.get(f"{aihubmix_mock_url}/__mock/journal", params={"limit": 10000}).json()["data"]
    assert not [e for e in journal if e["status"] >= 500]
