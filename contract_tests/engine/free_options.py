"""The free checks' options and fixtures (a pytest plugin; the root conftest.py loads it).

--metadata-url URL   where GET /api/v1/models and /call/schema/... are asked
                     (default: the target: --base-url, or the mock in-process / on a socket)
--docs-url URL       where the docs pages are fetched (default: each page's own URL when the
                     metadata host is the vendor's; otherwise the repo's snapshot, served in-process)
--free-dir DIR       what the free checks fetched, kept for the next run (default <report-dir>/free)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .docs_watch import SnapshotPages
from .free import Kept, Source, is_vendor

_KEPT = pytest.StashKey[Kept]()


def pytest_addoption(parser):
    group = parser.getgroup("free", "zero-cost drift watch (pytest contract_tests -m free)")
    group.addoption(
        "--metadata-url",
        default=os.environ.get("AIHUBMIX_METADATA_URL"),
        help="base URL of the vendor's free metadata (env AIHUBMIX_METADATA_URL); default: the target",
    )
    group.addoption(
        "--docs-url",
        default=os.environ.get("AIHUBMIX_DOCS_URL"),
        help="base URL the docs pages are fetched from (env AIHUBMIX_DOCS_URL); default: the pages' own "
        "URLs when the metadata host is the vendor's, else the repo's snapshot (fixtures/docs)",
    )
    group.addoption(
        "--free-dir",
        default=None,
        help="where the free checks keep what they fetched (default: <report-dir>/free)",
    )


def _kept(config) -> Kept:
    found = config.stash.get(_KEPT, None)
    if found is None:
        directory = config.getoption("free_dir") or str(
            Path(config.getoption("report_dir", "reports")) / "free"
        )
        found = config.stash[_KEPT] = Kept(Path(directory))
    return found


@pytest.fixture(scope="session")
def kept(request) -> Kept:
    return _kept(request.config)


@pytest.fixture(scope="session")
def metadata(request, target) -> Iterator[Source]:
    """The vendor's free metadata: asked with no key, GETs only."""
    url = request.config.getoption("metadata_url")
    source = Source(url) if url else Source(target.base_url, target.client, label=target.label)
    yield source
    source.close()


@pytest.fixture(scope="session")
def docs(request, metadata) -> Iterator[tuple[Source, str | None]]:
    """(where the docs pages come from, the base URL to put their paths on; None: their own URLs)."""
    url = request.config.getoption("docs_url")
    served: Any = None
    if url:
        source, base = Source(url), url
    elif is_vendor(metadata.base_url):
        source, base = Source("https://docs.aihubmix.com"), None
    else:
        from starlette.testclient import TestClient

        base = "http://docs.snapshot"
        served = TestClient(SnapshotPages(), base_url=base)
        source = Source(
            base, served, label="the repo's docs snapshot (no --docs-url; the target is not the vendor)"
        )
    yield source, base
    source.close()
    if served is not None:
        served.close()


def pytest_sessionfinish(session, exitstatus):
    found = session.config.stash.get(_KEPT, None)
    if found is None:
        return
    path = found.write_changes(
        session.config.getoption("metadata_url") or session.config.getoption("base_url") or "the mock"
    )
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal and path:
        terminal.write_line(
            f"free checks: what they fetched is in {found.directory}; changes since the previous run: {path}"
        )
