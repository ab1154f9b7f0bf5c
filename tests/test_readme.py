"""The README's Python examples run as printed: every ```python runnable block is run here.

A block with test functions runs as another project's test file (the plugin loaded through its
entry point); any other block runs as a script, with the README's `make mock` address replaced by a
mock on a free loopback port.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aihubmix_mock import MockServer

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"^```python runnable\n(.*?)^```$", README.read_text(encoding="utf-8"), re.S | re.M)
MAKE_MOCK_URL = "http://127.0.0.1:4010"


def test_the_readme_has_runnable_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", [i for i, block in enumerate(BLOCKS) if "def test_" in block])
def test_readme_test_file_runs(index, pytester):
    block = BLOCKS[index]
    pytester.makepyfile(test_readme_example=block)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(re.findall(r"^def test_", block, re.M)))


@pytest.mark.parametrize("index", [i for i, block in enumerate(BLOCKS) if "def test_" not in block])
def test_readme_script_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the example writes land here
    block = BLOCKS[index]
    if MAKE_MOCK_URL in block:
        with MockServer(job_seconds=0) as mock:
            exec(compile(block.replace(MAKE_MOCK_URL, mock.url), f"README block {index}", "exec"), {})
    else:
        exec(compile(block, f"README block {index}", "exec"), {})
