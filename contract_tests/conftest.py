"""Fixtures of the contract suite, and the drift report."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .api import Api
from .report import DriftReport
from .target import Target

settings.register_profile("fast", max_examples=12, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck), print_blob=True)
settings.register_profile("deep", max_examples=150, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck), print_blob=True)

_REPORT = pytest.StashKey[DriftReport]()
_APIS = pytest.StashKey[list]()


def pytest_configure(config):
    settings.load_profile(config.getoption("profile", "fast") or "fast")
    config.stash[_REPORT] = DriftReport()


@pytest.fixture
def api(target: Target, request) -> Api:
    """A client with the target's first key; its exchanges go into the drift report."""
    client = Api(target, target.key)
    request.node.stash.setdefault(_APIS, []).append(client)
    return client


@pytest.fixture
def api_b(target: Target, request) -> Api:
    """A client with a second, different key (another tenant)."""
    if not target.key_2:
        pytest.skip("needs a second API key: pass --api-key-2 or set AIHUBMIX_API_KEY_2")
    client = Api(target, target.key_2)
    request.node.stash.setdefault(_APIS, []).append(client)
    return client


@pytest.fixture
def keyed(target: Target) -> Target:
    target.require_key()
    return target


@pytest.fixture
def control(target: Target) -> Target:
    """For mock-only tests: skips, with the reason, where the target has no control plane."""
    if not target.has_control_plane:
        pytest.skip("mock-only: the target has no control plane (/__mock), e.g. production")
    return target


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        exchanges = [e.as_dict() for client in item.stash.get(_APIS, []) for e in client.log]
        exchanges += item.stash.get(SCHEMATHESIS_EXCHANGES, [])
        message = None
        if report.failed:
            message = _failure_message(report)
        elif report.skipped:
            message = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else None
        marker = item.get_closest_marker("contract")
        item.config.stash[_REPORT].add(
            item.nodeid, report.outcome, exchanges, message,
            operation=marker.kwargs.get("operation") if marker else None,
            model=marker.kwargs.get("model") if marker else None)


SCHEMATHESIS_EXCHANGES = pytest.StashKey[list]()


def _failure_message(report) -> str:
    """What went wrong, as the assertion or Schemathesis put it (not the traceback)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        text = crash.message
    else:
        text = getattr(report, "longreprtext", "") or str(report.longrepr)
    if "Schemathesis found" in (getattr(report, "longreprtext", "") or ""):
        full = report.longreprtext
        text = full[full.index("Schemathesis found"):]
        text = "\n".join(line.lstrip(" |") for line in text.splitlines() if line.strip(" |"))
    return text[:4000]


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if not (config.getoption("base_url", None) or config.getoption("drift_report", False)):
        return
    target: Target | None = getattr(config, "_contract_target", None)
    label = target.label if target else (config.getoption("base_url") or "mock")
    spent = target.budget.spent if target else 0
    unplanned = target.budget.unplanned if target else 0
    md, js = config.stash[_REPORT].write(Path(config.getoption("report_dir")), label, spent, unplanned)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal:
        terminal.write_line(f"drift report: {md} and {js}")


@pytest.fixture(scope="session", autouse=True)
def _remember_target(target: Target, request):
    request.config._contract_target = target
    return target
