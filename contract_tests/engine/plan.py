"""`--plan`: every call of the selected tests that may bill, and the worst-case total, without
making any call.

Two kinds of calls may bill:
- planned jobs (valid requests): each is taken from the budget before it is sent, so together they
  never exceed `--max-billable-jobs`, whatever the server does;
- requests that must be rejected, sent for free: a server that wrongly accepts one bills a job. On a
  live target the suite sends these only where production's rejection is confirmed (x-rules), and
  stops after the first acceptance per rule and model. Each is listed.

Worst case = min(budget, planned jobs) + the free requests that may bill.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings

from . import evidence

BREAKING = {
    "test_documented_breaking_create_is_rejected",
    "test_documented_breaking_apimart_request_is_rejected",
    "test_documented_breaking_remix_is_rejected",
    "test_generated_violation_is_rejected",
}


def _firsts(spec: str, body_schema: str, variant: str) -> int:
    """The requests a valid-space test sends before any drawn one: the spec's examples (aihubmix) and
    each listed value for each model (generate.coverage)."""
    from . import generate

    explicit = generate.explicit_examples(spec, variant) if spec == "aihubmix" else []
    return len(explicit) + len(generate.coverage(spec, body_schema, variant))


#: test function -> (planned jobs, free requests that bill only if the server wrongly accepts them);
#: an int or a function of (params, context)
BILLS: dict[str, tuple[Any, Any]] = {
    # test_semantics
    "test_no_key_is_401": (0, lambda p, c: 1 if p.get("method") == "POST" else 0),
    "test_unknown_id_delete_and_remix_are_404": (0, 1),
    "test_content_before_completion_is_not_200": (1, 0),
    "test_another_key_cannot_see_a_job": (1, 1),
    "test_remix_lineage": (2, 0),
    "test_remix_of_an_unfinished_job_is_409": (1, 1),
    "test_remix_of_a_non_sora_job": (1, 1),
    "test_delete_then_404_everywhere": (1, 1),
    "test_kling_delete_is_not_supported": (1, 0),
    "test_list_paginates_like_openai": (5, 0),
    "test_content_variants": (1, 0),
    "test_content_byte_ranges": (1, 0),
    # test_lists (the first: only the jobs a key without history lacks, at most 2 per order)
    "test_list_pages_by_limit_and_cursor": (2, 0),
    "test_deleted_job_is_gone_from_every_page": (1, 0),
    # test_lifecycle
    "test_job_lifecycle_and_content": (1, 0),
    "test_lifecycle_properties_over_the_valid_space": (lambda p, c: c["lifecycle_examples"], 0),
    # test_model_rules
    "test_valid_requests_are_accepted_and_echoed": (
        lambda p, c: max(c["examples"], _firsts("aihubmix", "CreateVideoRequest", p["variant"])),
        0,
    ),
    "test_valid_apimart_requests_are_accepted": (
        lambda p, c: max(c["examples"], _firsts("apimart", "GenerationRequest", p["variant"])),
        0,
    ),
    "test_seed_examples_over_http": (
        lambda p, c: (
            1 if p["item"]["expect"] == "accept" or not evidence.is_confirmed(p["item"].get("rule")) else 0
        ),
        lambda p, c: (
            0 if p["item"]["expect"] == "accept" or not evidence.is_confirmed(p["item"].get("rule")) else 1
        ),
    ),
    # test_apimart
    "test_submit_envelope": (1, 0),
    "test_task_states_and_result": (1, 0),
    "test_no_key_is_401_with_integer_code": (0, 1),
    # test_multipart
    "test_reference_file_part": (1, 0),
    "test_reference_file_part_for_image_to_video": (1, 0),
    "test_non_image_file_part_is_rejected": (0, 1),  # (a breaking request: see send_breaking)
    "test_text_only_multipart": (1, 0),
    "test_extra_body_fields_in_bracket_notation": (1, 0),
    "test_multipart_rules_are_the_json_rules": (0, 1),
    "test_remix_as_multipart": (2, 0),
    # test_mock_only (they run only where a control plane answers)
    "test_forced_failure_by_header": (1, 0),
    "test_forced_failure": (1, 0),
    "test_manual_policy_moves_only_when_told": (1, 0),
    "test_polls_policy_and_poll_after_header": (1, 0),
    "test_downloads_expire": (1, 0),
    "test_journal_records_requests_without_keys": (1, 0),
    "test_reset_forgets_everything": (1, 0),
    # test_schemathesis: billable operations only with a budget (each call taken from it)
    "test_aihubmix_operations_conform": (lambda p, c: c["examples"] if c["schemathesis_positive"] else 0, 0),
    "test_apimart_operations_conform": (lambda p, c: c["examples"] if c["schemathesis_positive"] else 0, 0),
    "test_aihubmix_stateful_links": (lambda p, c: c["stateful"], 0),
}


def _value(spec: Any, params: dict, ctx: dict) -> int:
    return int(spec(params, ctx) if callable(spec) else spec)


def _breaking(params: dict) -> tuple[str | None, str | None, Any]:
    if "violation" in params:
        v = params["violation"]
        return v.rule, v.body.get("model"), v.body
    item = params["item"]
    return item.get("rule"), item["body"].get("model", "sora-2"), item["body"]


def describe(config, items) -> tuple[str, dict[str, Any]]:
    live = bool(config.getoption("base_url", None))
    budget = config.getoption("max_billable_jobs", None)
    if budget is None and live:
        budget = 0
    examples = settings().max_examples
    ctx = {
        "examples": examples,
        "lifecycle_examples": 12 if examples > 12 else 2,
        "schemathesis_positive": budget is None or budget >= 50,
        "stateful": 0 if (budget is not None and budget < 30) else (200 if examples > 12 else 25) * 6,
    }
    planned: list[tuple[str, int]] = []
    may_bill: list[tuple[str, str]] = []
    remix_source = False
    for item in items:
        name = getattr(item, "originalname", item.name)
        params = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
        if name in BREAKING:
            rule, model, body = _breaking(params)
            remix_source |= name == "test_documented_breaking_remix_is_rejected"
            if evidence.is_confirmed(rule):
                may_bill.append(
                    (
                        item.nodeid,
                        f"rule {rule} ({evidence.production_status(rule)}), {model}: {str(body)[:160]}",
                    )
                )
            elif budget is None or budget > 0:
                planned.append((item.nodeid, 1))  # unconfirmed: sent only with a job reserved
            continue
        jobs, surprises = BILLS.get(name, (0, 0))
        jobs, surprises = _value(jobs, params, ctx), _value(surprises, params, ctx)
        if jobs:
            planned.append((item.nodeid, jobs))
        for n in range(surprises):
            may_bill.append(
                (item.nodeid, "a request that must be rejected" + (f" (#{n + 1})" if surprises > 1 else ""))
            )
    if remix_source:
        planned.append(("test_model_rules.py::completed_sora (fixture)", 1))
    wanted = sum(n for _, n in planned)
    capped = wanted if budget is None else min(budget, wanted)
    worst = capped + len(may_bill)
    lines = [
        "",
        "Billing plan (no call was made):",
        f"- target: {config.getoption('base_url', None) or 'the mock in-process'}; budget: "
        f"{'unlimited' if budget is None else budget} (--max-billable-jobs)",
        f"- planned jobs (valid requests, each taken from the budget): {wanted} wanted, at most {capped} created",
    ]
    lines += [f"    {n:>3}  {nodeid}" for nodeid, n in planned]
    lines += [
        f"- requests that must be rejected but bill one job each if the server wrongly accepts them: "
        f"{len(may_bill)}"
    ]
    lines += [f"      1  {nodeid}: {what}" for nodeid, what in may_bill]
    lines += [f"- worst case: {worst} billable job(s)"]
    return "\n".join(lines), {
        "planned": wanted,
        "capped": capped,
        "may_bill": len(may_bill),
        "worst_case": worst,
    }
