"""The states a test can declare by raising, as the drift report shows them (classify.py decides
the state of every result; it spells each state once).

- `conforms`    : the check ran and the target matched the spec (the test passed).
- `drift`       : the target differs from the spec and the difference is not recorded (the test failed).
- `known`       : a recorded docs-vs-production difference (`x-known-differences` in the spec), or a
                  rule whose production behaviour is unconfirmed (`x-rules/<id>/production/status`):
                  reported, never fails the run. Call `known(...)`.
- `incident`    : the run could not check: its own key rejected, balance, 429/503, 5xx outages,
                  timeouts, transport errors. Reported with the exchange, never as drift. Call
                  `incident(...)`.
- `not checked` : the target cannot do it (no control plane, no second key, the run's time limit).
                  Call `not_checked(...)`.
- `not sent`    : the suite chose not to send it: the budget is spent, or there is no API key.
                  Call `not_sent(...)`.

Tests raise these through the functions below; the report (report.py) reads the state from the
exception, not from the test's name.
"""

from __future__ import annotations

from typing import Any, NoReturn

from _pytest.outcomes import Skipped  # pytest.skip.Exception, by its name (mypy cannot follow the alias)


class Declared(Skipped):
    """A state a test declares by raising: what happened (`reason`), and where when no exchange
    shows it (`operation`, `model`) or which rule it is about. `state` is its spelling in
    classify.STATES; pytest shows it as a skip whose text starts with it."""

    state: str = ""

    def __init__(
        self,
        reason: str,
        *,
        operation: str | None = None,
        model: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(f"{self.state}: {reason}", allow_module_level=False)
        self.reason = reason
        self.operation = operation
        self.model = model
        self.rule = rule


class Known(Declared):
    """A recorded difference or an unconfirmed rule: shown as `known`, does not fail the run."""

    state = "known"

    def __init__(
        self,
        reason: str,
        *,
        rule: str | None = None,
        difference: str | None = None,
        evidence: list[str] | None = None,
        operation: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(reason, operation=operation, model=model, rule=rule)
        self.difference = difference
        self.evidence = evidence or []


class Incident(Declared):
    """The run could not check (outage, throttling, balance, own key rejected, transport error)."""

    state = "incident"

    def __init__(
        self,
        reason: str,
        *,
        exchange: dict[str, Any] | None = None,
        operation: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(reason, operation=operation, model=model)
        self.exchange = exchange


class NotChecked(Declared):
    """A target that cannot do this (no control plane, no second key), or the time limit."""

    state = "not checked"


class NotSent(Declared):
    """Nothing was sent: the budget is spent or the run has no API key."""

    state = "not sent"


def known(
    reason: str,
    *,
    rule: str | None = None,
    difference: str | None = None,
    evidence: list[str] | None = None,
    operation: str | None = None,
    model: str | None = None,
) -> NoReturn:
    """`operation` and `model`: where, when no call was made to show it."""
    raise Known(reason, rule=rule, difference=difference, evidence=evidence, operation=operation, model=model)


def incident(
    reason: str,
    *,
    exchange: dict[str, Any] | None = None,
    operation: str | None = None,
    model: str | None = None,
) -> NoReturn:
    """`operation` and `model`: where, when no exchange shows it."""
    raise Incident(reason, exchange=exchange, operation=operation, model=model)


def not_checked(reason: str, *, operation: str | None = None, model: str | None = None) -> NoReturn:
    """`operation` and `model`: where the check would have been, when no call was made to show it."""
    raise NotChecked(reason, operation=operation, model=model)


def not_sent(
    reason: str, *, operation: str | None = None, model: str | None = None, rule: str | None = None
) -> NoReturn:
    """The budget is spent or there is no key: the request is not sent."""
    raise NotSent(reason, operation=operation, model=model, rule=rule)
