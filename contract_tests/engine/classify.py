"""The one place that decides what a check's outcome means for the drift report.

A check ends in exactly one of six states, spelled once here:

- `conforms`    : the check ran and the target matched the spec.
- `drift`       : the target differs from the spec, and no recorded difference describes it.
- `known`       : a recorded docs-vs-production difference (`x-known-differences`) describes the
                  answer, or the rule's production behaviour is unconfirmed (`x-rules`).
- `incident`    : the target's state kept the check from being made: balance, throttling, outages,
                  gateway errors, transport errors that outlast the retries.
- `not checked` : the target cannot do it (no control plane, no second key, time limit reached).
- `not sent`    : the suite chose not to send it: the budget was spent, or there is no API key.
                  Nothing was asked of the target, so nothing about it is known.

`classify` is pure: it reads an `Outcome` (what pytest and the suite's client saw) and returns a
`Verdict`. The lookups it needs (is this answer an incident? which known difference matches?) are
passed in, with the spec-backed ones as defaults, so a table test can drive every branch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["conforms", "drift", "known", "incident", "not checked", "not sent"]
STATES: tuple[State, ...] = ("conforms", "drift", "known", "incident", "not sent", "not checked")
#: states a test may declare by raising (outcomes.py): everything but conforms and drift
DECLARED: tuple[State, ...] = ("known", "incident", "not checked", "not sent")

#: (operation, model, rule, check, request rules, status, request, response) -> a known-difference entry
KnownLookup = Callable[..., "dict[str, Any] | None"]
#: (status, response text) -> why this answer is the target's state, or None
IncidentLookup = Callable[[int, str], "str | None"]


@dataclass(frozen=True)
class Outcome:
    """What one check ended with.

    `result` is pytest's: passed, failed (an assertion or an unexpected exception), or skipped.
    `declared` is the state a test raised on purpose (outcomes.known/incident/not_checked/not_sent),
    None for a plain pytest skip or a failure. `exchange` is the last exchange of the check (the
    one that failed, when it failed), as api.Exchange.as_dict() writes it.
    """

    result: Literal["passed", "failed", "skipped"]
    declared: State | None = None
    message: str | None = None
    operation: str | None = None
    model: str | None = None
    rule: str | None = None
    check: str | None = None
    #: the recorded difference a test named when it declared `known`
    difference: str | None = None
    exchange: dict[str, Any] | None = None
    #: the failure was a transport error (no answer at all)
    transport_error: str | None = None


@dataclass(frozen=True)
class Verdict:
    state: State
    message: str | None = None
    rule: str | None = None
    #: the x-known-differences id that excused it
    difference: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _default_known(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
    import inspect

    from . import evidence

    if "response" not in inspect.signature(evidence.match_known).parameters:
        kwargs.pop("response", None)
    return evidence.match_known(*args, **kwargs)


def _default_incident(status: int, text: str) -> str | None:
    from .api import incident_reason

    return incident_reason(status, text)


def _default_request_rules(model: str | None, request: Any) -> list[str]:
    from . import evidence

    return evidence.rules_of_request(model, request)


def classify(
    outcome: Outcome,
    *,
    known: KnownLookup = _default_known,
    incident_reason: IncidentLookup = _default_incident,
    request_rules: Callable[[str | None, Any], list[str]] = _default_request_rules,
) -> Verdict:
    """The state of one check. Rules, in order:

    1. passed                                   -> conforms
    2. declared not sent / not checked / known  -> that state
    3. declared incident: a known difference about the very rule the test breaks, naming the status
       the target answered with, makes it known (K-UNKNOWN-MODEL-503); else incident
    4. a plain skip (pytest.skip, a fixture that cannot run here) -> not checked
    5. failed with a transport error            -> incident
    6. failed on an answer that is the target's state (balance, 429, 503, 502/504) -> incident
    7. failed, and a known difference describes this answer -> known
    8. failed                                   -> drift
    """
    exchange = outcome.exchange or {}
    status = exchange.get("status")
    if outcome.result == "passed":
        return Verdict("conforms", rule=outcome.rule)
    if outcome.result == "skipped":
        if outcome.declared == "incident":
            if outcome.rule and exchange:
                entry = known(
                    outcome.operation,
                    outcome.model,
                    outcome.rule,
                    outcome.check,
                    status=status,
                    request=exchange.get("request"),
                    response=exchange.get("response"),
                )
                if entry and entry.get("rule") == outcome.rule and entry.get("status") is not None:
                    return Verdict("known", outcome.message, outcome.rule, entry["id"])
            return Verdict("incident", outcome.message, outcome.rule)
        if outcome.declared in ("not sent", "not checked", "known"):
            return Verdict(outcome.declared, outcome.message, outcome.rule, outcome.difference)
        return Verdict("not checked", outcome.message, outcome.rule)
    # failed
    if outcome.transport_error:
        lost = f"transport error: {outcome.transport_error}"
        return Verdict("incident", f"{lost}; the check could not be made. {outcome.message or ''}"[:4000])
    if status is not None and not exchange.get("asked_for"):
        # (an answer the test asked for, a fault it injected, is no incident: a check that failed on
        # it is judged as any other)
        reason: str | None = incident_reason(status, json.dumps(exchange.get("response"), default=str))
        if reason:
            return Verdict(
                "incident",
                f"{reason}; the check could not be made. {outcome.message or ''}"[:4000],
                outcome.rule,
            )
    entry = known(
        outcome.operation,
        outcome.model,
        outcome.rule,
        outcome.check,
        request_rules(outcome.model, exchange.get("request")),
        status=status,
        request=exchange.get("request"),
        response=exchange.get("response"),
    )
    if entry:
        message = f"{entry['id']}: {entry.get('what', '')} (recorded: {outcome.message or ''})"[:4000]
        return Verdict("known", message, outcome.rule or entry.get("rule"), entry["id"])
    return Verdict("drift", outcome.message, outcome.rule)


#: exit codes of a run, decided from the states (conftest.pytest_sessionfinish, python -m contract_tests)
EXIT_OK, EXIT_DRIFT, EXIT_INCIDENT = 0, 1, 3
#: pytest's own codes pass through: 2 interrupted or usage error, 4 usage, 5 no tests collected
