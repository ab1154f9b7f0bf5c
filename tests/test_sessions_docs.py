"""docs/sessions.md runs as printed: its ```sh runnable blocks in bash (the mock's address, and
for the nginx recipe its ports and prefix folder, replaced by free ones), its ```python runnable
block as another project's test file against a running mock."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from aihubmix_mock import MockServer

from .test_cli import free_port

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "sessions.md").read_text(encoding="utf-8")
SH = re.findall(r"^```sh not-run\n(.*?)^```$", DOC, re.S | re.M)  # run here, as a whole, not by test_readme
PYTHON = re.findall(r"^```python(?: not-run)?\n(.*?)^```$", DOC, re.S | re.M)
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def _bash(script: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The block in bash -e, in a process group of its own (ended whatever the block leaves). The
    output goes to a file: what the block starts in the background may hold a pipe open."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}:/usr/sbin"}
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):  # the group is gone already
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        out.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read())


def test_the_doc_has_its_runnable_blocks():
    assert len(SH) == 2 and len(PYTHON) == 1
    assert "MEASURED" not in DOC, "a figure was left unmeasured"


def test_the_curl_examples_run_against_a_mock():
    with MockServer(job_seconds=5) as mock:
        result = _bash(SH[0].replace("http://127.0.0.1:4010", mock.url))
        assert result.returncode == 0, result.stdout
        assert '"name":"job-a"' in result.stdout and '"faults_queued":1' in result.stdout
        # each job ended its session; nothing was left in the default one
        assert [s["name"] for s in mock.sessions()] == ["default"]
        assert httpx.get(f"{mock.url}/__mock/journal").json()["data"] == []


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx)")
def test_the_nginx_recipe_runs(tmp_path):
    ports = {port: str(free_port()) for port in ("4010", "4011", "4012")}
    script = SH[1].replace("/tmp/aihubmix-lb", str(tmp_path / "lb"))
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    for old, new in ports.items():
        script = script.replace(old, new)  # in URLs, options and the `for port in` list
        conf = conf.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
    (tmp_path / "nginx.conf").write_text(conf)
    script = script.replace('"$PWD/deploy/nginx/nginx.conf"', str(tmp_path / "nginx.conf"))
    result = _bash(script)
    assert result.returncode == 0, result.stdout
    # the session reached exactly one of the two processes
    assert result.stdout.count('"name":"ci-job-7"') == 1, result.stdout


def test_the_python_example_runs_against_a_running_mock(pytester):
    with MockServer(job_seconds=30) as mock:
        pytester.makepyfile(test_doc_example=PYTHON[0])
        result = pytester.runpytest_subprocess(
            "-q", "-p", "no:cacheprovider", "--aihubmix-mock-url", mock.url
        )
        result.assert_outcomes(passed=1)
        assert [s["name"] for s in mock.sessions()] == ["default"]
