"""The contract suite catches drift: run over HTTP against each drifted stand-in it fails, with a
drift report that names the operation and what came back; against the faithful mock it passes.

Each stand-in runs the suite's tests that bear on its drift (`-k`), so this stays quick; `make
drift-demo` prints the reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aihubmix_mock.pytest_plugin import RunningMock
from contract_tests.target import KEY_A, KEY_B
from tests.drift_standins import standin

# stand-in -> (tests of the suite to run, what the report must show)
CASES = {
    "faithful": ("test_semantics or test_job_lifecycle_and_content or Sora", None),
    "rename_status": ("test_job_lifecycle_and_content and Sora", "unknown status 'succeed'"),
    "drop_field": ("test_aihubmix_operations_conform", "progress"),
    "loosen_rule": ("test_documented_breaking_create_is_rejected and SORA-SECONDS", "expected a 4xx rejection, got 200"),
    "not_mp4": ("test_job_lifecycle_and_content and Wan26T2V", "not an MP4"),
    "forget_auth": ("test_no_key_is_401", "expected (401,), got 200"),
    "shared_tenancy": ("test_another_key_cannot_see_a_job", "expected (404,), got 200"),
    "plain_text_errors": ("test_documented_breaking_create_is_rejected and SORA-SIZE", "the error is not JSON"),
    "wrong_dimensions": ("test_valid_requests_are_accepted_and_echoed and Wan25T2V", "the spec says"),
}


def run_suite(name: str, tmp_path) -> tuple[int, str, dict]:
    server = RunningMock(standin(name)).start()
    try:
        report_dir = tmp_path / name
        command = [sys.executable, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider",
                   "--base-url", server.url, "--api-key", KEY_A, "--api-key-2", KEY_B,
                   "--max-billable-jobs", "1000", "--poll-interval", "5", "--job-timeout", "600",
                   "--report-dir", str(report_dir), "-k", CASES[name][0]]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIHUBMIX_")}
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env,
                                cwd=os.path.dirname(os.path.dirname(__file__)))
        report = (report_dir / "drift.md").read_text("utf-8")
        summary = json.loads((report_dir / "drift.json").read_text("utf-8"))
        return result.returncode, report, summary
    finally:
        server.stop()


@pytest.mark.parametrize("name", list(CASES))
def test_suite_judges_the_standin(name, tmp_path):
    code, report, summary = run_suite(name, tmp_path)
    print(f"\n===== stand-in {name}: exit {code} =====\n{report}")  # make drift-demo shows these
    expected = CASES[name][1]
    if expected is None:
        assert code == 0, report
        assert report.startswith("# Contract drift report: CONFORMS")
        assert summary["drifted"] == 0 and summary["tests"] > 20
    else:
        assert code != 0, f"the suite did not notice the {name} drift:\n{report}"
        assert report.startswith("# Contract drift report: DRIFTED")
        assert summary["drifted"] >= 1
        assert expected in report, f"the report does not say {expected!r}:\n{report[:3000]}"
        assert "| **drifted** |" in report
