"""Where the contract suite points: the options, and the one `target` every test talks to.

- no options           : the mock in-process (ASGI), free, virtual time
- --target=socket      : the mock on a loopback port, over real HTTP
- --base-url URL       : any server, e.g. production (https://aihubmix.com) with --api-key

This file is the only place that may import the mock, and only to start it as a target: the tests
in contract_tests/ speak HTTP to whatever `target` is.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contract_tests.engine.target import Target

# The free checks' options and fixtures (--metadata-url, --docs-url, --free-dir): contract_tests/engine/free_options.py
pytest_plugins = ["contract_tests.engine.free_options"]


def pytest_addoption(parser):
    group = parser.getgroup("contract", "AIHubMix video API contract suite")
    group.addoption(
        "--base-url",
        default=os.environ.get("AIHUBMIX_BASE_URL"),
        help="server to test, without /v1 (env AIHUBMIX_BASE_URL); default: the mock in-process",
    )
    group.addoption(
        "--api-key",
        default=os.environ.get("AIHUBMIX_API_KEY"),
        help="bearer key for --base-url (env AIHUBMIX_API_KEY)",
    )
    group.addoption(
        "--api-key-2",
        default=os.environ.get("AIHUBMIX_API_KEY_2"),
        help="a second key, for the isolation tests (env AIHUBMIX_API_KEY_2)",
    )
    group.addoption(
        "--target",
        choices=["asgi", "socket"],
        default="asgi",
        help="without --base-url: the mock in-process (asgi) or on a loopback port (socket)",
    )
    group.addoption(
        "--max-billable-jobs",
        type=int,
        default=None,
        help="jobs the run may create (default 0 with --base-url: only free calls; unlimited on the mock)",
    )
    group.addoption(
        "--poll-interval",
        type=float,
        default=None,
        help="seconds between status polls (default 15 with --base-url, as the docs advise)",
    )
    group.addoption(
        "--job-timeout",
        type=float,
        default=None,
        help="seconds a job may take before it is reported as never finishing (default 600 live)",
    )
    group.addoption(
        "--profile",
        choices=["smoke", "fast", "deep"],
        default="fast",
        help="generated examples per test (smoke: 3, a quick look; fast: 12, make test's; deep: 150)",
    )
    group.addoption("--report-dir", default="reports", help="where drift.md / drift.json go")
    group.addoption(
        "--record",
        default=None,
        metavar="DIR",
        help="record the suite's own exchanges with a live target as the proxy does (docs/proxy.md), "
        "for `aihubmix-mock evidence DIR`",
    )
    group.addoption(
        "--drift-report", action="store_true", help="write the drift report even without --base-url"
    )
    group.addoption(
        "--baseline",
        default=None,
        metavar="PATH",
        help="a previous drift.json: the report lists new, resolved and persisting drifts",
    )
    group.addoption(
        "--fail-on",
        choices=["any", "new"],
        default="any",
        help="exit 1 on any drift (default), or only on drift the --baseline did not have",
    )
    group.addoption(
        "--plan",
        action="store_true",
        help="print every call that may bill and the worst-case total; make no call (exit 0)",
    )
    group.addoption(
        "--openapi-dir",
        default=None,
        metavar="DIR",
        help="read the contract from this copy of openapi/ (e.g. with other x-rules evidence)",
    )
    group.addoption(
        "--max-run-seconds",
        type=float,
        default=None,
        help="run-level time limit: tests not started by then are reported as not checked",
    )


def pytest_configure(config):
    if config.getoption("openapi_dir", None):
        from contract_tests.engine import generate

        generate.use_openapi(config.getoption("openapi_dir"))


def _recording(opts, url: str):
    """--record DIR: the suite's client goes through the proxy's tap (closed with the target)."""
    if not opts.record:
        return None
    from contract_tests.engine.proxy.tap import Tap

    return Tap(record=opts.record, report=Path(opts.record) / "report", label=url)


@pytest.fixture(scope="session")
def target(request) -> Target:
    opts = request.config.option
    if opts.base_url:
        tgt = Target.remote(
            opts.base_url,
            opts.api_key,
            opts.api_key_2,
            budget=opts.max_billable_jobs or 0,
            poll_interval=opts.poll_interval,
            job_timeout=opts.job_timeout,
            transport=_recording(opts, opts.base_url),
        )
        yield tgt
        tgt.close()
        return
    from aihubmix_mock import create_app
    from contract_tests.engine.target import KEY_A, KEY_B

    # Only the suite's two keys are valid, as in production (an unknown key is 401).
    app = create_app(job_seconds=30, keys=[KEY_A, KEY_B])
    if opts.target == "socket":
        from aihubmix_mock.pytest_plugin import RunningMock

        server = RunningMock(app).start()
        tgt = Target.remote(
            server.url,
            KEY_A,
            KEY_B,
            budget=opts.max_billable_jobs,
            poll_interval=opts.poll_interval or 5,
            job_timeout=opts.job_timeout or 600,
            label="mock over a loopback socket",
            transport=_recording(opts, server.url),
        )
        yield tgt
        tgt.close()
        server.stop()
        return
    tgt = Target.asgi(app, budget=opts.max_billable_jobs)
    yield tgt
    tgt.close()
