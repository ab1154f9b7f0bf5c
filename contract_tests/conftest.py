"""Fixtures of the contract suite, each result's state, the drift report and the run's exit code."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from .engine import evidence, plan
from .engine.api import Api, incident_reason
from .engine.exchanges import CURRENT as _CURRENT
from .engine.outcomes import Incident, Known, NotChecked, not_checked
from .engine.report import EXIT_DRIFT, EXIT_INCIDENT, EXIT_OK, DriftReport
from .engine.target import Target

_COMMON = dict(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck), print_blob=True
)
settings.register_profile("fast", max_examples=12, **_COMMON)
settings.register_profile("deep", max_examples=150, **_COMMON)
settings.register_profile("smoke", max_examples=3, **_COMMON)
# Against a live target every call may bill: no shrinking, no replay from a database, no targeted
# phase; Schemathesis's examples are a fixed, derandomized plan (the suite's own tests use
# generate.plan, which never replays a failing example).
settings.register_profile(
    "fast-live",
    max_examples=12,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    **_COMMON,
)
settings.register_profile(
    "deep-live",
    max_examples=150,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    **_COMMON,
)
settings.register_profile(
    "smoke-live",
    max_examples=3,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    **_COMMON,
)

_REPORT = pytest.StashKey[DriftReport]()
_APIS = pytest.StashKey[list]()
SCHEMATHESIS_EXCHANGES = pytest.StashKey[list]()
#: per test: the last exchange already reported (a test with subtests reports once per subtest)
_SEEN = pytest.StashKey[int]()
_IN_CALL = pytest.StashKey[bool]()
_SUBTESTS = pytest.StashKey[int]()


def pytest_configure(config):
    profile = config.getoption("profile", "fast") or "fast"
    live = bool(config.getoption("base_url", None))
    settings.load_profile(f"{profile}-live" if live else profile)
    config.stash[_REPORT] = DriftReport()
    config._contract_started = time.monotonic()
    config.addinivalue_line("markers", "contract(operation, model): the operation and model a test is about")


# ------------------------------------------------------------------------- fixtures
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
        not_checked("needs a second API key: pass --api-key-2 or set AIHUBMIX_API_KEY_2")
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
        not_checked("mock-only: the target has no control plane (/__mock), e.g. production")
    return target


@pytest.fixture(scope="session", autouse=True)
def _remember_target(target: Target, request):
    request.config._contract_target = target
    seconds = request.config.getoption("max_run_seconds", None)
    if seconds is not None:  # counted from the start of the run
        target.deadline = request.config._contract_started + float(seconds)
    return target


@pytest.fixture(autouse=True)
def _within_time_limit(_remember_target: Target):
    if _remember_target.out_of_time():
        not_checked("the run's time limit (--max-run-seconds) was reached before this test")


# ------------------------------------------------------------------------- --plan
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    if not config.getoption("plan", False):
        return
    text, _ = plan.describe(config, items)
    config._contract_plan = text
    config.hook.pytest_deselected(items=list(items))
    items[:] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    text = getattr(config, "_contract_plan", None)
    if text:
        terminalreporter.write_line(text)


# ------------------------------------------------------------------------- each result's state
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _CURRENT["exchanges"] = item.stash.setdefault(SCHEMATHESIS_EXCHANGES, [])
    item.stash[_IN_CALL] = True
    try:
        yield
    finally:
        _CURRENT["exchanges"] = None
        item.stash[_IN_CALL] = False


def _exchanges(item) -> list[tuple[dict, Api | None]]:
    """This result's exchanges, in order: those made since the last result of the same test."""
    seen = item.stash.get(_SEEN, -1)
    pairs: list[tuple[dict, Api | None]] = []
    for client in item.stash.get(_APIS, []):
        pairs += [(e.as_dict(), client) for e in client.log if e.seq > seen]
    pairs += [(e, None) for e in item.stash.get(SCHEMATHESIS_EXCHANGES, []) if e["seq"] > seen]
    pairs.sort(key=lambda pair: pair[0]["seq"])
    return pairs


def _schemathesis_checks(exc: BaseException) -> str | None:
    failures = getattr(exc, "exceptions", None) or [exc]
    titles = [getattr(f, "title", None) for f in failures if getattr(f, "title", None)]
    return ", ".join(sorted(set(titles))) if titles else None


def _is_transport_error(exc: BaseException | None) -> bool:
    import requests

    return isinstance(exc, (httpx.TransportError, requests.ConnectionError, requests.Timeout))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.when == "call" or (report.when == "setup" and report.outcome != "passed")):
        return
    exc = call.excinfo.value if call.excinfo is not None else None
    subtest = report.when == "call" and item.stash.get(_IN_CALL, False)
    if subtest:
        item.stash[_SUBTESTS] = item.stash.get(_SUBTESTS, 0) + 1
    elif report.when == "call" and item.stash.get(_SUBTESTS, 0) and not report.failed:
        return  # the test whose subtests were the results (Schemathesis: one per operation)
    pairs = _exchanges(item)
    if pairs:
        item.stash[_SEEN] = pairs[-1][0]["seq"]
    failing, client = pairs[-1] if pairs else (None, None)
    count = len(pairs)
    marker = item.get_closest_marker("contract")
    first = pairs[0][0] if pairs else None
    subject = failing if report.failed or isinstance(exc, Incident) else first
    operation = (marker.kwargs.get("operation") if marker else None) or (subject or {}).get("operation")
    model = (
        (marker.kwargs.get("model") if marker else None)
        or (subject or {}).get("model")
        or next((e.get("model") for e in [failing, first] if e and e.get("model")), None)
    )
    if failing and report.failed:  # the failure is about the exchange that failed, not the marker
        operation, model = failing["operation"], failing.get("model") or model
    rule = client.rule if client else None
    check = client.check if client else None
    message = None
    difference = None
    if report.passed:
        state = "conforms"
    elif report.skipped:
        if isinstance(exc, Known):
            state, rule = "known", exc.rule or rule
            difference = exc.difference
            if exc.operation and not pairs:
                operation, model = exc.operation, exc.model or model
        elif isinstance(exc, Incident):
            state = "incident"
            failing = exc.exchange or failing
            if failing:  # (a free check's exchange names no operation: its marker does)
                operation, model = failing.get("operation") or operation, failing.get("model") or model
            elif exc.operation:
                operation, model = exc.operation, exc.model or model
            # A recorded difference about the very rule the test breaks, naming the status production
            # answers it with (K-UNKNOWN-MODEL-503: 503 "Incorrect model ID"), is known, not an incident.
            entry = (
                evidence.match_known(
                    operation,
                    model,
                    rule,
                    check,
                    status=failing.get("status"),
                    request=failing.get("request"),
                    response=failing.get("response"),
                )
                if rule and failing
                else None
            )
            if entry and entry.get("rule") == rule and entry.get("status") is not None:
                state, difference = "known", entry["id"]
        else:
            state = "not checked"
            if isinstance(exc, NotChecked) and exc.operation and not pairs:
                operation, model = exc.operation, exc.model or model
        message = getattr(exc, "reason", None) or (
            str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(exc or "")
        )
    else:
        message = _failure_message(report)
        if client is None and exc is not None:
            check = _schemathesis_checks(exc) or check
        check = check or getattr(item, "originalname", None)
        reason = None
        if _is_transport_error(exc):
            reason = f"transport error: {type(exc).__name__}: {exc}"
        elif failing and failing.get("status") is not None:
            text = json.dumps(failing.get("response"), default=str)
            reason = incident_reason(failing["status"], text)
        if reason:
            state = "incident"
            message = f"{reason}; the check could not be made. {message or ''}"[:4000]
        else:
            request_rules = evidence.rules_of_request(model, (failing or {}).get("request"))
            entry = evidence.match_known(
                operation,
                model,
                rule,
                check,
                request_rules,
                status=(failing or {}).get("status"),
                request=(failing or {}).get("request"),
                response=(failing or {}).get("response"),
            )
            if entry:
                state, difference = "known", entry["id"]
                message = f"{entry['id']}: {entry.get('what', '')} (recorded: {message or ''})"[:4000]
                rule = rule or entry.get("rule")
            else:
                state = "drift"
        if state != "drift":  # not a failure of the run: shown as a skip with its state
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"{state}: {(message or '')[:500]}")
    nodeid = item.nodeid + (f" [{first['method']} {first['path']}]" if subtest and first else "")
    item.config.stash[_REPORT].add(
        nodeid,
        state,
        operation=operation,
        model=model,
        message=message,
        exchange=failing if state in ("drift", "incident", "known") else None,
        exchanges=count,
        rule=rule,
        check=check,
        difference=difference,
    )


def _failure_message(report) -> str:
    """What went wrong, as the assertion or Schemathesis put it (not the traceback)."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        text = crash.message
    else:
        text = getattr(report, "longreprtext", "") or str(report.longrepr)
    if "Schemathesis found" in (getattr(report, "longreprtext", "") or ""):
        full = report.longreprtext
        text = full[full.index("Schemathesis found") :]
        text = "\n".join(line.lstrip(" |") for line in text.splitlines() if line.strip(" |"))
    return text[:4000]


# ------------------------------------------------------------------------- the report, the exit code
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if getattr(config, "_contract_plan", None) is not None:
        session.exitstatus = EXIT_OK  # --plan: nothing ran, nothing was billed
        return
    report = config.stash.get(_REPORT, None)
    if report is None:
        return
    target: Target | None = getattr(config, "_contract_target", None)
    label = target.label if target else (config.getoption("base_url") or "mock")
    billing = {
        "created": target.budget.spent if target else 0,
        "budget": target.budget.limit if target else None,
        "unplanned": target.budget.unplanned if target else 0,
    }
    billing["total"] = billing["created"] + billing["unplanned"]
    baseline_path = config.getoption("baseline", None)
    baseline = None
    if baseline_path and Path(baseline_path).is_file():
        baseline = json.loads(Path(baseline_path).read_text("utf-8"))
    summary = report.summary(label, billing, baseline, baseline_path)
    if config.getoption("base_url", None) or config.getoption("drift_report", False):
        md, js = report.write(Path(config.getoption("report_dir")), summary)
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if terminal:
            terminal.write_line(f"drift report: {md} and {js} (verdict: {summary['verdict']})")
    if exitstatus not in (EXIT_OK, EXIT_DRIFT):
        return  # interrupted, usage error, no tests: pytest's own code stands
    drifted = summary["drift_ids"]
    if config.getoption("fail_on", "any") == "new" and baseline is not None:
        drifted = summary["new"]
    if session.testsfailed != summary["counts"]["drift"]:
        return  # failures that are not drift results (e.g. the project's own tests): pytest's code stands
    if drifted:
        session.exitstatus = EXIT_DRIFT
    elif summary["counts"]["incident"]:
        session.exitstatus = EXIT_INCIDENT
    else:
        session.exitstatus = EXIT_OK


__all__ = ["Incident", "Known", "NotChecked"]
