"""Fixtures of the contract suite, each result's state, the drift report and the run's exit code."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from .engine import plan
from .engine.api import Api
from .engine.classify import Outcome, classify
from .engine.exchanges import CURRENT as _CURRENT
from .engine.outcomes import Declared, Incident, Known, NotChecked, not_checked
from .engine.report import EXIT_DRIFT, EXIT_INCIDENT, EXIT_OK, DriftReport
from .engine.secrets import redact, redact_value
from .engine.target import Target

_COMMON: dict[str, Any] = dict(
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
    if config.getoption("base_url", None):
        plan.order(items, plan.context(config))  # a live budget goes where it buys most
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
        return
    report = config.stash.get(_REPORT, None)
    if report is not None and any(r.get("rule") for r in report.results):
        terminalreporter.write_line(rules_checked_line(report.results))


def rules_checked_line(results: list[dict]) -> str:
    """How many of the specs' documented rules a run refused over HTTP (a `rejected` check that
    conformed), and how many of those in the mock's documents mode (unconfirmed in production)."""
    from .engine import evidence

    rules = set(evidence.rules())
    checked = {
        r["rule"] for r in results if r["state"] == "conforms" and r["rule"] in rules and r.get("check")
    }
    documents = {
        r["rule"]
        for r in results
        if r["state"] == "conforms" and (r.get("check") or "").endswith("(documents mode)")
    }
    line = f"contract: documented rules checked over HTTP: {len(checked)} of {len(rules)}"
    if documents:
        line += f" ({len(documents)} of them in the mock's documents mode)"
    if rules - checked:
        line += f"; refused by no check this run: {', '.join(sorted(rules - checked))}"
    return line


# ------------------------------------------------------------------------- what each test billed
_BILLED = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Jobs each test created (planned and surprises), held against what its `bills` marker declares."""
    target: Target | None = getattr(item.config, "_contract_target", None)
    before = (target.budget.spent + target.budget.unplanned) if target else 0
    yield
    target = getattr(item.config, "_contract_target", None)
    if target is None:
        return
    created = target.budget.spent + target.budget.unplanned - before
    if created:
        jobs, surprises = plan.declared(item, plan.context(item.config))
        item.config.stash.setdefault(_BILLED, {})[item.nodeid] = {
            "created": created,
            "declared": None if jobs is None else jobs + surprises,  # None: as the budget allows
        }


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
    titles = [str(f.title) for f in failures if getattr(f, "title", None)]
    return ", ".join(sorted(set(titles))) if titles else None


def _is_transport_error(exc: BaseException | None) -> bool:
    import requests

    return isinstance(exc, (httpx.TransportError, requests.ConnectionError, requests.Timeout))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each result, as classify.classify decides its state; anything but drift is shown as a skip."""
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
    checked = _outcome(item, report, exc, pairs)
    verdict = classify(checked)
    if verdict.state != "drift" and not report.passed:  # not a failure of the run: a skip with its state
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            item.location[1] or 0,
            f"{verdict.state}: {(verdict.message or '')[:500]}",
        )
    keys = _keys(item.config)
    _redact_report(report, keys)
    first = pairs[0][0] if pairs else None
    nodeid = item.nodeid + (f" [{first['method']} {first['path']}]" if subtest and first else "")
    item.config.stash[_REPORT].add(
        nodeid,
        verdict.state,
        operation=checked.operation,
        model=checked.model,
        message=redact(verdict.message or "", keys) or None,
        exchange=redact_value(checked.exchange, keys)
        if verdict.state in ("drift", "incident", "known")
        else None,
        exchanges=len(pairs),
        rule=verdict.rule,
        check=checked.check,
        difference=verdict.difference,
    )


def _keys(config) -> list[str | None]:
    target = getattr(config, "_contract_target", None)
    return [target.key, target.key_2] if target else []


def _redact_report(report, keys: list[str | None]) -> None:
    """No key in what pytest prints or JUnit keeps: the failure text and the captured output."""
    if not any(keys):
        return
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        text = str(report.longrepr)
        clean = redact(text, keys)
        if clean != text:
            report.longrepr = clean
    report.sections = [(title, redact(body, keys)) for title, body in report.sections]


def _outcome(item, report, exc: BaseException | None, pairs: list[tuple[dict, Api | None]]) -> Outcome:
    """What pytest and the suite's clients saw of one result, for classify."""
    failing, client = pairs[-1] if pairs else (None, None)
    first = pairs[0][0] if pairs else None
    marker = item.get_closest_marker("contract")
    declared = exc.state if isinstance(exc, Declared) else None
    # the exchange a result is about: the failing one; for a pass or a skip, the first
    subject = failing if report.failed or declared == "incident" else first
    if declared == "incident" and getattr(exc, "exchange", None):
        failing = subject = getattr(exc, "exchange", None)
    operation = (marker.kwargs.get("operation") if marker else None) or (subject or {}).get("operation")
    model = (
        (marker.kwargs.get("model") if marker else None)
        or (subject or {}).get("model")
        or next((e.get("model") for e in [failing, first] if e and e.get("model")), None)
    )
    if failing and (report.failed or declared == "incident"):
        # the failure is about the exchange that failed, not the marker
        operation, model = failing.get("operation") or operation, failing.get("model") or model
    if declared and not pairs and getattr(exc, "operation", None):
        operation, model = getattr(exc, "operation", None), getattr(exc, "model", None) or model
    rule = getattr(exc, "rule", None) or (client.rule if client else None)
    check: str | None = client.check if client else None
    if report.failed and client is None and exc is not None:
        check = _schemathesis_checks(exc) or check
    message: str | None
    if report.failed:
        check = check or getattr(item, "originalname", None)
        message = _failure_message(report)
    else:
        message = getattr(exc, "reason", None) or (
            str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(exc or "") or None
        )
    return Outcome(
        result="passed" if report.passed else "failed" if report.failed else "skipped",
        declared=declared,  # type: ignore[arg-type]
        message=message,
        operation=operation,
        model=model,
        rule=rule,
        check=check,
        difference=getattr(exc, "difference", None),
        exchange=failing if (report.failed or declared == "incident") else subject,
        transport_error=f"{type(exc).__name__}: {exc}"
        if report.failed and _is_transport_error(exc)
        else None,
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
    billed = config.stash.get(_BILLED, {})
    # a test that created more than it declares: the billing plan under-states the bill
    billing["over_declared"] = {
        t: n for t, n in billed.items() if n["declared"] is not None and n["created"] > n["declared"]
    }
    baseline_path = config.getoption("baseline", None)
    baseline = None
    if baseline_path and Path(baseline_path).is_file():
        baseline = json.loads(Path(baseline_path).read_text("utf-8"))
    summary = report.summary(label, billing, baseline, baseline_path)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if billing["over_declared"] and terminal:
        terminal.write_line(
            "billing: tests created more jobs than their @pytest.mark.bills declares (the plan under-states "
            f"the bill): {billing['over_declared']}",
            red=True,
        )
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
