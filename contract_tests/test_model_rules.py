"""Per-model rules over HTTP: what the spec forbids is rejected with a 4xx JSON error naming the
field; what it allows is accepted and echoed in the family's shape. Generated from the spec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from .engine import evidence, generate, plan, seeds
from .engine.outcomes import known, not_sent
from .engine.wording import named_fields, names_field

CREATE_VARIANTS = sorted(set(generate.variants("aihubmix", "CreateVideoRequest").values()))
APIMART_VARIANTS = sorted(set(generate.variants("apimart", "GenerationRequest").values()))
SORA_MODELS = generate.sora_models()


def assert_rejected(response, param: str | None, *, why: str) -> None:
    assert 400 <= response.status_code < 500, (
        f"{why}: expected a 4xx rejection, got {response.status_code}: {response.text[:300]}"
    )
    assert response.headers.get("content-type", "").startswith("application/json"), (
        f"{why}: the error is not JSON ({response.headers.get('content-type')})"
    )
    error = response.json().get("error")
    assert isinstance(error, dict) and isinstance(error.get("message"), str), (
        f"{why}: no error.message in {response.text[:300]}"
    )
    if param:  # production's gateway sends no `param` member (AHM-03..06): the message must name it
        assert names_field(error, param), (
            f"{why}: the error names {sorted(named_fields(error)) or 'no field'}, not {param!r}: {error}"
        )


def unconfirmed_and_accepted(response, rule: str | None, *, why: str) -> None:
    """A breaking request of a rule production is not known to enforce (x-rules production.status
    unconfirmed) may be accepted: the mock does so by default, production may too. Report it as
    `known` instead of failing; confirmed rules stay strict."""
    if response.status_code < 300 and not evidence.is_confirmed(rule):  # (x-rules of either spec)
        known(
            f"{why}: accepted by the target ({response.status_code}); production's rejection is unconfirmed "
            f"(x-rules; {response.headers.get('x-mock-unconfirmed-rules') or 'no warning header'})",
            rule=rule,
        )


def send_breaking(api, target, rule: str | None, model: str | None, send, operation: str = "createVideo"):
    """Send a request that breaks `rule`, as billing allows.

    A live target is sent a breaking request for free only where production's rejection is confirmed
    (`x-rules/<rule>/production/status: confirmed`). An unconfirmed rule costs a job from the
    budget when it is sent (a server may accept it); with no budget left it is not sent and the result
    is `known` (the rule's production behaviour is recorded as unconfirmed: nothing to check against).
    A server that accepts an unconfirmed rule's breaking request is `known` too; one that accepts a
    confirmed rule's is drift, billed and counted, and no further breaking request for that rule and
    model is sent this run.
    """
    api.checking("rejected", rule)
    confirmed = evidence.is_confirmed(rule)
    if not target.budget.may_send_breaking(rule, model):
        not_sent(
            f"a request breaking {rule} for {model} was already accepted (and billed) this run; "
            "no further one is sent",
            operation=operation,
            model=model,
        )
    billable = not confirmed  # a server may accept it: a job is reserved first
    if billable and not target.budget.allows(1):
        not_sent(
            f"rule {rule}: production's rejection is unconfirmed (x-rules), so the breaking request was "
            "not sent: a server that accepts it would bill a job (raise --max-billable-jobs to send it)",
            rule=rule,
            operation=operation,
            model=model,
        )
    response = send(billable)
    if not confirmed and response.status_code < 300 and target.has_control_plane and target.budget.allows(1):
        # A mock accepts what production is not known to refuse (its production mode, with a warning
        # header). The documents' rule is still checked over HTTP, for free: the same request in the
        # mock's documents mode must be refused, naming the member.
        with api.sending({"X-Mock-Rules": "documents"}):
            response = send(billable)
        api.checking("rejected (documents mode)", rule)
        return response
    if not confirmed:
        unconfirmed_and_accepted(response, rule, why=f"rule {rule}")
    return response


# ----------------------------------------------------------------- documented breaking requests
def _documented(group):
    return [pytest.param(item, id=seeds.label(item)) for item in seeds.invalid_requests(group)]


@pytest.mark.bills(breaking=True)
@pytest.mark.parametrize("item", _documented("create"))
def test_documented_breaking_create_is_rejected(api, keyed, target, item):
    model = item["body"].get("model")
    response = send_breaking(
        api, target, item["rule"], model, lambda billable: api.create(item["body"], billable=billable)
    )
    assert_rejected(response, item.get("param"), why=f"rule {item['rule']}")


@pytest.mark.bills(breaking=True)
@pytest.mark.parametrize("item", _documented("apimart"))
def test_documented_breaking_apimart_request_is_rejected(api, keyed, target, item):
    model = item["body"].get("model")
    response = send_breaking(
        api,
        target,
        item["rule"],
        model,
        lambda billable: api.apimart_create(item["body"], billable=billable),
        operation="apimartCreateGeneration",
    )
    assert_rejected(response, item.get("param"), why=f"rule {item['rule']}")
    # APM-07: a rejected request's code is the HTTP status (APM-06's "" is the gateway layer's)
    assert response.json()["error"].get("code") in (response.status_code, ""), response.json()


@pytest.fixture(scope="module")
def completed_sora(target):
    from .engine.api import Api

    client = Api(target, target.require_key())
    job = client.create_ok({"model": "sora-2", "prompt": "A paper boat on a puddle", "seconds": "4"})
    final = client.wait(job["id"])
    assert final["status"] == "completed"
    return job["id"]


@pytest.mark.bills(breaking=True)
@pytest.mark.parametrize("item", _documented("remix"))
def test_documented_breaking_remix_is_rejected(api, target, completed_sora, item):
    def send(billable):
        if billable:
            target.budget.spend("remix")
        response = api.send("POST", f"/v1/videos/{completed_sora}/remix", json=item["body"])
        api._account(billable, response, "sora-2")
        return response

    response = send_breaking(api, target, item["rule"], "sora-2", send, operation="remixVideo")
    assert_rejected(response, item.get("param"), why=f"rule {item['rule']}")


# ----------------------------------------------------------------- generated from the spec
def _generated():
    for spec, body_schema, operation in (
        ("aihubmix", "CreateVideoRequest", "createVideo"),
        ("apimart", "GenerationRequest", "apimartCreateGeneration"),
    ):
        for variant in sorted(set(generate.variants(spec, body_schema).values())):
            for violation in generate.violations(spec, variant):
                model = violation.body.get("model")
                yield pytest.param(
                    spec,
                    violation,
                    id=f"{variant}-{violation.id}",
                    marks=pytest.mark.contract(operation=operation, model=model),
                )


@pytest.mark.bills(breaking=True)
@pytest.mark.parametrize(("spec", "violation"), list(_generated()))
def test_generated_violation_is_rejected(api, keyed, target, spec, violation):
    """One request per constraint of every model of both dialects, each breaking only that one."""
    create = api.create if spec == "aihubmix" else api.apimart_create
    response = send_breaking(
        api,
        target,
        violation.rule,
        violation.body.get("model"),
        lambda billable: create(violation.body, billable=billable),
        operation="createVideo" if spec == "aihubmix" else "apimartCreateGeneration",
    )
    assert_rejected(
        response, violation.param, why=f"{violation.what} of {violation.param} (rule {violation.rule})"
    )


# ----------------------------------------------------------------- valid space accepted
def check_echo(variant: str, body: dict, job: dict, api=None) -> None:
    """The response echoes the request in the family's shape (002:103-131). The model, size and
    seconds (Sora) or frame and duration (the gateway, through x-render) and a fresh id are checked on
    every accepted create by the suite's client (engine/conform.echo_problems); here the rest."""
    if api is not None:
        api.checking("echo")
    assert job["object"] == "video"
    assert isinstance(job["id"], str) and job["id"]
    prompt: object = body
    for part in generate.schemas("aihubmix")[variant]["x-render"].get(
        "prompt", ["prompt"]
    ):  # DashScope: input.prompt
        prompt = prompt.get(part) if isinstance(prompt, dict) else None
    assert job.get("prompt") in (prompt, None), "the prompt is not echoed"
    if body["model"] in SORA_MODELS:
        assert job["status"] in ("queued", "in_progress")
    else:
        assert job["status"] in ("in_progress", "completed"), (
            f"{job['status']!r}: queued is Sora-only (002:136)"
        )


@pytest.mark.bills(jobs=plan.valid_space)
@pytest.mark.parametrize("variant", CREATE_VARIANTS)
def test_valid_requests_are_accepted_and_echoed(api, keyed, target, variant):
    def accepted(body):
        api.checking("accepted")
        response = api.create(body)
        assert response.status_code == 200, f"a valid {variant} request was rejected: {response.text[:400]}"
        check_echo(variant, body, response.json(), api)

    run_examples(
        target,
        generate.valid("aihubmix", variant),
        accepted,
        first=generate.explicit_examples("aihubmix", variant)
        + generate.coverage("aihubmix", "CreateVideoRequest", variant),
    )


@pytest.mark.bills(jobs=plan.valid_apimart_space)
@pytest.mark.parametrize("variant", APIMART_VARIANTS)
def test_valid_apimart_requests_are_accepted(api, keyed, target, variant):
    def accepted(body):
        api.checking("accepted")
        response = api.apimart_create(body)
        assert response.status_code == 200, f"a valid {variant} request was rejected: {response.text[:400]}"
        data = response.json()
        assert data["code"] == 200 and data["data"][0]["status"] == "submitted" and data["data"][0]["task_id"]

    run_examples(
        target,
        generate.valid("apimart", variant),
        accepted,
        first=generate.coverage("apimart", "GenerationRequest", variant),
    )


def run_examples(target, strategy, check, count: int | None = None, first: list | None = None) -> None:
    """`check` over requests from `strategy`. On a live target (every call may bill): a fixed,
    deterministic plan of `count` examples (the profile's by default; `first`, the spec's own
    examples and then each listed value for each model, lead it; never fewer than those), without
    shrinking, replay or extra examples, so the jobs created are exactly the jobs planned.
    In-process: every one of `first`, then under `@given`."""
    count = max(count or settings().max_examples, len(first or []))
    if target.live:  # (each job is taken from the budget: past it, the rest is not checked)
        for body in generate.plan(strategy, count, first):
            check(body)
        return
    for body in first or []:
        check(body)
    settings(max_examples=count)(given(strategy)(check))()


@pytest.mark.bills(jobs=plan.seed_jobs, surprises=plan.seed_surprises)
@pytest.mark.parametrize("item", [pytest.param(i, id=i["source"]) for i in seeds.seed_requests("create")])
def test_seed_examples_over_http(api, keyed, target, item):
    body = item["body"]
    data, files = seeds.split_multipart(body)

    def send(billable):
        return api.create(data, files=files, multipart=item.get("multipart", False), billable=billable)

    if item["expect"] == "accept":
        api.checking("accepted")
        response = send(True)
        assert response.status_code == 200, f"{item['source']} was rejected: {response.text[:400]}"
    else:
        response = send_breaking(api, target, item.get("rule"), data.get("model"), send)
        assert_rejected(response, None, why=f"{item['source']} ({item.get('note')})")
