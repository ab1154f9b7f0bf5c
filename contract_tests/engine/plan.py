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

#: what a test may bill, declared on the test itself:
#:     @pytest.mark.bills(jobs=1, surprises=0)       planned jobs; breaking requests that bill if accepted
#:     @pytest.mark.bills(jobs=plan.examples)        a function of (the test's parameters, the context)
#:     @pytest.mark.bills(breaking=True)             one breaking request, priced by its rule's evidence
#:     @pytest.mark.bills(jobs=1, priority=1)        where a live run spends first (below)
#: A test without the marker bills nothing. conftest checks, on every run, that no test created more
#: jobs than it declared (`billable_jobs.over_declared` in drift.json).
MARKER = "bills"


def examples(params: dict, ctx: dict) -> int:
    """One job per generated example (the profile's max_examples)."""
    return int(ctx["examples"])


def lifecycle_examples(params: dict, ctx: dict) -> int:
    return int(ctx["lifecycle_examples"])


def _firsts(spec: str, body_schema: str, variant: str) -> int:
    """The requests a valid-space test sends before any drawn one: the spec's examples (aihubmix) and
    each listed value for each model (generate.coverage)."""
    from . import generate

    explicit = generate.explicit_examples(spec, variant) if spec == "aihubmix" else []
    return len(explicit) + len(generate.coverage(spec, body_schema, variant))


def valid_space(params: dict, ctx: dict) -> int:
    """An AIHubMix variant's valid space: its examples and every listed value first, then drawn ones."""
    return max(int(ctx["examples"]), _firsts("aihubmix", "CreateVideoRequest", params["variant"]))


def valid_apimart_space(params: dict, ctx: dict) -> int:
    return max(int(ctx["examples"]), _firsts("apimart", "GenerationRequest", params["variant"]))


def schemathesis_positive(params: dict, ctx: dict) -> int | None:
    """Schemathesis's phases (explicit examples, coverage, generation) make as many cases as the
    schema gives: no fixed number. Each billable one is taken from the budget, so: the budget, on a
    live run that allows it (>= 50); unbounded (None) on the mock."""
    if not ctx["schemathesis_positive"]:
        return 0
    return None if ctx["budget"] is None else int(ctx["budget"])


def stateful(params: dict, ctx: dict) -> int:
    return int(ctx["stateful"])


def posts_once(params: dict, ctx: dict) -> int:
    """A keyless POST a wrong server might accept (and bill)."""
    return 1 if params.get("method") == "POST" else 0


def _seed_sent_as_valid(params: dict) -> bool:
    item = params["item"]
    return bool(item["expect"] == "accept" or not evidence.is_confirmed(item.get("rule")))


def seed_jobs(params: dict, ctx: dict) -> int:
    """A seed example expected to pass (or breaking only an unconfirmed rule) is sent with a job reserved."""
    return 1 if _seed_sent_as_valid(params) else 0


def seed_surprises(params: dict, ctx: dict) -> int:
    return 0 if _seed_sent_as_valid(params) else 1


#: Live runs spend the budget where it buys most: free checks first (they cost nothing), then the
#: checks that cover most per job (priority 1: tenancy, echo; 2: one lifecycle with content per
#: request variant), then per-model breadth and the rest (the default, 5). `--plan` shows the order.
DEFAULT_PRIORITY = 5


def rank(item, ctx: dict[str, Any]) -> tuple[int, int]:
    """(0 for a free test else 1, the test's priority): the order of a live run, stable within a rank."""
    jobs, surprises = declared(item, ctx)
    if jobs == 0:
        return (0, 0)
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return (1, DEFAULT_PRIORITY)
    params = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
    return (1, _value(marker.kwargs.get("priority", DEFAULT_PRIORITY), params, ctx) or DEFAULT_PRIORITY)


def openai_family_first(params: dict, ctx: dict) -> int:
    """A lifecycle of the OpenAI (Sora) request family before the other vendors' (2, then 3)."""
    return 2 if "Sora" in str(params.get("variant", "")) else 3


def order(items: list, ctx: dict[str, Any]) -> None:
    """Sort a live run's items in place by `rank` (Python's sort is stable: a module stays together
    within a rank, so its module-scoped fixtures are made once)."""
    items.sort(key=lambda item: rank(item, ctx))


def stateful_jobs(examples: int) -> int:
    """The most jobs the stateful run creates: its examples times its steps (each may create one)."""
    return (200 if examples > 12 else 25) * 6


def context(config) -> dict[str, Any]:
    """What the price functions read: the profile's examples and the budget."""
    live = bool(config.getoption("base_url", None))
    budget = config.getoption("max_billable_jobs", None)
    if budget is None and live:
        budget = 0
    examples = settings().max_examples
    return {
        "budget": budget,
        "examples": examples,
        "lifecycle_examples": 12 if examples > 12 else 2,
        "schemathesis_positive": budget is None or budget >= 50,
        "stateful": 0
        if (budget is not None and budget < stateful_jobs(examples))
        else stateful_jobs(examples),
    }


def declared(item, ctx: dict[str, Any]) -> tuple[int | None, int]:
    """(planned jobs, surprises) a test item declares; a breaking test: (1, 1) at most. Planned jobs
    None: as many as the budget allows (each taken from it)."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return 0, 0
    params = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
    if marker.kwargs.get("breaking"):
        return 1, 1
    jobs = _value(marker.kwargs.get("jobs", 0), params, ctx)
    return jobs, _value(marker.kwargs.get("surprises", 0), params, ctx) or 0


def _value(spec: Any, params: dict, ctx: dict) -> int | None:
    """A declared price: an int, or a function of (params, ctx); None: bounded only by the budget."""
    value = spec(params, ctx) if callable(spec) else spec
    return None if value is None else int(value)


def _breaking(params: dict) -> tuple[str | None, str | None, Any]:
    if "violation" in params:
        v = params["violation"]
        return v.rule, v.body.get("model"), v.body
    item = params["item"]
    return item.get("rule"), item["body"].get("model", "sora-2"), item["body"]


def describe(config, items) -> tuple[str, dict[str, Any]]:
    ctx = context(config)
    budget = ctx["budget"]
    planned: list[tuple[str, int]] = []
    unbounded: list[str] = []  # as many as the budget allows
    may_bill: list[tuple[str, str]] = []
    remix_source = False
    for item in items:
        name = getattr(item, "originalname", item.name)
        params = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
        marker = item.get_closest_marker(MARKER)
        if marker is not None and marker.kwargs.get("breaking"):
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
        jobs, surprises = declared(item, ctx)
        if jobs is None:
            unbounded.append(item.nodeid)
        elif jobs:
            planned.append((item.nodeid, jobs))
        for n in range(surprises):
            may_bill.append(
                (item.nodeid, "a request that must be rejected" + (f" (#{n + 1})" if surprises > 1 else ""))
            )
    if remix_source:
        planned.append(("test_model_rules.py::completed_sora (fixture)", 1))
    wanted = sum(n for _, n in planned) + (budget or 0) * len(unbounded)
    capped = wanted if budget is None else min(budget, wanted)
    worst = capped + len(may_bill)
    lines = [
        "",
        "Billing plan (no call was made):",
        f"- target: {config.getoption('base_url', None) or 'the mock in-process'}; budget: "
        f"{'unlimited' if budget is None else budget} (--max-billable-jobs)",
        f"- planned jobs (valid requests, each taken from the budget): {wanted} wanted, at most {capped} created",
    ]
    running, marked = 0, False
    for nodeid, n in planned:  # in the order the run sends them
        if budget is not None and not marked and running + n > budget:
            where = "here" if running >= budget else "within the next test"
            lines.append(f"    --- the budget of {budget} is spent {where}: what follows is not sent ---")
            marked = True
        running += n
        lines.append(f"    {n:>3}  {nodeid}")
    lines += [f"    all  {nodeid} (each case from the budget; unbounded on the mock)" for nodeid in unbounded]
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
