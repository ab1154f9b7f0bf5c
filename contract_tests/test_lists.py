"""The list's contract, on whatever the key holds: a page holds at most `limit` jobs, in the order
asked, with `first_id`/`last_id` its ends (checked on every page the suite reads: engine/conform);
`after` moves on without repeating a job; a deleted job is gone from its owner's list, on every page.

`test_list_pages_by_limit_and_cursor` costs nothing against a key that holds two jobs or more (it
reads the key's own list) and runs against every target, production included; a key with fewer gets
the missing ones from the budget. `test_list_edges_as_the_spec_says` is free. The deleted-job check
costs one job.
"""

from __future__ import annotations

import pytest

from .engine.api import Api
from .engine.outcomes import not_checked
from .engine.target import Target

#: pages read at most per walk (a key may hold thousands of jobs)
MAX_PAGES = 20


def walk(api: Api, *, limit: int, order: str, pages: int = MAX_PAGES) -> tuple[list[str], bool]:
    """The ids of the key's list, page by page (`after` = the last page's `last_id`), and whether the
    walk reached the end. Every page passes the list checks of the suite's client."""
    ids: list[str] = []
    after: str | None = None
    for _ in range(pages):
        params = {"limit": limit, "order": order} | ({"after": after} if after else {})
        response = api.list(**params)
        assert response.status_code == 200, f"list {params}: {response.status_code} {response.text[:300]}"
        page = response.json()
        new = [item["id"] for item in page["data"]]
        repeated = sorted(set(new) & set(ids))
        assert not repeated, f"list {params}: jobs already on an earlier page: {repeated[:3]}"
        ids += new
        if not page["has_more"]:
            return ids, True
        assert new, f"list {params}: an empty page says has_more"
        after = page["last_id"]
    return ids, False


@pytest.mark.bills(jobs=2)  # only the jobs a key without history lacks, at most 2 per order
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_list_pages_by_limit_and_cursor(api: Api, keyed: Target, target: Target, order: str) -> None:
    """Free: pages of one and two over the key's own jobs. The pages of one, read in order, are the
    pages of two: the cursor neither skips nor repeats, whatever the page size."""
    api.checking("list")
    first = api.list(limit=2, order=order)
    assert first.status_code == 200, first.text[:300]
    missing = 2 - len(first.json()["data"])
    if missing > 0 and not target.budget.allows(missing):
        not_checked(
            "the key holds fewer than two jobs, so a page cannot exceed limit=1, and the budget has none to "
            "make: raise --max-billable-jobs, or run against a key with history"
        )
    for n in range(missing):  # a key with history pays nothing
        api.create_ok({"model": "sora-2", "prompt": f"A tide pool, frame {n}", "seconds": "4"})
    ones, _ = walk(api, limit=1, order=order, pages=6)
    twos, _ = walk(api, limit=2, order=order, pages=3)
    assert ones == twos[: len(ones)], f"pages of 1 give {ones}, pages of 2 give {twos}"


@pytest.mark.bills(jobs=1)
def test_deleted_job_is_gone_from_every_page(api: Api, keyed: Target) -> None:
    """One job: listed while it exists; deleted, on no page of its owner's list (every page read is
    checked against the key's deleted jobs by the suite's client)."""
    job = api.create_ok({"model": "sora-2", "prompt": "A sandcastle at low tide", "seconds": "4"})
    api.checking("list")
    listed, _ = walk(api, limit=100, order="desc", pages=1)
    assert job["id"] in listed, "the newest job is not on the first page of its owner's list (newest first)"
    response = api.delete(job["id"])
    assert response.status_code == 200, response.text[:300]
    api.checking("list")
    for limit in (1, 100):
        ids, _ = walk(api, limit=limit, order="desc", pages=MAX_PAGES if limit == 100 else 3)
        assert job["id"] not in ids, f"the deleted job {job['id']} is still listed"


def test_list_edges_as_the_spec_says(api: Api, keyed: Target) -> None:
    """Free: `limit=0` answers an empty page; `after` an id this key never had answers 404 (listVideos'
    parameters)."""
    api.checking("list")
    empty = api.list(limit=0)
    assert empty.status_code == 200 and empty.json()["data"] == [], (
        f"limit=0: {empty.status_code} {empty.text[:300]}"
    )
    unknown = api.list(after="eyJtb2RlbCI6InNvcmEtMiIsImlkIjoibmV2ZXIifQchannel1")
    assert unknown.status_code == 404, (
        f"after an id the key never had: {unknown.status_code} {unknown.text[:300]}"
    )
