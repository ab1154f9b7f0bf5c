"""The `X-Mock-*` request headers, parsed once at the edge into one typed value that goes down.

| header | value |
|---|---|
| `X-Mock-Policy` | `time=<s>`, `polls=<n>`, `manual`: this job's lifecycle policy |
| `X-Mock-Outcome` | `completed` or `failed`: how this job ends |
| `X-Mock-Fault` | a fault name from the spec (`balance`, `no-channel`, …) or 429/500/502/503 |

A malformed directive is a 400 naming the header, before anything else happens.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .errors import ApiError
from .faults import describe
from .lifecycle import Policy

OUTCOMES = ("completed", "failed")


@dataclass(frozen=True, slots=True)
class Directives:
    policy: Policy | None = None  # None: the server's policy
    outcome: str | None = None  # None: completed (unless the prompt says otherwise)
    fault: str | None = None  # a name in the fault catalogue (faults.py)

    @classmethod
    def parse(
        cls, headers: dict[bytes, bytes], default_policy: Policy, faults: Collection[str]
    ) -> Directives:
        policy_text = headers.get(b"x-mock-policy")
        outcome_text = headers.get(b"x-mock-outcome")
        fault_text = headers.get(b"x-mock-fault")
        if policy_text is None and outcome_text is None and fault_text is None:
            return NONE
        policy = outcome = fault = None
        if policy_text:
            try:
                policy = Policy.parse(policy_text.decode("latin-1"), default_policy)
            except ValueError as exc:
                raise ApiError(400, f"X-Mock-Policy: {exc}", param="X-Mock-Policy") from None
        if outcome_text is not None:
            outcome = outcome_text.decode("latin-1").strip()
            if outcome not in OUTCOMES:
                raise ApiError(
                    400,
                    "X-Mock-Outcome takes completed or failed",
                    param="X-Mock-Outcome",
                )
        if fault_text:
            fault = fault_text.decode("latin-1").strip().lower()
            if fault not in faults:
                raise ApiError(
                    400,
                    f"X-Mock-Fault takes one of: {describe(faults)}",
                    param="X-Mock-Fault",
                )
        return cls(policy, outcome, fault)


NONE = Directives()
