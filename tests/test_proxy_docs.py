"""docs/proxy.md runs as printed: its shell session (ports moved to free ones, so that it never
meets another server on this machine) prints what the page says it prints, and its Python example
runs against a mock."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from aihubmix_mock import MockServer

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "proxy.md").read_text(encoding="utf-8")
SESSION = re.search(r"^```bash not-run\n(.*?)^```$", PAGE, re.S | re.M).group(1)
PRINTS = re.search(r"^It prints:\n\n```text\n(.*?)^```$", PAGE, re.S | re.M).group(1)
PYTHON = re.search(r"^```python runnable\n(.*?)^```$", PAGE, re.S | re.M).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_session_prints_what_the_page_says(tmp_path):
    script = SESSION.replace("4010", str(_free_port())).replace("4020", str(_free_port()))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout.splitlines()
    at = 0
    for expected in PRINTS.splitlines():  # in order; "…" stands for lines the page leaves out
        if expected == "…":
            continue
        while at < len(out) and out[at] != expected:
            at += 1
        assert at < len(out), f"not printed (in order): {expected!r}\n---\n{run.stdout}"
        at += 1
    assert (tmp_path / "fox.mp4").read_bytes()[4:8] == b"ftyp"
    assert (tmp_path / "recordings" / "exchanges.har").is_file()
    assert (tmp_path / "recordings" / "evidence-proposal.json").is_file()


def test_the_tap_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with MockServer(job_seconds=0) as mock:
        code = PYTHON.replace("http://127.0.0.1:4010", mock.url)
        exec(compile(code, "docs/proxy.md tap example", "exec"), {})
    assert "CONFORMS" in (tmp_path / "reports" / "tap" / "drift.md").read_text().splitlines()[0]
    assert len(list((tmp_path / "recordings").iterdir())) == 1
