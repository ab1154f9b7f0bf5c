"""Anyone's `schemathesis run` applies the project's rules (schemathesis.toml) and ends clean
against the mock, as docs/contract-suite.md says ("Schemathesis on its own"): run as printed there,
on a loopback port, few examples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aihubmix_mock import MockServer

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def run(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            "openapi/aihubmix.yaml",
            "--url",
            url,
            "-H",
            "Authorization: Bearer sk-test",
            "--max-examples",
            "5",
            "--no-color",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_schemathesis_run_ends_clean_against_the_mock():
    # documents mode: the spec's schemas are the documents' rules; by default the mock accepts a
    # request that breaks only unconfirmed ones (docs/documents-and-production.md)
    with MockServer(keys=["sk-test"], job_seconds=0, rules="documents") as mock:
        result = run(mock.url)
    assert "schemathesis.toml" in result.stdout, result.stdout[-2000:]  # the project's rules were read
    assert result.returncode == 0, result.stdout[-4000:]


def test_it_can_fail_a_mock_that_lets_any_key_in():
    """The same command reports a mock that accepts a wrong key (ignored_auth): the run can fail."""
    with MockServer(job_seconds=0) as mock:
        result = run(mock.url, "--include-path", "/v1/videos", "--include-method", "GET")
    assert result.returncode != 0
    assert "API accepts invalid authentication" in result.stdout, result.stdout[-2000:]


def _docs_gate_command() -> list[str]:
    """The `schemathesis run` line docs/gate.md prints, split as a shell would."""
    import re
    import shlex

    text = (ROOT / "docs" / "gate.md").read_text("utf-8")
    lines = [line for line in re.findall(r"^\.venv/bin/schemathesis run .*$", text, re.M)]
    assert len(lines) == 1, lines
    return shlex.split(lines[0])


def test_the_command_docs_gate_prints_ends_clean():
    """Exactly the command of docs/gate.md, against the mock as `make mock MOCK_ARGS="--key sk-test"`
    starts it (default rules: production), its URL swapped for a free loopback port."""
    command = _docs_gate_command()
    assert command[command.index("--url") + 1] == "http://127.0.0.1:4010"
    with MockServer(keys=["sk-test"], job_seconds=5) as mock:
        command[command.index("--url") + 1] = mock.url
        command[0] = str(SCHEMATHESIS)
        result = subprocess.run(
            [*command, "--max-examples", "5", "--no-color"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert "schemathesis.toml" in result.stdout, result.stdout[-2000:]
    assert result.returncode == 0, result.stdout[-4000:]
