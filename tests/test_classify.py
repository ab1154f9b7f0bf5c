"""The one classifier: every way a check can end, and the state it gets (a table test)."""

from __future__ import annotations

import pytest

from contract_tests.engine.classify import DECLARED, STATES, Outcome, Verdict, classify

K_ENTRY = {"id": "K-X", "what": "production answers 503", "rule": "R-1", "status": 503}


def known_for_rule_r1(operation, model, rule, check, request_rules=None, *, status=None, **_):
    """A stand-in for evidence.match_known: one recorded difference, about R-1 answered with 503."""
    return K_ENTRY if (rule == "R-1" or "R-1" in (request_rules or [])) and status == 503 else None


def no_known(*args, **kwargs):
    return None


def incident_on_503_or_429(status, text):
    return f"outage ({status})" if status in (503, 429) else None


def rules_r1(model, request):
    return ["R-1"] if isinstance(request, dict) and "r1" in request else []


def ex(status, request=None, response=None):
    return {
        "operation": "createVideo",
        "model": "m",
        "status": status,
        "request": request,
        "response": response,
    }


CASES = [
    # (name, outcome, expected state, expected difference)
    ("passed", Outcome("passed"), "conforms", None),
    ("passed with a rule", Outcome("passed", rule="R-1", exchange=ex(400)), "conforms", None),
    ("declared not sent", Outcome("skipped", declared="not sent", message="budget"), "not sent", None),
    ("declared not checked", Outcome("skipped", declared="not checked"), "not checked", None),
    ("declared known", Outcome("skipped", declared="known", difference="K-Y"), "known", "K-Y"),
    ("declared incident", Outcome("skipped", declared="incident", exchange=ex(403)), "incident", None),
    (
        "declared incident that a known difference of its own rule and status describes",
        Outcome("skipped", declared="incident", rule="R-1", exchange=ex(503)),
        "known",
        "K-X",
    ),
    (
        "declared incident, known entry of another status",
        Outcome("skipped", declared="incident", rule="R-1", exchange=ex(502)),
        "incident",
        None,
    ),
    ("plain pytest skip", Outcome("skipped"), "not checked", None),
    ("failed by transport", Outcome("failed", transport_error="ReadError: reset"), "incident", None),
    ("failed on a 503", Outcome("failed", exchange=ex(503)), "incident", None),
    ("failed on a 429", Outcome("failed", exchange=ex(429)), "incident", None),
    (
        "failed on a 503 the test asked for (an injected fault)",
        Outcome("failed", exchange={**ex(503), "asked_for": True}),
        "drift",
        None,
    ),
    (
        "failed with a rule, on an answer no entry describes",
        Outcome("failed", rule="R-1", exchange=ex(400)),
        "drift",
        None,
    ),
    ("failed, no exchange", Outcome("failed", message="assert 1 == 2"), "drift", None),
    ("failed on a 200", Outcome("failed", exchange=ex(200)), "drift", None),
]


@pytest.mark.parametrize(
    ("outcome", "state", "difference"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_outcome_has_one_state(outcome, state, difference):
    verdict = classify(
        outcome, known=known_for_rule_r1, incident_reason=incident_on_503_or_429, request_rules=rules_r1
    )
    assert isinstance(verdict, Verdict)
    assert verdict.state == state
    assert verdict.difference == difference


def test_a_failure_a_known_difference_describes_is_known():
    """Rule 7: the answer matches an entry (here through the request's own rules, status 503 being
    handled as known before it could be an incident only where no incident reason applies)."""
    outcome = Outcome("failed", exchange=ex(503, request={"r1": 1}))
    verdict = classify(
        outcome, known=known_for_rule_r1, incident_reason=lambda s, t: None, request_rules=rules_r1
    )
    assert (verdict.state, verdict.difference, verdict.rule) == ("known", "K-X", "R-1")
    assert verdict.message and verdict.message.startswith("K-X:")


def test_a_failure_no_entry_describes_is_drift_even_with_a_rule():
    outcome = Outcome("failed", rule="R-2", exchange=ex(400, request={"r1": 1}))
    verdict = classify(outcome, known=no_known, incident_reason=lambda s, t: None, request_rules=rules_r1)
    assert verdict.state == "drift" and verdict.rule == "R-2"


def test_incident_reason_reads_the_response_text():
    seen = []

    def reason(status, text):
        seen.append((status, text))
        return "balance" if "balance" in text else None

    outcome = Outcome("failed", exchange=ex(403, response={"error": {"message": "insufficient balance"}}))
    assert classify(outcome, known=no_known, incident_reason=reason).state == "incident"
    assert seen and "insufficient balance" in seen[0][1]


def test_one_spelling_per_state():
    assert STATES == ("conforms", "drift", "known", "incident", "not sent", "not checked")
    assert set(DECLARED) <= set(STATES)
    assert all(s == s.lower() and "_" not in s for s in STATES)


def test_the_spec_backed_lookups_are_the_defaults():
    """With no lookups passed, a 503 "Incorrect model ID" on a create is an incident (api.incident_reason)."""
    outcome = Outcome(
        "failed",
        operation="createVideo",
        model="sora-2",
        exchange=ex(503, response={"error": {"message": "Incorrect model ID (tid: 1)"}}),
    )
    assert classify(outcome).state == "incident"
