"""The drift report on its own: grouping, states, known differences, evidence, baseline, plan."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contract_tests.engine import evidence, generate
from contract_tests.engine.api import excerpt, incident_reason, operation_of
from contract_tests.engine.media_check import starts
from contract_tests.engine.report import STATES, DriftReport, _operation_rows, drift_id, markdown

MODELS = sorted(generate.variants("aihubmix", "CreateVideoRequest"))


def _exchange(model: str, status: int = 200, **extra) -> dict:
    return {
        "seq": 1,
        "operation": "createVideo",
        "method": "POST",
        "path": "/v1/videos",
        "model": model,
        "authorization_sent": True,
        "request": {"model": model, "prompt": "p"},
        "status": status,
        "response": {"id": "eyJabc", "width": 1280},
        "error": None,
        "attempts": 1,
        **extra,
    }


def test_one_entry_per_distinct_drift_with_a_count():
    report = DriftReport()
    for n in range(25):  # one drift seen for many models and examples
        model = MODELS[n % len(MODELS)]
        report.add(
            f"t[{n}]",
            "drift",
            operation="createVideo",
            model=model,
            check="dimensions",
            message=f"rendered 1280x720 {n}s for {model}, the spec says 832x480 {n}s",
            exchange=_exchange(model),
        )
    report.add(
        "other",
        "drift",
        operation="retrieveVideo",
        model="sora-2",
        check="schema",
        message="'progress' missing",
    )
    summary = report.summary("t", {"created": 0, "budget": 0, "unplanned": 0})
    assert len(summary["drifts"]) == 2
    assert summary["drifts"][0]["count"] == 25 and len(summary["drifts"][0]["models"]) == len(
        set(MODELS[n % len(MODELS)] for n in range(25))
    )
    text = markdown(summary)
    assert text.count("### ") == 2 and len(text.splitlines()) < 120


def test_headline_lists_every_operation_and_model():
    summary = DriftReport().summary("t", {"created": 0, "budget": 0, "unplanned": 0})
    rows = {(r["operation"], r["model"]) for r in summary["by_operation_and_model"]}
    assert {("createVideo", m) for m in MODELS} <= rows
    assert ("deleteVideo", "-") in rows and ("apimartGetTask", "-") in rows
    assert all(r["state"] == "not checked" for r in summary["by_operation_and_model"])
    assert summary["verdict"] == "conforms"


@pytest.mark.parametrize(
    ("states", "verdict"),
    [
        (["conforms", "known", "not checked"], "conforms"),
        (["conforms", "incident"], "incident"),
        (["incident", "drift"], "drift"),
    ],
)
def test_verdict(states, verdict):
    report = DriftReport()
    for n, state in enumerate(states):
        report.add(f"t{n}", state, operation="createVideo", model="sora-2", message="m", check=f"c{n}")
    summary = report.summary("t", {"created": 0, "budget": 0, "unplanned": 0})
    assert summary["verdict"] == verdict
    assert set(summary) >= {"verdict", "drifts", "causes", "groups", "billable_jobs"}


def test_baseline_new_resolved_persisting():
    def run(*checks):
        report = DriftReport()
        for check in checks:
            report.add(check, "drift", operation="createVideo", model="sora-2", message="m", check=check)
        return report

    first = run("a", "b").summary("t", {"created": 0, "unplanned": 0})
    second = run("b", "c").summary("t", {"created": 0, "unplanned": 0}, json.loads(json.dumps(first)), "x")
    assert second["new"] == [drift_id("createVideo", "sora-2", None, "c")]
    assert second["resolved"] == [drift_id("createVideo", "sora-2", None, "a")]
    assert second["persisting"] == [drift_id("createVideo", "sora-2", None, "b")]
    assert markdown(second).startswith("# Contract drift report: DRIFTED\n\n**Since the baseline**")


def test_a_rule_drift_links_its_document_line_and_evidence():
    rule = next(iter(evidence.rules()))
    report = DriftReport()
    report.add(
        "t",
        "drift",
        operation="createVideo",
        model="sora-2",
        message="m",
        rule=rule,
        exchange=_exchange("sora-2"),
    )
    summary = report.summary("t", {"created": 0, "unplanned": 0})
    entry = summary["drifts"][0]
    assert entry["evidence"]["docs"] == evidence.rules()[rule]["docs"]
    assert entry["evidence"]["production"]["status"] == evidence.production_status(rule)
    text = markdown(summary)
    assert f"rule **{rule}**" in text and "with an Authorization header" in text


def test_known_difference_matches_operation_model_and_rule_or_check():
    entry = evidence.known_differences()[0]
    model = entry["models"][0]
    param = next(p for (m, p), r in evidence._param_rules().items() if m == model and r == entry["rule"])
    rules = evidence.rules_of_request(model, {"model": model, "prompt": "p", param: "x"})
    status = entry["status"]
    assert (
        evidence.match_known(entry["operation"], model, None, entry["check"], rules, status=status)["id"]
        == entry["id"]
    )
    # the same failure without the parameter the difference is about is drift
    assert evidence.match_known(entry["operation"], model, None, entry["check"], [], status=status) is None
    assert (
        evidence.match_known(entry["operation"], "sora-2", None, entry["check"], rules, status=status) is None
    )
    assert (
        evidence.match_known(
            "retrieveVideo" if entry["operation"] != "retrieveVideo" else "createVideo",
            model,
            None,
            entry["check"],
            rules,
            status=status,
        )
        is None
    )


@pytest.mark.parametrize(
    ("status", "text", "incident"),
    [
        (403, '{"error":{"message":"Your account balance is insufficient."}}', True),
        (429, "The sora-2 model Too many requests", True),
        (503, "Rate limited by provider", True),
        (500, "no_valid_channel_error (tid: 1)", True),
        (400, "seconds: '5' is invalid", False),
        (404, "not found", False),
        (500, "Traceback", False),
    ],
)
def test_gateway_state_is_an_incident(status, text, incident):
    assert (incident_reason(status, text) is not None) == incident


def test_operation_from_the_request_itself():
    assert operation_of("POST", "/v1/videos/generations") == "apimartCreateGeneration"
    assert operation_of("GET", "/v1/videos/abc/content?variant=thumbnail") == "downloadVideoContent"
    assert operation_of("DELETE", "/v1/videos/abc") == "deleteVideo"


def test_bodies_as_text_never_hex_of_text():
    html = b"<html><body>Video temporarily unavailable</body></html>"
    assert excerpt(html, "video/mp4")["text"].startswith("<html>")
    assert "<html>" in starts(html) and "3c68746d" not in starts(html)
    assert "starts" in excerpt(b"\x00\x01\xff\xfe", "video/mp4")


def test_plan_is_fixed_and_deterministic():
    strategy = generate.valid("aihubmix", "Veo31CreateRequest")
    first = generate.plan(strategy, 6)
    assert first == generate.plan(strategy, 6) and len(first) == 6
    assert all(generate.validator("aihubmix", "Veo31CreateRequest").is_valid(body) for body in first)


CHECKS = {
    "rejected",
    "accepted",
    "echo",
    "dimensions",
    "schema",
    "lifecycle",
    "content",
    "content-not-ready",
    "auth-required",
}


def _test_names() -> set[str]:
    import re
    from pathlib import Path

    folder = Path(generate.__file__).parents[1]
    return {m for f in folder.glob("test_*.py") for m in re.findall(r"^def (test_\w+)", f.read_text(), re.M)}


@pytest.mark.parametrize("entry", evidence.known_differences(), ids=lambda e: e["id"])
def test_every_known_difference_can_match(entry):
    """What the matcher needs: an operation of the specs, a `check` the suite names (or a test's
    name) or a `rule` of x-rules, and models the specs know."""
    from contract_tests.engine.report import _models, _operation_rows

    operations = {op for op, _ in _operation_rows()}
    assert entry["operation"] in operations, entry
    assert entry.get("check") or entry.get("rule"), entry
    if entry.get("check"):
        assert entry["check"] in CHECKS | _test_names(), entry
    # the answer it excuses: a status (or list of statuses), and a message pattern that compiles
    statuses = entry["status"] if isinstance(entry.get("status"), list) else [entry.get("status")]
    assert statuses and all(isinstance(s, int) and 100 <= s < 600 for s in statuses), entry
    if entry.get("message"):
        re.compile(entry["message"])
    if entry.get("rule"):
        assert entry["rule"] in evidence.rules(), entry
    for model in entry.get("models") or []:
        assert model in _models(), (entry["id"], model)


def _faults():
    for name in ("aihubmix",):
        for response in generate.document(name)["components"]["responses"].values():
            for example in (
                response.get("content", {}).get("application/json", {}).get("examples") or {}
            ).values():
                fault = example.get("x-mock-fault")
                if fault:
                    yield pytest.param(fault["status"], json.dumps(example["value"]), id=fault["name"])


@pytest.mark.parametrize(("status", "text"), list(_faults()))
def test_every_gateway_fault_of_the_spec_is_an_incident(status, text):
    """main's named faults (X-Mock-Fault), as production's bodies: incidents by status and text."""
    assert incident_reason(status, text) is not None


def test_the_balance_stand_in_answers_production_s_body():
    """The stand-in's body is production's AHM-06 body, as the spec quotes it (insufficient_balance)."""
    from tests.drift_standins import BALANCE_BODY

    examples = generate.document("aihubmix")["components"]["responses"]
    found = [
        e["value"]
        for r in examples.values()
        for e in (r.get("content", {}).get("application/json", {}).get("examples") or {}).values()
        if (e.get("x-mock-fault") or {}).get("name") == "balance"
    ]
    assert found == [BALANCE_BODY]


def test_a_known_difference_s_status_and_sent_narrow_it():
    """K-SORA-SECONDS-NUMBER is about `seconds` as a number: a string the server wrongly accepts
    stays drift. K-UNKNOWN-CHANNEL is about a 400: any other failure of its test stays drift."""
    assert (
        evidence.match_known(
            "createVideo",
            "sora-2",
            "SORA-SECONDS",
            "rejected",
            ["SORA-SECONDS"],
            status=200,
            request={"model": "sora-2", "seconds": 4},
        )["id"]
        == "K-SORA-SECONDS-NUMBER"
    )
    assert (
        evidence.match_known(
            "createVideo",
            "sora-2",
            "SORA-SECONDS",
            "rejected",
            ["SORA-SECONDS"],
            status=200,
            request={"model": "sora-2", "seconds": "5"},
        )
        is None
    )
    assert (
        evidence.match_known(
            "retrieveVideo",
            None,
            None,
            "test_unknown_id_is_404",
            status=400,
            response={"error": {"message": "Bad Request – invalid channel ID."}},
        )["id"]
        == "K-UNKNOWN-CHANNEL"
    )
    assert evidence.match_known("retrieveVideo", None, None, "test_unknown_id_is_404", status=200) is None
    # the wording is production's: without the answer's body, or with other words, it is not this entry
    assert evidence.match_known("retrieveVideo", None, None, "test_unknown_id_is_404", status=400) is None
    canned = {"error": {"message": "seconds: '5' is invalid: allowed: 4, 8, 12 [rule SORA-SECONDS]"}}
    assert (
        evidence.match_known(
            "retrieveVideo", None, None, "test_unknown_id_is_404", status=400, response=canned
        )
        is None
    )


# ------------------------------------------------------------------ known differences excuse only their answer
def _own_failure(entry: dict) -> dict:
    """The failure an entry describes, in every respect but the answer: its operation, a model of
    it, its check and rule, what it says was sent."""
    model = (entry.get("models") or ["sora-2"])[0]
    request: dict = {"model": model, "prompt": "p"}
    for param, wanted in (entry.get("sent") or {}).items():
        kind = wanted.get("type") if isinstance(wanted, dict) else None
        request[param] = (
            wanted[0] if isinstance(wanted, list) else {"number": 4, "string": "8"}.get(kind, "x")
        )
    return {
        "operation": entry["operation"],
        "model": model,
        "rule": entry.get("rule"),
        "check": entry.get("check"),
        "request": request,
    }


def _match(failure: dict, status: int, response=None):
    return evidence.match_known(
        failure["operation"],
        failure["model"],
        failure["rule"],
        failure["check"],
        [failure["rule"]] if failure["rule"] else [],
        status=status,
        request=failure["request"],
        response=response,
    )


@pytest.mark.parametrize("entry", evidence.known_differences(), ids=lambda e: e["id"])
def test_a_known_difference_excuses_only_the_answer_it_describes(entry):
    """Each entry matches its own failure with the answer it names (status, and production's
    wording where the evidence quotes it), and nothing else: a 404 from a route that is not served
    or a 405 is never `known`, nor is the entry's status with other words."""
    failure = _own_failure(entry)
    statuses = entry["status"] if isinstance(entry["status"], list) else [entry["status"]]
    wording = {"error": {"message": f"upstream says: {entry['message']}"}} if entry.get("message") else {}
    assert _match(failure, statuses[0], wording) is entry, entry["id"]
    for status in (404, 405):
        assert status not in statuses
        assert _match(failure, status, {"detail": "Not Found"}) is None, (entry["id"], status)
        assert _match(failure, status, wording) is None, (entry["id"], status)
    if entry.get("message"):
        assert _match(failure, statuses[0], {"error": {"message": "something else entirely"}}) is None


def test_a_404_for_a_missing_route_is_never_known():
    """What issue 22 saw: K-APIMART-SUBMIT-OBJECT and K-VEO-SECONDS-STRING counted a server's
    `404 {"detail": "Not Found"}` (no such route, no such model) as known."""
    for entry in evidence.known_differences():
        failure = _own_failure(entry)
        assert _match(failure, 404, {"detail": "Not Found"}) is None, entry["id"]
    submit = _own_failure(
        next(e for e in evidence.known_differences() if e["id"] == "K-APIMART-SUBMIT-OBJECT")
    )
    assert _match(submit, 200, {"code": 200, "data": {"id": "task_1", "status": "submitted"}})["id"] == (
        "K-APIMART-SUBMIT-OBJECT"
    )


def test_the_message_pattern_is_production_s_wording():
    unknown_model = dict(
        operation="createVideo", model="nope", rule="MODEL-KNOWN", check="rejected", request={}
    )
    said = {"error": {"message": "Incorrect model ID. Please request to view the model page", "type": "x"}}
    assert _match(unknown_model, 503, said)["id"] == "K-UNKNOWN-MODEL-503"
    outage = {"error": {"message": "Rate limited by provider - try again later"}}
    assert _match(unknown_model, 503, outage) is None


# ------------------------------------------------------------------ causes first
NOT_FOUND = {"detail": "Not Found"}
CANNED_400 = {"error": {"message": "seconds: '5' is invalid: allowed: 4, 8, 12 [rule SORA-SECONDS] (tid: 1)"}}


def _two_operations_report() -> DriftReport:
    """What a server implementing only create and retrieve for sora-2 makes of a run: every other
    model 404s naming it, every other route 404s alike, sora-2 conforms."""
    report = DriftReport()
    n = 0
    for model in MODELS:
        if model == "sora-2":
            report.add("t-sora", "conforms", operation="createVideo", model=model, message=None, exchanges=1)
            continue
        for check, rule in (("accepted", None), ("echo", None), ("rejected", "NO-UNKNOWN-PARAMS")):
            n += 1
            report.add(
                f"t{n}[{model}]",
                "drift",
                operation="createVideo",
                model=model,
                message=f"expected 200, got 404 for {model}",
                check=check,
                rule=rule,
                exchange=_exchange(model, 404, response={"error": {"message": f"model '{model}' not found"}}),
            )
    for op, method, path in (
        ("downloadVideoContent", "GET", "/v1/videos/x/content"),
        ("remixVideo", "POST", "/v1/videos/x/remix"),
        ("listVideos", "GET", "/v1/videos"),
    ):
        for check in ("auth-required", "schema", "test_pagination"):
            n += 1
            report.add(
                f"t{n}",
                "drift",
                operation=op,
                model=None,
                message=f"expected 401, got 404 ({check})",
                check=check,
                exchange=_exchange("-", 404, operation=op, method=method, path=path, response=NOT_FOUND),
            )
    for k in range(12):  # the budget ran out: nothing sent
        report.add(
            f"budget{k}",
            "not sent",
            operation="apimartCreateGeneration",
            model="sora-2-preview",
            message="budget",
        )
    report.add("k", "known", operation="createVideo", model="sora-2", message="unconfirmed", rule="SORA-SIZE")
    return report


def test_causes_first_models_and_operations_not_served():
    summary = _two_operations_report().summary("t", {"created": 1, "budget": 20, "unplanned": 0})
    titles = [c["title"] for c in summary["causes"]]
    others = len(MODELS) - 1
    assert titles[0].startswith(f"{others} models answer 404"), titles
    assert summary["causes"][0]["count"] == others * 3
    assert set(summary["causes"][0]["checks"]) == {"accepted", "echo", "rejected"}
    assert summary["causes"][0]["rules"] == ["NO-UNKNOWN-PARAMS"]
    for op in ("downloadVideoContent", "remixVideo", "listVideos"):
        cause = next(c for c in summary["causes"] if f"operation `{op}` is not served" in c["title"])
        assert cause["count"] == 3 and cause["operations"] == [op] and cause["exchange"]["status"] == 404
    assert len(summary["causes"]) == 4
    assert sum(c["count"] for c in summary["causes"]) == summary["counts"]["drift"]
    text = markdown(summary)
    first_screen = text.split("## Causes")[0]
    assert f"1. **{others} models answer 404" in first_screen
    assert "operation `downloadVideoContent` is not served" in first_screen
    assert len(first_screen.splitlines()) <= 20
    assert text.index("## Causes") < text.index("<details>") < text.index("| createVideo | sora-2 |")


def test_every_refusal_is_the_same_400():
    report = DriftReport()
    checks = [("rejected", "SORA-SIZE"), ("auth-required", None), ("test_unknown_id_is_404", None)]
    for n, (check, rule) in enumerate(checks * 4):
        report.add(
            f"t{n}",
            "drift",
            operation=("createVideo", "retrieveVideo", "deleteVideo")[n % 3],
            model="sora-2",
            message=f"expected something else ({n})",
            check=check,
            rule=rule,
            exchange=_exchange("sora-2", 400, response=CANNED_400),
        )
    summary = report.summary("t", {"created": 0, "budget": 0, "unplanned": 0})
    assert len(summary["causes"]) == 1
    assert summary["causes"][0]["title"].startswith("every refusal is the same 400")
    assert summary["causes"][0]["count"] == 12 and len(summary["causes"][0]["checks"]) == 3


def test_a_server_accepting_every_breaking_request_is_one_cause():
    report = DriftReport()
    for n, rule in enumerate(["SORA-SECONDS", "SORA-SIZE", "VEO-SIZE"] * 2):
        report.add(
            f"t{n}",
            "drift",
            operation="createVideo",
            model="sora-2",
            message=f"rule {rule}: expected a 4xx, got 200",
            check="rejected",
            rule=rule,
            exchange=_exchange("sora-2", 200),
        )
    causes = report.summary("t", {"created": 0, "budget": 0, "unplanned": 0})["causes"]
    assert [c["title"] for c in causes] == ["`createVideo` accepts (200) requests that break 3 rules"]


# ------------------------------------------------------------------ states and counts that agree
def test_not_sent_is_counted_apart_and_counts_agree():
    summary = _two_operations_report().summary("t", {"created": 1, "budget": 20, "unplanned": 0})
    counts = summary["counts"]
    assert list(counts) == list(STATES) and counts["not sent"] == 12 and counts["known"] == 1
    rows = summary["by_operation_and_model"]
    for state in STATES:  # every result is in exactly one row; rows' tally is the header's
        assert sum(r[state] for r in rows) == counts[state]
        assert summary["rows"][state] == sum(1 for r in rows if r["state"] == state)
    row = next(
        r for r in rows if (r["operation"], r["model"]) == ("apimartCreateGeneration", "sora-2-preview")
    )
    assert row["state"] == "not sent" and row["conforms"] == 0  # nothing looks checked
    text = markdown(summary)
    assert (
        "| operation | model | state | conforms | drift | known | incident | not sent | not checked |" in text
    )
    assert "12 not sent" in text.split("## Causes")[0]
    assert (
        "## Not sent" in text
        and "| apimartCreateGeneration | sora-2-preview | not sent | 0 | 0 | 0 | 0 | 12 | 0 |" in text
    )
    header = re.search(r"(\d+) rows \(one per operation.*?\): (.*?)\.", text)
    said = dict((s, int(n)) for n, s in re.findall(r"(\d+) ([a-z ]+?)(?:,|$)", header.group(2)))
    assert said == summary["rows"] and int(header.group(1)) == len(rows)


def test_one_spelling_per_state_in_drift_json(tmp_path):
    report = _two_operations_report()
    report.add("nc", "not checked", operation=None, model=None, message="no control plane")
    summary = report.summary("t", {"created": 0, "budget": 0, "unplanned": 0})
    report.write(tmp_path, summary)
    text = (tmp_path / "drift.json").read_text("utf-8")
    assert "not_checked" not in text and '"incidents"' not in text and '"not_sent"' not in text
    data = json.loads(text)
    assert data["states"] == list(STATES) and set(data["groups"]) == {
        "known",
        "incident",
        "not sent",
        "not checked",
    }
    assert {r["state"] for r in data["results"]} <= set(STATES) and len(data["results"]) == len(
        report.results
    )
    with pytest.raises(AssertionError, match="not one of"):
        report.add("x", "not_checked", operation=None, model=None, message=None)


def test_a_server_that_fails_everything_gives_a_short_report():
    """Every operation × model drifts on many checks with varied answers: the report stays a few
    hundred lines, the first screen at most ten causes; drift.json keeps every result."""
    report = DriftReport()
    for n, (op, model) in enumerate(_operation_rows() * 12):
        status = (404, 400, 500, 200)[n % 4]
        report.add(
            f"t{n}",
            "drift",
            operation=op,
            model=model,
            message=f"check {n % 23} failed for {model}: field_{n % 17} is wrong",
            check=f"check{n % 23}",
            rule=None,
            exchange=_exchange(model, status, response={"error": {"message": f"oops {n % 29} for {model}"}}),
        )
    summary = report.summary("t", {"created": 0, "budget": 0, "unplanned": 0})
    text = markdown(summary)
    assert len(text.splitlines()) < 400, len(text.splitlines())
    first_screen = text.split("## Causes")[0]
    assert len(re.findall(r"^\d+\. \*\*", first_screen, re.M)) <= 10
    assert len(summary["results"]) == len(report.results) == summary["counts"]["drift"]
    assert sum(c["count"] for c in summary["causes"]) == summary["counts"]["drift"]


# ------------------------------------------------------------------ the history page
def _night(day: int, drift: int, not_sent: int) -> dict:
    report = DriftReport()
    for n in range(drift):
        report.add(
            f"d{n}",
            "drift",
            operation="remixVideo",
            model=None,
            message="m",
            check="schema",
            exchange=_exchange("-", 404, response=NOT_FOUND),
        )
    for n in range(not_sent):
        report.add(f"s{n}", "not sent", operation="createVideo", model="kling-v1", message="budget spent")
    report.add("c", "conforms", operation="createVideo", model="sora-2", message=None)
    summary = report.summary("https://example.test", {"created": 0, "budget": 3, "unplanned": 0})
    summary["generated_at"] = f"2026-12-0{day}T03:17:00Z"
    return summary


def _history(tmp_path) -> tuple[Path, dict]:
    from contract_tests.engine.history import keep

    history = tmp_path / "reports" / "history"
    for day, drift, not_sent in ((1, 0, 5), (2, 3, 5), (3, 7, 2)):
        path = tmp_path / f"run{day}.json"
        path.write_text(json.dumps(_night(day, drift, not_sent)), "utf-8")
        keep(path, history, 30)
    return history, _night(4, 9, 1)


def test_the_history_page_plots_every_kept_night(tmp_path):
    history, tonight = _history(tmp_path)
    reports = history.parent
    DriftReport().write(reports, tonight)  # (the report of an empty run; the page is tonight's)
    from contract_tests.engine.history import write_html

    page = write_html(reports / "drift.html", tonight, history).read_text("utf-8")
    assert "<title>Contract drift history: DRIFTED</title>" in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    bars = re.findall(r'data-state="([a-z ]+)"[^>]*><title>(\S+): (\d+) ', page)
    assert ("drift", "2026-12-04", "9") in [(s, d, n) for s, d, n in bars]
    assert {d for _, d, _ in bars} == {"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"}
    assert ("not sent", "2026-12-01", "5") in bars
    assert "remixVideo, 2026-12-03: drift" in page and "remixVideo, 2026-12-01: no result" in page
    assert 'href="history/2026-12-02/drift.json"' in page


def test_keep_holds_the_newest_nights_only(tmp_path):
    from contract_tests.engine.history import keep, load

    history = tmp_path / "history"
    for day in range(1, 6):
        path = tmp_path / "drift.json"
        path.write_text(json.dumps(_night(day, day, 0)), "utf-8")
        keep(path, history, 3)
    assert [r["generated_at"][:10] for r in load(history)] == ["2026-12-03", "2026-12-04", "2026-12-05"]


def test_history_command_writes_the_page(tmp_path):
    import subprocess
    import sys

    history, _ = _history(tmp_path)
    out = tmp_path / "page.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "contract_tests.engine.history",
            "html",
            "--history",
            str(history),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "3 run(s)" in done.stdout and "2026-12-03" in out.read_text("utf-8")
    empty = subprocess.run(
        [sys.executable, "-m", "contract_tests.engine.history", "html", "--history", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert empty.returncode == 2 and "keep a run first" in empty.stderr


def _chromium() -> str | None:
    import shutil

    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def test_the_history_page_in_a_real_browser(tmp_path):
    """Debian's chromium, headless, no network: the page's DOM has its title and causes, and the
    screenshot is not blank (the plot's colours are in it)."""
    import subprocess

    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    from PIL import Image

    from contract_tests.engine.history import write_html

    history, tonight = _history(tmp_path)
    page = write_html(history.parent / "drift.html", tonight, history)
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "<title>Contract drift history: DRIFTED</title>" in dom.stdout, dom.stderr[-2000:]
    assert "operation <code>remixVideo</code> is not served" in dom.stdout
    shot = tmp_path / "drift.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1100,900", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 0
    image = Image.open(shot).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 20, "the screenshot is blank"
    assert (0xD6, 0x27, 0x28) in colours and (0x7F, 0x7F, 0x7F) in colours  # drift and not sent bars


# ------------------------------------------------------------------ changes.md of the free watch
def test_changes_md_says_when_there_is_no_previous_run(tmp_path):
    from contract_tests.engine.free import Kept

    first = Kept(tmp_path / "free")
    first.keep("catalogue", "models", {"sora-2": 1})
    text = first.write_changes("the mock").read_text("utf-8")
    assert "no previous run to compare with" in text and "nothing" not in text
    second = Kept(tmp_path / "free")
    second.keep("catalogue", "models", {"sora-2": 1})
    second.keep("schema", "sora-2", {})
    text = second.write_changes("the mock").read_text("utf-8")
    assert "nothing: every fetched document equals the previous run's (1 compared)" in text
    assert "1 document(s) had no previous copy" in text


# ------------------------------------------------------------------ the nightly workflow's own steps
def _workflow_step(name: str) -> str:
    import yaml

    folder = Path(generate.__file__).parents[2]
    workflow = yaml.safe_load((folder / ".github/workflows/nightly-drift.yml").read_text("utf-8"))
    return next(s["run"] for s in workflow["jobs"]["drift"]["steps"] if s.get("name") == name)


def test_the_nightly_keeps_thirty_nights_and_the_newest_is_the_baseline(tmp_path):
    """The workflow's own `keep` and `baseline` steps, run by bash in a checkout-like folder, 32
    nights in a row: 30 are kept, each with that night's changes.md; the page plots them; the next
    night's baseline is the newest."""
    import subprocess

    root = Path(generate.__file__).parents[2]
    for name in (".venv", "contract_tests", "openapi", "fixtures"):  # a checkout, as the runner has it
        (tmp_path / name).symlink_to(root / name)
    reports = tmp_path / "reports"
    (reports / "free").mkdir(parents=True)
    keep_step = _workflow_step("keep this night (the newest 30) and draw the history page")
    baseline_step = _workflow_step("the newest kept night is the baseline")
    first = subprocess.run(["bash", "-ec", baseline_step], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0 and "no previous night kept" in first.stdout
    for night in range(1, 33):
        summary = _night(1, night % 5, 1)
        summary["generated_at"] = f"2026-{10 + night // 31:02d}-{night % 31 + 1:02d}T03:17:00Z"
        (reports / "drift.json").write_text(json.dumps(summary), "utf-8")
        (reports / "free" / "changes.md").write_text(f"# night {night}\n", "utf-8")
        done = subprocess.run(
            ["bash", "-ec", keep_step], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    nights = sorted(p.name for p in (reports / "history").iterdir())
    assert len(nights) == 30 and nights[-1] == "2026-11-02" and "2026-10-02" not in nights
    assert (reports / "history" / nights[-1] / "changes.md").read_text("utf-8") == "# night 32\n"
    assert "30 run(s) shown" in (reports / "drift.html").read_text("utf-8")
    done = subprocess.run(["bash", "-ec", baseline_step], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and f"reports/history/{nights[-1]}/drift.json" in done.stdout
    assert json.loads((reports / "previous" / "drift.json").read_text("utf-8"))["generated_at"].startswith(
        "2026-11-02"
    )
