"""The drift report on its own: grouping, states, known differences, evidence, baseline, plan."""

from __future__ import annotations

import json

import pytest

from contract_tests.engine import evidence, generate
from contract_tests.engine.api import excerpt, incident_reason, operation_of
from contract_tests.engine.media_check import starts
from contract_tests.engine.report import DriftReport, drift_id, markdown

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
    assert set(summary) >= {"verdict", "drifts", "known", "incidents", "not_checked", "billable_jobs"}


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
    assert evidence.match_known(entry["operation"], model, None, entry["check"], rules)["id"] == entry["id"]
    # the same failure without the parameter the difference is about is drift
    assert evidence.match_known(entry["operation"], model, None, entry["check"], []) is None
    assert evidence.match_known(entry["operation"], "sora-2", None, entry["check"], rules) is None
    assert (
        evidence.match_known(
            "retrieveVideo" if entry["operation"] != "retrieveVideo" else "createVideo",
            model,
            None,
            entry["check"],
            rules,
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
        evidence.match_known("retrieveVideo", None, None, "test_unknown_id_is_404", status=400)["id"]
        == "K-UNKNOWN-CHANNEL"
    )
    assert evidence.match_known("retrieveVideo", None, None, "test_unknown_id_is_404", status=200) is None
