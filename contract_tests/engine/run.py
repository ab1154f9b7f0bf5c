"""`python -m contract_tests`: the drift monitor's entry point, with exit codes a CI step can branch on.

    python -m contract_tests --base-url https://aihubmix.com --budget 3 [--baseline PATH] [--fail-on new]
    python -m contract_tests free [--base-url URL]          # the zero-cost watch (pytest -m free)
    python -m contract_tests --base-url URL --plan          # what the run may bill; no call is made

Keys come from the environment only (AIHUBMIX_API_KEY, AIHUBMIX_API_KEY_2), never from the command
line, so no shell history, `ps` listing or make echo shows them.

Exit codes (the same as running pytest on contract_tests/ directly):
  0  no drift (with --fail-on new and a baseline: no new drift)
  1  drift
  3  no drift, but incidents (balance, throttling, outages) kept checks from running
  2  interrupted, or a usage error (pytest's own code)
  4  a usage error in pytest's options (pytest's own code)
  5  no test was collected (pytest's own code)
  70 the suite itself failed: an internal error (pytest's own code for it is 3, the same as
     incidents; this module tells them apart by the report, which then holds no incident)
  other  the suite itself failed (e.g. an error in a test that is not a drift result)

The last line printed is one sentence saying which, with the counts, for a CI log
(`contract: …`). Under GitHub Actions it is also an annotation (::error:: / ::warning::).

`make contract` and `make free` call this module. GNU make itself exits 2 whenever a recipe fails
(its manual: "The exit status of make is always one of three values"), so a CI step that branches on
the code runs this module directly, as .github/workflows/nightly-drift.yml does; make still prints
the sentence and the real code ("Error 1" / "Error 3").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from .classify import EXIT_DRIFT, EXIT_INCIDENT, EXIT_OK

#: pytest's "internal error" is 3 too: told apart from incidents by the report, and exited as this
EXIT_SUITE_ERROR = 70

WHAT = {
    EXIT_SUITE_ERROR: "the suite itself failed (an internal error: see the traceback above; exit 70)",
    2: "the run was interrupted or its options are wrong (pytest exit 2)",
    4: "pytest's options are wrong (pytest exit 4)",
    5: "no test was collected (pytest exit 5)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests",
        description="Run the contract suite (the drift monitor) and exit 0 no drift, 1 drift, "
        "3 incidents only; other codes: usage or the suite's own failure.",
    )
    parser.add_argument("mode", nargs="?", choices=["run", "free"], default="run")
    parser.add_argument("--base-url", help="server to check, without /v1 (default: the mock in-process)")
    parser.add_argument(
        "--budget",
        type=int,
        help="billable jobs the run may create (default 0 with --base-url; the mock: unlimited)",
    )
    parser.add_argument("--baseline", help="a previous drift.json: new / persisting / resolved drifts")
    parser.add_argument("--fail-on", choices=["any", "new"], default="any")
    parser.add_argument("--max-run-seconds", type=float)
    parser.add_argument("--report-dir", default="reports")
    parser.add_argument("--plan", action="store_true", help="print what the run may bill; make no call")
    parser.add_argument(
        "--record",
        metavar="DIR",
        help="also record every exchange for `aihubmix-mock evidence DIR` (docs/proxy.md)",
    )
    parser.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest as they are"
    )
    return parser


def pytest_args(opts: argparse.Namespace, extra: list[str] | None = None) -> list[str]:
    here = str(Path(__file__).resolve().parents[1])
    args = [here, "-q", "-p", "no:cacheprovider", "--report-dir", opts.report_dir]
    if opts.base_url:
        args += ["--base-url", opts.base_url]
    if opts.mode == "free":
        args += ["-m", "free", "--drift-report"]
    else:
        budget = opts.budget if opts.budget is not None else (0 if opts.base_url else None)
        args += ["--fail-on", opts.fail_on] + (
            ["--max-billable-jobs", str(budget)] if budget is not None else []
        )
        args += ["--junitxml", str(Path(opts.report_dir) / "junit.xml")]
        if not opts.base_url:
            args += ["--drift-report"]
    if opts.baseline:
        args += ["--baseline", opts.baseline]
    if opts.max_run_seconds is not None:
        args += ["--max-run-seconds", str(opts.max_run_seconds)]
    if opts.plan:
        args += ["--plan"]
    if opts.record:
        args += ["--record", opts.record]
    return args + list(extra or [])


def sentence(code: int, summary: dict[str, Any] | None, *, plan: bool = False, fail_on: str = "any") -> str:
    """One line a person reads in a CI log: what happened, with the counts, and the exit code."""
    if plan:
        return f"contract: billing plan printed, no call made (exit {code})"
    if summary is None or code not in (EXIT_OK, EXIT_DRIFT, EXIT_INCIDENT):
        what = WHAT.get(code, f"the suite itself failed (exit {code}): see the errors above")
        return f"contract: {what}"
    counts = summary.get("counts", {})
    drifts = len(summary.get("drifts", []))
    baseline = summary.get("baseline") is not None
    new, persisting = len(summary.get("new", [])), len(summary.get("persisting", []))
    resolved = len(summary.get("resolved", []))
    tail = (
        f"{counts.get('conforms', 0)} conform, {counts.get('known', 0)} known, "
        f"{counts.get('incident', 0)} incidents, {counts.get('not checked', 0)} not checked, "
        f"{counts.get('not sent', 0)} not sent"
    )
    since = (
        f" ({new} new, {persisting} persisting, {resolved} resolved since the baseline)" if baseline else ""
    )
    if code == EXIT_DRIFT:
        if baseline and fail_on == "new":
            return f"contract: NEW DRIFT: {new} new, {persisting} persisting; {tail} (exit 1)"
        return f"contract: DRIFT: {drifts} distinct drift(s){since}; {tail} (exit 1)"
    if code == EXIT_INCIDENT:
        return (
            f"contract: INCIDENTS, no drift: {counts.get('incident', 0)} check(s) could not be made "
            f"(balance, throttling, outage){since}; {tail} (exit 3)"
        )
    if drifts and baseline and fail_on == "new":
        return f"contract: no new drift; {persisting} persisting{since}; {tail} (exit 0)"
    return f"contract: no drift{since}; {tail} (exit 0)"


def annotate(code: int, line: str) -> str | None:
    """The same sentence as a GitHub Actions annotation, where the run is one."""
    if not os.environ.get("GITHUB_ACTIONS"):
        return None
    if code == EXIT_OK:
        return f"::notice::{line}"
    return f"::warning::{line}" if code == EXIT_INCIDENT else f"::error::{line}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    opts = _parser().parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    report = Path(opts.report_dir) / "drift.json"
    Path(opts.report_dir).mkdir(parents=True, exist_ok=True)
    if report.exists() and not opts.plan:
        report.unlink()  # a stale report must not speak for this run
    code = int(pytest.main(pytest_args(opts, extra)))
    summary = None
    if report.is_file() and not opts.plan:
        try:
            summary = json.loads(report.read_text("utf-8"))
        except (ValueError, OSError):
            summary = None
    if code == EXIT_INCIDENT and not (summary and summary.get("counts", {}).get("incident")):
        code = EXIT_SUITE_ERROR  # pytest's INTERNAL_ERROR, not incidents: no result said incident
    line = sentence(code, summary, plan=opts.plan, fail_on=opts.fail_on)
    print(line, flush=True)
    note = annotate(code, line)
    if note:
        print(note, flush=True)
    (Path(opts.report_dir) / "exit-code").write_text(f"{code}\n{line}\n", "utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
