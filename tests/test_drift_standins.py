"""The contract suite as a drift monitor: run over HTTP against each stand-in (tests/drift_standins.py)
it reports the drift, and only the drift: a key out of balance is an incident (exit 3), a flaky
server passes, a recorded known difference is `known` and passes, a lax server that accepts every
create is drift and never bills more than the budget plus the confirmed breaking requests `--plan`
listed. A baseline test shows `new` and `resolved`.

Each run is the suite's own `pytest.main` in a child forked from a warm fork server (pytest,
Hypothesis, Schemathesis and the suite already imported), with only the tests that bear on its
stand-in. `make drift-demo` prints the reports.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CT = "contract_tests"
#: what the suite imports, imported once in the fork server. Not the test modules (nor conftest):
#: pytest must import those itself to rewrite their assertions.
PRELOAD = [
    "tests.drift_standins",
    "contract_tests.engine.report",
    "contract_tests.engine.plan",
    "contract_tests.engine.exchanges",
    "contract_tests.engine.media_check",
    "aihubmix_mock.pytest_plugin",
    "av",
    "PIL.Image",
    "jsonschema",
]

# stand-in -> (the suite's tests to run, what the report must show)
CASES = {
    "rename_status": (
        [f"{CT}/test_lifecycle.py", "-k", "test_job_lifecycle_and_content and Sora"],
        "unknown status 'succeed'",
    ),
    "drop_field": (
        [f"{CT}/test_lifecycle.py", "-k", "test_job_lifecycle_and_content and Sora"],
        "SoraVideo (model sora-2): 'progress' is a required property",
    ),
    "loosen_rule": (
        [f"{CT}/test_model_rules.py", "-k", "test_documented_breaking_create_is_rejected and SORA-SECONDS"],
        "expected a 4xx rejection, got 200",
    ),
    "not_mp4": (
        [f"{CT}/test_lifecycle.py", "-k", "test_job_lifecycle_and_content and Wan26T2V"],
        "not an MP4 (55 bytes of text: '<html><body>Video temporarily unavailable",
    ),
    "forget_auth": ([f"{CT}/test_semantics.py", "-k", "test_no_key_is_401"], "expected (401,), got 200"),
    "shared_tenancy": (
        [f"{CT}/test_semantics.py", "-k", "test_another_key_cannot_see_a_job"],
        "expected (404,), got 200",
    ),
    "plain_text_errors": (
        [f"{CT}/test_model_rules.py", "-k", "test_documented_breaking_create_is_rejected and SORA-SIZE"],
        "the error is not JSON",
    ),
    "wrong_dimensions": (
        [f"{CT}/test_model_rules.py", "-k", "test_valid_requests_are_accepted_and_echoed and Wan25T2V"],
        "the spec says",
    ),
}
LIFECYCLE_SORA = [f"{CT}/test_lifecycle.py", "-k", "test_job_lifecycle_and_content and Sora"]
SORA_VALID = [
    f"{CT}/test_model_rules.py",
    "-k",
    "test_valid_requests_are_accepted_and_echoed and SoraCreateRequest",
]
# The blind spots' classes: each caught by the checks the suite's client makes on every answer
# (contract_tests/engine/conform.py), whichever test sees it.
CASES.update(
    {
        "millis": (LIFECYCLE_SORA, "the spec's unit is seconds, x-unit; this looks like milliseconds"),
        "lifetime": (
            LIFECYCLE_SORA,
            "expires 3600 s after completion; the spec says 86400 s (x-content-ttl-seconds",
        ),
        "apimart_task_shape": (
            [f"{CT}/test_apimart.py", "-k", "test_task_states_and_result"],
            "is not of type 'integer' at data/progress",
        ),
        "over_limit": ([f"{CT}/test_lists.py"], "a page asked with limit=1 holds 2 jobs"),
        "deleted_listed": (
            [f"{CT}/test_lists.py", "-k", "test_deleted_job_is_gone_from_every_page"],
            "deleted job(s) still listed",
        ),
        "refuse_model_value": (SORA_VALID, "size: 1024x1792 is not supported by sora-2-pro"),
        "unfinish": (
            LIFECYCLE_SORA,
            "was completed and, read again, changed (status 'completed' -> 'in_progress'",
        ),
        "failed_without_error": (LIFECYCLE_SORA, "'error' is a required property"),
        "no_request_id": (
            [f"{CT}/test_semantics.py", "-k", "test_unknown_id_is_404"],
            "without the 'x-request-id' header the spec requires on every answer (rule REQUEST-ID)",
        ),
        "shared_job": (SORA_VALID, "two jobs never share an id"),
    }
)
#: rules the stand-ins' contract copy marks `confirmed` (production evidence shows they are enforced)
CONFIRMED = ["SORA-SECONDS", "VEO-SIZE"]


@dataclass
class Run:
    code: int
    report: str
    summary: dict
    jobs: int
    counts: dict
    output: str


def _child(name: str, args: list[str], report_dir: str) -> None:
    """In the forked child: serve the stand-in, run the suite against it, record the jobs created."""
    code = 99
    try:
        os.chdir(ROOT)
        log = os.open(os.path.join(report_dir, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        for key in [k for k in os.environ if k.startswith("AIHUBMIX_")]:
            del os.environ[key]
        import httpx

        from aihubmix_mock.pytest_plugin import RunningMock
        from contract_tests.engine.target import KEY_A, KEY_B
        from tests.drift_standins import standin

        app = standin(name)
        server = RunningMock(app).start()
        try:
            code = int(
                pytest.main(
                    [
                        *args,
                        "-q",
                        "-p",
                        "no:cacheprovider",
                        "-W",
                        "ignore::pytest.PytestAssertRewriteWarning",
                        "--base-url",
                        server.url,
                        "--api-key",
                        KEY_A,
                        "--api-key-2",
                        KEY_B,
                        "--poll-interval",
                        "5",
                        "--job-timeout",
                        "600",
                        "--report-dir",
                        report_dir,
                    ]
                )
            )
            jobs = httpx.get(f"{server.url}/__mock/health", timeout=10).json().get("jobs")
            counts = dict(getattr(app, "counts", {}))
        finally:
            server.stop()
        Path(report_dir, "run.json").write_text(json.dumps({"code": code, "jobs": jobs, "counts": counts}))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if 0 <= code < 256 else 99)


_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOAD)
    return _CONTEXT


def run_suite(name: str, directory: Path, args: list[str], *options: str, budget: int = 1000) -> Run:
    directory.mkdir(parents=True, exist_ok=True)
    process = _context().Process(
        target=_child, args=(name, [*args, "--max-billable-jobs", str(budget), *options], str(directory))
    )
    process.start()
    process.join(timeout=300)
    if process.is_alive():
        process.kill()
        process.join()
        pytest.fail(f"the suite against {name} did not finish in 300 s")
    output = (directory / "output.txt").read_text("utf-8", "replace")
    assert (directory / "run.json").exists(), f"the run against {name} crashed:\n{output[-3000:]}"
    run = json.loads((directory / "run.json").read_text("utf-8"))
    md = directory / "drift.md"
    report = md.read_text("utf-8") if md.exists() else ""
    summary = json.loads((directory / "drift.json").read_text("utf-8")) if md.exists() else {}
    assert run["code"] == process.exitcode
    return Run(run["code"], report, summary, run["jobs"], run["counts"], output)


@pytest.fixture(scope="module")
def evidence_copy(tmp_path_factory) -> Path:
    """openapi/ with the rules in CONFIRMED marked confirmed, as if production evidence had come in."""
    directory = tmp_path_factory.mktemp("openapi")
    for spec in (ROOT / "openapi").glob("*.yaml"):
        shutil.copy(spec, directory / spec.name)
    path = directory / "aihubmix.yaml"
    document = yaml.safe_load(path.read_text("utf-8"))
    for rule in CONFIRMED:
        document["components"]["x-rules"][rule]["production"] = {
            "status": "confirmed",
            "samples": ["TEST"],
            "dated": "2026-11-21",
            "confidence": "test fixture",
            "note": "marked confirmed by tests/test_drift_standins.py",
        }
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return directory


#: stand-in runs at once (each a forked pytest; most of a run is waiting on the server or the CPU)
PARALLEL = 3


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory, evidence_copy):
    """Every run this module's selected tests need, started at once (PARALLEL at a time), chains
    (plan then run; the baseline's four runs) in order. A test waits for its own."""
    base = tmp_path_factory.mktemp("standins")
    wanted = {item.originalname for item in request.session.items if item.module is request.module}
    cases = {
        item.callspec.params["name"]
        for item in request.session.items
        if item.module is request.module and item.originalname == "test_suite_reports_the_drift"
    }
    confirmed = ["--openapi-dir", str(evidence_copy)]
    jobs = {
        "baseline": (_baseline_runs, base / "baseline"),
        "lax": (_lax_runs, base / "lax", confirmed),
        "faithful": (run_suite, "faithful", base / "faithful", FAITHFUL_SELECTION),
        "flaky": (run_suite, "flaky", base / "flaky", FAITHFUL_SELECTION),
        "balance": (run_suite, "balance", base / "balance", [f"{CT}/test_semantics.py"]),
        "time_limit": (
            run_suite,
            "faithful",
            base / "time_limit",
            [f"{CT}/test_semantics.py"],
            "--max-run-seconds",
            "0.001",
        ),
        "veo_portrait": (
            run_suite,
            "veo_portrait",
            base / "veo_portrait",
            [f"{CT}/test_model_rules.py", "-k", "test_valid_requests_are_accepted_and_echoed and Veo31"],
        ),
        **{
            name: (partial(run_suite, budget=WHOLE_SERVER_BUDGET), name, base / name, [CT])
            for name in WHOLE_SERVER_DRIFTS
        },
        **{name: (run_suite, name, base / name, UNKNOWN_MODEL_SELECTION) for name in UNKNOWN_MODEL},
    }
    users = {
        "baseline": "test_baseline_new_then_resolved",
        "lax": "test_lax_server_bills_no_more_than_planned",
        "faithful": "test_faithful_mock_conforms",
        "flaky": "test_flaky_server_passes",
        "balance": "test_balance_run_out_is_an_incident_not_drift",
        "time_limit": "test_run_time_limit",
        "veo_portrait": "test_known_difference_is_known_and_passes",
        **{name: "test_a_broken_server_s_report_leads_with_its_causes" for name in WHOLE_SERVER_DRIFTS},
        **{name: "test_a_known_difference_needs_production_s_wording" for name in UNKNOWN_MODEL},
    }
    pool = ThreadPoolExecutor(PARALLEL)
    futures = {key: pool.submit(*job) for key, job in jobs.items() if users[key] in wanted}
    for name in CASES:
        if name in cases:
            futures[name] = pool.submit(run_suite, name, base / name, [*CASES[name][0], *confirmed])
    yield {key: future for key, future in futures.items()}
    pool.shutdown(wait=True, cancel_futures=True)


def _show(name: str, run: Run) -> None:
    print(f"\n===== stand-in {name}: exit {run.code} =====\n{run.report}")  # make drift-demo shows these


@pytest.mark.parametrize("name", list(CASES))
def test_suite_reports_the_drift(name, runs):
    expected = CASES[name][1]
    run = runs[name].result()
    _show(name, run)
    assert run.code == 1, (
        f"the suite did not notice the {name} drift (exit {run.code}):\n{run.report}\n{run.output[-2000:]}"
    )
    assert run.report.startswith("# Contract drift report: DRIFTED")
    assert run.summary["verdict"] == "drift" and run.summary["counts"]["drift"] >= 1
    assert expected in run.report, f"the report does not say {expected!r}:\n{run.report[:3000]}"
    assert "| **drift** |" in run.report
    assert "3c68746d" not in run.report, "a text body shown as hex"


FAITHFUL_SELECTION = [
    f"{CT}/test_semantics.py",
    f"{CT}/test_lifecycle.py",
    "-k",
    "test_semantics or (test_job_lifecycle_and_content and Sora)",
]


def test_faithful_mock_conforms(runs):
    run = runs["faithful"].result()
    _show("faithful", run)
    assert run.code == 0, run.report + run.output[-2000:]
    assert run.report.startswith("# Contract drift report: CONFORMS")
    assert run.summary["counts"]["drift"] == 0 and run.summary["counts"]["conforms"] > 20


def test_balance_run_out_is_an_incident_not_drift(runs):
    run = runs["balance"].result()
    _show("balance", run)
    assert run.code == 3, f"exit {run.code}, wanted 3 (incidents):\n{run.report}\n{run.output[-2000:]}"
    assert run.summary["verdict"] == "incident"
    assert run.summary["counts"]["drift"] == 0 and run.summary["counts"]["incident"] >= 5
    assert run.summary["counts"]["conforms"] >= 5, "the free checks (no key, unknown ids) still ran"
    incident = run.summary["groups"]["incident"][0]
    assert "balance" in incident["message"] and incident["exchange"]["status"] == 403
    assert incident["exchange"]["operation"] == "createVideo" and incident["exchange"]["authorization_sent"]
    assert "## Incidents" in run.report and "Your account balance is insufficient" in run.report
    assert run.jobs == 0


def test_flaky_server_passes(runs):
    run = runs["flaky"].result()
    _show("flaky", run)
    assert run.counts.get("GET", 0) >= 16, f"too few reads to meet the faults: {run.counts}"
    assert run.code == 0, f"exit {run.code}:\n{run.report}\n{run.output[-3000:]}"
    assert run.summary["counts"]["drift"] == 0 and run.summary["counts"]["incident"] == 0
    assert run.summary["counts"]["conforms"] > 20


def test_known_difference_is_known_and_passes(runs):
    run = runs["veo_portrait"].result()
    _show("veo_portrait", run)
    assert run.code == 0, f"exit {run.code}:\n{run.report}\n{run.output[-2000:]}"
    assert run.summary["verdict"] == "conforms" and run.summary["counts"]["drift"] == 0
    known = [k for k in run.summary["groups"]["known"] if k.get("difference") == "K-VEO-PORTRAIT"]
    assert known, f"K-VEO-PORTRAIT not reported as known:\n{run.report}"
    assert known[0]["exchange"]["response"]["width"] == 1280
    assert "K-VEO-PORTRAIT" in run.report


def test_run_time_limit(runs):
    """Past --max-run-seconds no test starts: each is `not checked`, and that fails nothing."""
    run = runs["time_limit"].result()
    assert run.code == 0, run.report + run.output[-2000:]
    counts = run.summary["counts"]
    assert counts["not checked"] >= 20 and counts["conforms"] + counts["drift"] + counts["incident"] == 0
    assert "time limit" in run.report and run.jobs == 0


LAX_SELECTION = [
    f"{CT}/test_model_rules.py",
    f"{CT}/test_semantics.py",
    "-k",
    "(test_documented_breaking_create_is_rejected and (SORA-SECONDS or VEO-SIZE or SORA-SIZE)) "
    "or test_no_key_is_401 or test_content_before_completion",
]


LAX_BUDGET = 2


def _lax_runs(directory: Path, options: list[str]) -> tuple[Run, Run]:
    plan = run_suite("lax", directory / "plan", LAX_SELECTION, *options, "--plan", budget=LAX_BUDGET)
    return plan, run_suite("lax", directory / "run", LAX_SELECTION, *options, budget=LAX_BUDGET)


def test_lax_server_bills_no_more_than_planned(runs):
    budget = LAX_BUDGET
    plan, run = runs["lax"].result()
    assert plan.code == 0 and plan.jobs == 0, plan.output[-2000:]
    worst = int(re.search(r"worst case: (\d+) billable", plan.output).group(1))
    may_bill = int(re.search(r"wrongly accepts them: (\d+)", plan.output).group(1))
    assert worst == budget + may_bill, plan.output
    confirmed_listed = plan.output.count("(confirmed)")
    assert confirmed_listed == 4, plan.output  # SORA-SECONDS twice, SORA-SIZE and VEO-SIZE once (x-rules)

    _show("lax", run)
    print(
        f"lax: {run.jobs} jobs created; budget {budget}, worst case planned {worst}, billing {run.summary['billable_jobs']}"
    )
    assert run.code == 1 and run.summary["verdict"] == "drift", run.report
    assert any(d["rule"] == "SORA-SECONDS" for d in run.summary["drifts"])
    assert run.jobs <= worst, f"{run.jobs} jobs created, the plan's worst case was {worst}:\n{plan.output}"
    billing = run.summary["billable_jobs"]
    assert billing["created"] <= budget
    assert run.jobs == billing["created"] + billing["unplanned"], (run.jobs, billing)
    # the second SORA-SECONDS request for sora-2 is not sent after the first was accepted
    assert any("already accepted" in n["message"] for n in run.summary["groups"]["not sent"]), run.report


def _baseline_runs(tmp_path: Path) -> tuple[Run, ...]:
    selection = [f"{CT}/test_semantics.py", "-k", "test_no_key_is_401"]
    clean = run_suite("faithful", tmp_path / "1", selection)
    drifted = run_suite(
        "forget_auth", tmp_path / "2", selection, "--baseline", str(tmp_path / "1" / "drift.json")
    )
    again = run_suite(
        "forget_auth",
        tmp_path / "3",
        selection,
        "--baseline",
        str(tmp_path / "2" / "drift.json"),
        "--fail-on",
        "new",
    )
    resolved = run_suite(
        "faithful", tmp_path / "4", selection, "--baseline", str(tmp_path / "2" / "drift.json")
    )
    return clean, drifted, again, resolved


def test_baseline_new_then_resolved(runs):
    clean, drifted, again, resolved = runs["baseline"].result()
    assert clean.code == 0 and clean.summary["drift_ids"] == []
    assert drifted.code == 1
    assert (
        drifted.summary["new"] and drifted.summary["resolved"] == [] and drifted.summary["persisting"] == []
    )
    assert drifted.report.startswith("# Contract drift report: DRIFTED\n\n**Since the baseline**")
    assert "- new: createVideo · sora-2 · auth-required" in drifted.report
    assert again.code == 0, "--fail-on new: the same drift as the baseline does not fail the run"
    assert again.summary["persisting"] == drifted.summary["new"] and again.summary["new"] == []
    assert resolved.code == 0
    assert resolved.summary["resolved"] == drifted.summary["new"] and resolved.summary["new"] == []


# ------------------------------------------------------------------ whole-server drifts (issue 22)
#: a server that breaks everything at once, run as a new user would: the whole suite, budget 20
WHOLE_SERVER_BUDGET = 20
#: stand-in -> the causes the first screen of drift.md must name (the true ones, in any order)
WHOLE_SERVER_DRIFTS = {
    "two_operations": [
        'models answer 404 `{"error": {"message": "model \'{model}\' not found"}}` (createVideo)',
        "operation `listVideos` is not served",
        "operation `deleteVideo` is not served",
        "operation `downloadVideoContent` is not served",
        "operation `remixVideo` is not served",
        "operation `apimartCreateGeneration` is not served",
        "operation `apimartGetTask` is not served",
    ],
    "static_examples": [
        'every refusal is the same 400 `{"error": {"message": "seconds: \'N\' is invalid',
        # every create answers the same static job: its id was given before, its model not asked
        "the create of {model} was answered with id {id}, already given to an earlier job",
        "the job says model",
    ],
}


def _excused_as_described(known: dict) -> bool:
    """A known result's answer is the one its x-known-differences entry describes."""
    from contract_tests.engine import evidence

    entry = next(e for e in evidence.known_differences() if e["id"] == known["difference"])
    exchange = known.get("exchange") or {}
    return evidence.answer_matches(entry, exchange.get("status"), exchange.get("response"))


@pytest.mark.parametrize("name", list(WHOLE_SERVER_DRIFTS))
def test_a_broken_server_s_report_leads_with_its_causes(name, runs):
    """Issue 22: a server that implements create and retrieve for one model only, and one that
    answers only the spec's static examples. The report's first screen is the verdict and the true
    causes; every drift is one of them (no false alarm); `not sent` is a count of its own; nothing is
    known that its entry does not describe; the report stays a few hundred lines."""
    run = runs[name].result()
    _show(name, run)
    summary, report = run.summary, run.report
    assert run.code == 1 and summary["verdict"] == "drift", run.output[-2000:]
    first_screen = report.split("## Causes")[0]
    assert len(re.findall(r"^\d+\. \*\*", first_screen, re.M)) <= 10
    for cause in WHOLE_SERVER_DRIFTS[name]:
        assert cause in first_screen, f"{cause!r} is not on the first screen:\n{first_screen}"
    causes = summary["causes"]
    assert sum(c["count"] for c in causes) == summary["counts"]["drift"]
    keys = [t.split("`")[1] if "`" in t else t for t in WHOLE_SERVER_DRIFTS[name]]
    true = [c for c in causes if any(k in c["title"] for k in keys)]
    explained = sum(c["count"] for c in true)
    assert explained >= 0.95 * summary["counts"]["drift"], [(c["title"], c["count"]) for c in causes]
    wrong = 404 if name == "two_operations" else 400
    # (a static server's accepted creates are its own drift too: one job, one id, for every create)
    answers = [
        wrong if r.get("check") in ("identity", "echo") else r["status"]
        for r in summary["results"]
        if r["state"] == "drift"
    ]
    # (one drift's last exchange is the retrieve before its content answered 404: still the server's fault)
    assert sum(1 for s in answers if s == wrong) >= len(answers) - 2, "a drift that is not the server's"
    assert list(summary["counts"]) == ["conforms", "drift", "known", "incident", "not sent", "not checked"]
    assert "not sent" in first_screen and "| not sent |" in report
    for state in summary["counts"]:
        assert sum(row[state] for row in summary["by_operation_and_model"]) == summary["counts"][state]
    known = [k for k in summary["groups"]["known"] if k.get("difference")]
    assert all(_excused_as_described(k) for k in known), known
    # nothing looks checked that was not: a known result was sent (its exchanges), and what the
    # budget left unsent is `not sent`
    assert not [r for r in summary["results"] if r["state"] == "known" and not r["exchanges"]]
    assert summary["counts"]["not sent"] > 0, "a budget of 20 leaves checks unsent, and says so"
    assert len(report.splitlines()) < 400, len(report.splitlines())
    print(
        f"{name}: drift.md {len(report.splitlines())} lines, {len(causes)} causes, {len(summary['drifts'])} rule-level groups"
    )


UNKNOWN_MODEL_SELECTION = [
    f"{CT}/test_model_rules.py",
    "-k",
    "test_documented_breaking_create_is_rejected and MODEL-KNOWN",
]
#: stand-in -> (exit code, state of the unknown-model results)
UNKNOWN_MODEL = {"unknown_model_503": (0, "known"), "unknown_model_rate_limited": (3, "incident")}


@pytest.mark.parametrize("name", list(UNKNOWN_MODEL))
def test_a_known_difference_needs_production_s_wording(name, runs):
    """K-UNKNOWN-MODEL-503 (status 503, message "Incorrect model ID", AHM-07): production's answer to
    an unknown model is known; the same 503 with the provider's throttling words is an incident."""
    code, state = UNKNOWN_MODEL[name]
    run = runs[name].result()
    _show(name, run)
    assert run.code == code, f"exit {run.code}:\n{run.report}\n{run.output[-2000:]}"
    states = {r["state"] for r in run.summary["results"] if r["rule"] == "MODEL-KNOWN"}
    assert states == {state}, run.report
    known = [k for k in run.summary["groups"]["known"] if k.get("difference")]
    assert [k["difference"] for k in known] == (["K-UNKNOWN-MODEL-503"] if state == "known" else [])


def test_free_checks_catch_drift_with_no_budget(tmp_path):
    """The checks that cost nothing run against every target: with a budget of 0 (as a run against
    production without one), a server that drops its request id is drift, and no job is created."""
    run = run_suite("no_request_id", tmp_path, [f"{CT}/test_semantics.py", f"{CT}/test_lists.py"], budget=0)
    _show("no_request_id, budget 0", run)
    assert run.code == 1 and run.jobs == 0, (
        f"exit {run.code}, {run.jobs} jobs:\n{run.report}\n{run.output[-2000:]}"
    )
    assert "rule REQUEST-ID" in run.report
    assert run.summary["counts"]["drift"] >= 3, "each free check that met an answer reports it"


def test_another_models_job_under_one_id_is_caught_twice(tmp_path):
    """A server that answers every create with the first job (another model's, its id): the echo of
    the model and the identity of the job are each reported."""
    selection = [
        f"{CT}/test_model_rules.py",
        "-k",
        "test_valid_requests_are_accepted_and_echoed and (SoraCreateRequest or Wan26T2VRequest)",
    ]
    run = run_suite("shared_job", tmp_path, selection)
    _show("shared_job", run)
    assert run.code == 1, run.report + run.output[-2000:]
    assert "two jobs never share an id" in run.report
    assert "asked for wan2.6-t2v, the job says model 'sora-2'" in run.report, run.report[:4000]
