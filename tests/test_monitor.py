"""The drift monitor where its users run it: `python -m contract_tests`, `make contract` and the nightly
workflow's own step, against a real mock process that already holds jobs, at every budget, twice,
with no key, through a flaky network, and against drifted and balance-starved stand-ins. Each run
must say the right word and exit with the right code, and no key may reach any artefact.

(The stand-in tests in test_drift_standins.py call pytest in a fork; these go through the entry
points, as a person or a CI step does.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KEY = "sk-monitor-SECRET-a1b2c3d4"
KEY_2 = "sk-monitor-SECRET-e5f6a7b8"
SORA = {"model": "sora-2", "prompt": "already here", "seconds": "4"}


def _serve(args: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url)
    except AssertionError:
        process.kill()
        raise
    return process, url


@pytest.fixture(scope="module")
def dirty_mock():
    """`aihubmix-mock serve` as a user starts it, already holding jobs of both keys (some finished)."""
    process, url = _serve([str(BIN / "aihubmix-mock"), "serve", "--host", "127.0.0.1", "--job-seconds", "30"])
    for key in (KEY, KEY_2):
        for n in range(4):
            response = httpx.post(
                f"{url}/v1/videos",
                json={**SORA, "prompt": f"left over {n}"},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200, response.text
    httpx.post(f"{url}/__mock/clock/advance", json={"seconds": 60})
    yield url
    process.terminate()
    process.wait(10)


class Run:
    def __init__(self, code: int, out: str, directory: Path) -> None:
        self.code, self.out, self.directory = code, out, directory
        self.last = [line for line in out.splitlines() if line.startswith("contract: ")][-1:] or [""]
        self.sentence = self.last[0]
        path = directory / "drift.json"
        self.summary = yaml.safe_load(path.read_text("utf-8")) if path.exists() else {}

    def artefacts(self) -> str:
        texts = [self.out]
        for path in self.directory.rglob("*"):
            if path.is_file():
                texts.append(path.read_text("utf-8", "replace"))
        return "\n".join(texts)


def monitor(url: str, directory: Path, *args: str, keys: bool = True, timeout: int = 400) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIHUBMIX_")}
    if keys:
        env |= {"AIHUBMIX_API_KEY": KEY, "AIHUBMIX_API_KEY_2": KEY_2}
    done = subprocess.run(
        [sys.executable, "-m", "contract_tests", "--base-url", url, "--report-dir", str(directory), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout + done.stderr, directory)


def assert_clean(run: Run, what: str) -> None:
    assert run.code == 0, f"{what}: exit {run.code}\n{run.sentence}\n{run.out[-4000:]}"
    assert run.sentence.startswith("contract: no drift"), run.sentence
    assert run.summary["counts"]["drift"] == 0 and run.summary["counts"]["incident"] == 0, run.summary[
        "counts"
    ]
    for key in (KEY, KEY_2):
        assert key not in run.artefacts(), f"{what}: the key reached an artefact"


@pytest.mark.parametrize("budget", ["0", "3"])
def test_a_dirty_mock_conforms_at_a_small_budget_twice(dirty_mock, tmp_path, budget):
    """The nightly's own budget (3) and the free run (0), twice in a row against the same server."""
    first = monitor(dirty_mock, tmp_path / "first", "--budget", budget)
    assert_clean(first, f"budget {budget}, first run")
    second = monitor(dirty_mock, tmp_path / "second", "--budget", budget)
    assert_clean(second, f"budget {budget}, second run")
    assert second.summary["counts"]["not sent"] > 0, "a small budget leaves checks unsent, and says so"
    assert first.summary["counts"]["conforms"] == second.summary["counts"]["conforms"]


def test_a_dirty_mock_conforms_with_every_check_paid_for(dirty_mock, tmp_path):
    run = monitor(dirty_mock, tmp_path, "--budget", "100000")
    assert_clean(run, "budget 100000")
    assert run.summary["counts"]["not sent"] == 0, "every check was paid for"
    assert run.summary["counts"]["conforms"] > 200
    assert run.summary["billable_jobs"]["created"] > 20
    assert run.summary["billable_jobs"]["over_declared"] == {}, "a test bills more than its marker declares"


def test_no_key_is_not_sent_never_drift(dirty_mock, tmp_path):
    run = monitor(dirty_mock, tmp_path, "--budget", "3", keys=False)
    assert_clean(run, "no key")
    assert run.summary["counts"]["not sent"] > 100
    assert any("needs an API key" in g["message"] for g in run.summary["groups"]["not sent"])
    assert run.summary["counts"]["conforms"] > 20, "the keyless checks (401s) still ran"


def test_a_flaky_network_is_retried_not_drift(dirty_mock, tmp_path):
    """1 read in 8 answered 503 by the network in front of the mock, the control plane too."""
    from aihubmix_mock.pytest_plugin import RunningMock
    from tests.flaky_proxy import FlakyProxy

    proxy = FlakyProxy(dirty_mock)
    server = RunningMock(proxy).start()
    try:
        run = monitor(server.url, tmp_path, "--budget", "100000")
    finally:
        server.stop()
    assert proxy.answered_503 >= 5, f"too few faults met: {proxy.reads} reads"
    assert_clean(run, "flaky network")


# --------------------------------------------------------------------------- make and the workflow
# a quick selection: what each stand-in breaks shows in these tests
QUICK = "test_semantics or (test_job_lifecycle_and_content and Sora)"


def make(target: str, directory: Path, **variables: str) -> tuple[int, str]:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIHUBMIX_", "MAKE"))}
    env["PYTEST_ADDOPTS"] = f"-k '{QUICK}'"  # pytest's own variable: a quick selection
    args = ["make", "--no-print-directory", target, f"REPORT_DIR={directory}"]
    args += [f"{k}={v}" for k, v in variables.items()]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("standin", "code", "word"),
    [("faithful", 0, "no drift"), ("rename_status", 1, "DRIFT"), ("balance", 3, "INCIDENTS, no drift")],
)
def test_make_contract_says_the_word_and_the_code(standins, tmp_path, standin, code, word):
    from contract_tests.engine.target import KEY_A, KEY_B

    url = standins(standin)
    got, out = make("contract", tmp_path, BASE_URL=url, API_KEY=KEY_A, API_KEY_2=KEY_B, BUDGET="3")
    sentence = [line for line in out.splitlines() if line.startswith("contract: ")][-1]
    assert sentence.startswith(f"contract: {word}") and sentence.endswith(f"(exit {code})"), out[-3000:]
    # GNU make exits 2 for any failed recipe and names the recipe's own code
    assert got == (0 if code == 0 else 2), out[-2000:]
    if code:
        assert re.search(rf"Error {code}\b", out), out[-500:]
    assert (tmp_path / "exit-code").read_text().split("\n")[0] == str(code)
    for key in (KEY_A, KEY_B):
        assert key not in out, "make echoed a key"
        for path in tmp_path.rglob("*"):
            assert key not in path.read_text("utf-8", "replace"), f"the key reached {path.name}"


def _workflow_step(name: str) -> str:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly-drift.yml").read_text("utf-8"))
    steps = workflow["jobs"]["drift"]["steps"]
    return next(step["run"] for step in steps if step.get("name") == name)


@pytest.mark.parametrize(
    ("standin", "code", "annotation"),
    [("faithful", 0, "::notice::contract: no drift"), ("rename_status", 1, "::error::contract: DRIFT"),
     ("balance", 3, "::warning::contract: INCIDENTS")],
)  # fmt: skip
def test_the_nightly_step_itself(standins, tmp_path, standin, code, annotation):
    """The workflow's own `run:` text, run by bash with the environment GitHub gives it."""
    from contract_tests.engine.target import KEY_A, KEY_B

    script = _workflow_step("contract suite against production")
    output = tmp_path / "github_output"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIHUBMIX_")}
    env |= {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "BASE_URL": standins(standin),
        "BUDGET": "3",
        "FAIL_ON": "new",
        "REPORT_DIR": str(tmp_path / "reports"),
        "AIHUBMIX_API_KEY": KEY_A,
        "AIHUBMIX_API_KEY_2": KEY_B,
        "PYTEST_ADDOPTS": f"-k '{QUICK}'",
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=400
    )
    assert done.returncode == code, done.stdout[-3000:] + done.stderr[-2000:]
    assert annotation in done.stdout, done.stdout[-2000:]
    assert f"code={code}" in output.read_text()
