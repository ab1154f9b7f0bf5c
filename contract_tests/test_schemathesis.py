"""Schemathesis over every operation of both specs: status codes, content types, headers, response
schemas, negative data rejected, positive data accepted, auth not ignored. Deterministic."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import reject
from schemathesis import GenerationMode

from .engine import (
    conform,
    exchanges,  # noqa: F401 - registers the hooks that record exchanges
    plan,
)
from .engine.api import BILLABLE_OPERATIONS, operation_of
from .engine.generate import OPENAPI, validator
from .engine.outcomes import not_sent

# The project's formats, media types and replacement checks, shared with schemathesis.toml.
from .engine.schemathesis_hooks import (
    negative_data_rejection,
    negative_data_rejection_but_multipart,
    no_server_error_but_documented_501,
    not_a_server_error,
)
from .engine.target import Target

#: jobs a run must be allowed before Schemathesis generates valid (billable) requests
POSITIVE_BUDGET = 50


def load(target: Target, name: str):
    # The contract is the files in openapi/, never what the system under test says it is.
    schema = schemathesis.openapi.from_path(str(OPENAPI / f"{name}.yaml"))
    if target.app is not None:
        schema.app = target.app  # in-process: calls go to the ASGI app (tooling-facts.md)
    else:
        schema.config.update(base_url=target.base_url)
    # The key goes with each call (explicit auth), so ignored_auth probes with no key and a wrong key
    # of its own; generated bearer values would only be valid-looking noise.
    # Unknown query parameters: the documents make no claim, and HTTP APIs ignore them, so none are
    # generated (a rejection would be a rule nobody wrote).
    schema.config.generation.update(
        deterministic=True,
        database="none",
        codec="utf-8",
        allow_x00=False,
        with_security_parameters=False,
        allow_extra_parameters=False,
    )
    # A schema-valid Range can still lie past the end of the file: 416 is the documented, correct
    # answer (RFC 9110), not a rejection of valid data.
    accept = schema.config.checks.positive_data_acceptance
    accept.expected_statuses = [*accept.expected_statuses, "416"]
    if not target.budget.allows(POSITIVE_BUDGET):
        # Every accepted create costs a generation: without a budget, only requests that must be
        # rejected are generated (free), and operations on ids that do not exist.
        schema.config.generation.update(modes=[GenerationMode.NEGATIVE])
    return schema


@pytest.fixture(scope="session")
def aihubmix_schema(target):
    target.require_key()
    return load(target, "aihubmix")


@pytest.fixture(scope="session")
def apimart_schema(target):
    target.require_key()
    return load(target, "apimart")


aihubmix = schemathesis.pytest.from_fixture("aihubmix_schema")
apimart = schemathesis.pytest.from_fixture("apimart_schema")


@schemathesis.check
def video_shape_by_model(ctx, response, case):
    """Every answer as the suite's own client checks it (engine/conform): each video in the shape its
    model calls for, said precisely (Schemathesis reports the spec's if/then/else only as 'not valid
    under any of the schemas'), each model's content lifetime, the request id the spec requires."""
    ctype = (response.headers.get("content-type") or [""])[0]
    try:
        body, is_json = response.json(), "json" in ctype
    except ValueError:
        body, is_json = None, False
    operation = operation_of(case.method, urlsplit(response.request.url).path)
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    problems = conform.exchange_problems(operation, response.status_code, headers, ctype, body, is_json)
    assert not problems, "; ".join(p.message for p in problems)
    return True


# Every run swaps two of Schemathesis's checks for the project's narrower ones (schemathesis_hooks.py,
# as schemathesis.toml does for the CLI) and adds the shape check.
REPLACED_CHECKS = [not_a_server_error, negative_data_rejection]
OUR_CHECKS = [no_server_error_but_documented_501, negative_data_rejection_but_multipart, video_shape_by_model]


BODY_SCHEMAS = {
    ("POST", "/v1/videos"): ("aihubmix", "CreateVideoRequest"),
    ("POST", "/v1/videos/{video_id}/remix"): ("aihubmix", "RemixVideoRequest"),
    ("POST", "/v1/videos/generations"): ("apimart", "GenerationRequest"),
}
# The mock is asked to enforce every documented rule (production ignores the header): Schemathesis
# judges the documents' contract; rules production is not known to enforce are judged by
# test_model_rules, which reports their acceptance as `known`.
DOCUMENTS_MODE = {"X-Mock-Rules": "documents"}


def _billable(case) -> bool:
    return case.operation.definition.raw.get("operationId") in BILLABLE_OPERATIONS


def _negative(case) -> bool:
    return bool(case.meta) and str(getattr(case.meta.generation, "mode", "")).lower().endswith("negative")


def validate(case, target: Target) -> None:
    billable = target.live and _billable(case)
    if billable and _negative(case):
        # A generated negative case is no documented rule with confirmed evidence: a server that
        # accepts it would bill a job. The rule tests send the confirmed breaking requests.
        if target.budget.allows(POSITIVE_BUDGET):
            reject()  # positive cases are generated too: drop this one, keep going
        not_sent(
            "Schemathesis's negative cases of a billable operation are not sent to a live target "
            "(a server that accepts one bills a job)",
            operation=case.operation.definition.raw.get("operationId"),
        )
    if billable:
        target.budget.spend(f"Schemathesis {case.operation.label}")
    answered: list[int] = []
    try:
        _validate(case, target, answered)
    finally:
        if billable and answered and answered[0] >= 400:
            target.budget.refund()


def _unprovable(target: Target) -> list:
    """Checks a target cannot be held to: `aihubmix-mock serve` without --key accepts any well-formed
    key, so ignored_auth's wrong-key probe cannot hold there (the suite's own mocks list their keys,
    and production does)."""
    from schemathesis.checks import ignored_auth

    return [ignored_auth] if target.accepts_any_key else []


def _validate(case, target: Target, answered: list[int]) -> None:
    checks, excluded = (
        OUR_CHECKS,
        REPLACED_CHECKS,
    )  # (multipart negative cases: negative_data_rejection_but_multipart)
    body_schema = BODY_SCHEMAS.get((case.method.upper(), case.operation.path))
    if (
        _negative(case)
        and body_schema
        and isinstance(case.body, dict)
        and validator(*body_schema).is_valid(case.body)
    ):
        # Schemathesis's mutation of a oneOf branch can land on a body another branch accepts
        # (e.g. a model id of a sibling variant, now that seconds take numbers): the spec says valid.
        # Excluded too, not only left out: schemathesis.toml enables it for every run of the schema.
        checks = [check for check in OUR_CHECKS if check is not negative_data_rejection_but_multipart]
        excluded = [*REPLACED_CHECKS, negative_data_rejection_but_multipart]
    excluded = [*excluded, *_unprovable(target)]
    headers = {"Authorization": f"Bearer {target.key}", **DOCUMENTS_MODE}
    kwargs = {"session": target.session()} if target.app is None else {}
    response = case.call(headers=headers, **kwargs)
    answered.append(response.status_code)
    case.validate_response(
        response,
        headers=headers,
        excluded_checks=excluded,
        additional_checks=checks,
        transport_kwargs=kwargs or None,
    )


@pytest.mark.bills(jobs=plan.schemathesis_positive)
@aihubmix.parametrize()
def test_aihubmix_operations_conform(case, target):
    validate(case, target)


@pytest.mark.bills(jobs=plan.schemathesis_positive)
@apimart.parametrize()
def test_apimart_operations_conform(case, target):
    validate(case, target)


WAITS_FOR_JOB = ("/v1/videos/{video_id}/content", "/v1/videos/{video_id}/remix")


@pytest.mark.bills(jobs=plan.stateful)
def test_aihubmix_stateful_links(aihubmix_schema, target):
    """Follows the spec's links (create -> retrieve / content / remix / delete), waiting for a job to
    finish before asking for its content or a remix, as a client would."""
    from hypothesis import settings
    from hypothesis import settings as current

    needed = plan.stateful_jobs(current().max_examples)
    if not target.budget.allows(needed):
        # a budget that runs out mid-run would fail a step of the state machine, and Hypothesis's
        # replay of it would differ: the whole run is sent, or none of it
        not_sent(f"stateful runs create up to {needed} jobs: needs --max-billable-jobs {needed} or more")
    auth = {"Authorization": f"Bearer {target.key}", **DOCUMENTS_MODE}

    class Machine(aihubmix_schema.as_state_machine()):
        def before_call(self, case):
            if case.operation.path in WAITS_FOR_JOB:
                video_id = case.path_parameters.get("video_id")
                for _ in range(200):
                    response = target.client.get(f"/v1/videos/{video_id}", headers=auth)
                    if response.status_code != 200 or response.json().get("status") in (
                        "completed",
                        "failed",
                    ):
                        break
                    target.pause()

        def get_call_kwargs(self, case):
            if _billable(case):  # every job the state machine creates comes out of the budget
                target.budget.spend(f"stateful {case.operation.label}")
            return {"headers": auth, **({"session": target.session()} if target.app is None else {})}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=[*(additional_checks or []), *OUR_CHECKS],
                excluded_checks=[*REPLACED_CHECKS, *_unprovable(target)],
                headers=auth,
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )

    profile = settings.get_current_profile_name()
    Machine.run(
        settings=settings(
            max_examples=200 if profile.startswith("deep") else 25,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
        )
    )
