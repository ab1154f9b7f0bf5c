"""The GitHub Action (action.yml) runs scripts/mock-action.sh: run here as the runner would, on the
pip path (no Docker), against 127.0.0.1. The Docker path runs in `make image-test`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from tests.test_cli import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "mock-action.sh"
BIN_DIR = str(Path(sys.executable).parent)  # holds aihubmix-mock: the action uses it, installs nothing

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are a bash script")


def action(step: str, tmp_path: Path, script: Path = SCRIPT, path: str = BIN_DIR, **settings: str):
    """One step of the action; its outputs ($GITHUB_OUTPUT) as a dict."""
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MOCK_", "AIHUBMIX_MOCK"))},
        "PATH": f"{path}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
        **settings,
    }
    result = subprocess.run(["bash", str(script), step], env=env, capture_output=True, text=True, timeout=600)
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return result, found


def test_start_waits_for_health_outputs_the_url_and_stop_stops_it(tmp_path):
    port = str(free_port())
    started, outputs = action(
        "start", tmp_path, MOCK_RUNNER="pip", MOCK_PORT=port, MOCK_ARGS="--job-seconds 0"
    )
    assert started.returncode == 0, started.stderr
    url = outputs["url"]
    assert url == f"http://127.0.0.1:{port}" and outputs["runner"] == "pip"
    assert httpx.get(f"{url}/__mock/health").json()["status"] == "ok"
    job = httpx.post(
        f"{url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers={"Authorization": "Bearer sk"}
    )
    assert (
        httpx.get(f"{url}/v1/videos/{job.json()['id']}", headers={"Authorization": "Bearer sk"}).json()[
            "status"
        ]
        == "completed"
    ), "MOCK_ARGS --job-seconds 0 was not applied"

    again, _ = action("start", tmp_path, MOCK_RUNNER="pip", MOCK_PORT=port)
    assert again.returncode == 1 and f"already holds port {port}" in again.stderr

    stopped, _ = action("stop", tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert "aihubmix-mock ready on" in stopped.stderr, "stop shows the end of the mock's log"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/__mock/health")
    nothing, _ = action("stop", tmp_path)  # twice (an `if: always()` step after a failed one): harmless
    assert nothing.returncode == 0 and "no mock to stop" in nothing.stderr


@pytest.mark.parametrize(
    ("docker", "says"),
    [
        ("exit 1", "starting the package"),  # no daemon: pip, quietly
        ('[ "$1" = info ] && exit 0; exit 1', "cannot pull ghcr.io/owner/repo:v9.9.9"),  # no such image
    ],
)
def test_auto_falls_back_to_pip_when_docker_cannot_run_the_image(tmp_path, docker, says):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text(f"#!/bin/sh\n{docker}\n")
    (fake / "docker").chmod(0o755)
    port = str(free_port())
    started, outputs = action(
        "start", tmp_path, path=f"{fake}{os.pathsep}{BIN_DIR}", MOCK_PORT=port,
        GITHUB_ACTION_REPOSITORY="Owner/Repo", GITHUB_ACTION_REF="v9.9.9",
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        assert outputs["runner"] == "pip" and says in started.stderr
    finally:
        assert action("stop", tmp_path)[0].returncode == 0


def test_a_mock_that_cannot_start_fails_the_step_with_its_log(tmp_path):
    started, outputs = action(
        "start", tmp_path, MOCK_RUNNER="pip", MOCK_PORT=str(free_port()), MOCK_ARGS="--job-seconds nan"
    )
    assert started.returncode == 1 and "url" not in outputs
    assert "--job-seconds must be a number" in started.stderr, "the mock's own reason is shown"
    assert "::error::" in started.stderr
    assert not list((tmp_path / "aihubmix-mock-action").glob("[0-9]*")), "nothing left to stop"


@pytest.mark.parametrize(
    ("standin", "suite_code", "annotation"),
    [("faithful", 0, "::notice::contract: no drift"), ("rename_status", 1, "::error::contract: DRIFT"),
     ("balance", 3, "::warning::contract: INCIDENTS")],
)  # fmt: skip
def test_contract_mode_keeps_the_suites_exit_code(standins, tmp_path, standin, suite_code, annotation):
    """The action's second use, against the drifted stand-ins served as a user serves them: the step
    exits with the suite's own code (not make's 2), says which in an annotation, and keeps the report."""
    from contract_tests.engine.target import KEY_A, KEY_B

    report = tmp_path / "report"
    result, outputs = action(
        "contract", tmp_path, BASE_URL=standins(standin), BUDGET="3", FAIL_ON="new", REPORT_DIR=str(report),
        GITHUB_ACTIONS="true", AIHUBMIX_API_KEY=KEY_A, AIHUBMIX_API_KEY_2=KEY_B,
        PYTEST_ADDOPTS="-k 'test_semantics or (test_job_lifecycle_and_content and Sora)'",
    )  # fmt: skip
    assert result.returncode == suite_code and outputs["code"] == str(suite_code), result.stdout[-3000:]
    assert annotation in result.stdout, result.stdout[-2000:]
    assert (report / "drift.json").exists() and outputs["report"] == str(report)


def test_the_package_installs_from_a_git_url_into_a_fresh_venv_and_the_action_runs_it(tmp_path):
    """The recipe for CI with Python and no Docker (`pipx run --spec git+URL aihubmix-mock serve`):
    the same install from a git URL (a local repository of this working tree), then the action's
    pip path with it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    files = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "snapshot"], check=True)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), f"git+file://{repo}"], check=True, timeout=600)

    port = str(free_port())
    state = tmp_path / "runner"
    state.mkdir()
    started, outputs = action(
        "start",
        state,
        path=str(env_dir / "bin"),
        MOCK_RUNNER="pip",
        MOCK_PORT=port,
        MOCK_ARGS="--job-seconds 0",
    )
    try:
        assert started.returncode == 0, started.stderr
        url, auth = outputs["url"], {"Authorization": "Bearer sk-test"}
        assert httpx.get(f"{url}/__mock/health").status_code == 200
        # validated by the spec that travelled in the package, rendered by its PyAV
        bad = httpx.post(
            f"{url}/v1/videos", json={"model": "sora-2", "prompt": "p", "size": "1x1"}, headers=auth
        )
        assert bad.status_code == 400 and "SORA-SIZE" in bad.text
        job = httpx.post(f"{url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=auth).json()
        assert httpx.get(f"{url}/v1/videos/{job['id']}", headers=auth).json()["status"] == "completed"
        video = httpx.get(f"{url}/v1/videos/{job['id']}/content", headers=auth, timeout=60)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    finally:
        stopped, _ = action("stop", state)
    assert stopped.returncode == 0


def test_every_input_of_action_yml_reaches_the_script_and_is_documented_there():
    import yaml

    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    step = spec["runs"]["steps"][0]
    header = SCRIPT.read_text().split("set -euo pipefail")[0]
    passed = {name.split(".", 1)[1].rstrip(" }") for name in step["env"].values() if "inputs." in name}
    assert passed == set(spec["inputs"]), "an input the step does not pass on, or one that is not declared"
    for variable in step["env"]:
        if variable not in ("MODE", "INPUT_API_KEY", "GITHUB_ACTION_REPOSITORY", "GITHUB_ACTION_REF"):
            assert variable in header, f"{variable}: not described at the top of {SCRIPT.name}"
    for output in spec["outputs"]:
        assert f'out "{output}=' in SCRIPT.read_text(), f"output {output}: the script never writes it"
