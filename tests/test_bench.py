"""The benchmark's own arithmetic and tools (the figures themselves come from `make bench`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import ab  # noqa: E402
import run  # noqa: E402


def _run(rps: float, bytes_per_s: float = 0.0, errors: int = 0) -> dict:
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "bytes_per_s": bytes_per_s, "errors": errors}


def _results(poll_ratios: list[float], defaults_poll_ratios: list[float]) -> dict:
    routes = ("polls", "content", "creates_json", "creates_multipart")

    def pairs(ratios: list[float], route: str) -> list[dict]:
        # content compares bytes/s; the rest requests/s
        if route == "content":  # compared by bytes/s: its requests/s ratio (0.5) must not show
            return [{"server": _run(500, 1000 * r), "baseline": _run(1000, 1000)} for r in (0.7, 0.8, 0.9)]
        return [
            {"server": _run(1000 * r, 1000 * r), "baseline": _run(1000, 1000)}
            for r in (ratios if route == "polls" else [0.9, 0.9, 0.9])
        ]

    mock = {route: _run(900, 900) for route in routes}
    mock.update(
        startup_s=0.3,
        bytes_per_job=1500,
        jobs_retained=100_000,
        renders_during_load=0,
        content_bytes=1000,
        first_download_s=0.5,
        cached_download_s=0.001,
        rss_idle=40 * 2**20,
        rss_with_jobs=200 * 2**20,
        polls_full_store=_run(800),
        content_full_store=_run(800, 800),
    )
    return {
        "load_generator": "wrk test",
        "pinned": True,
        "seconds": 3,
        "pairs": {
            "mock": {route: pairs(poll_ratios, route) for route in routes},
            "defaults": {
                route: pairs(defaults_poll_ratios, route)
                for route in ("polls", "creates_json", "creates_multipart")
            },
        },
        "mock": mock,
        "mock_defaults": {route: _run(900, 900, errors=0) for route in routes},
        "baseline": {
            **{route: _run(1000, 1000) for route in routes},
            "startup_s": 0.2,
            "rss_idle": 30 * 2**20,
        },
        "suite_s": 40.0,
        "suite_summary": "243 passed",
    }


def test_a_ratio_is_the_median_of_the_rounds_and_the_range_is_shown():
    results = _results([0.5, 0.9, 0.7, 0.95, 0.3], [0.85, 0.81, 0.9])
    assert run.ratios(results, "mock", "polls") == pytest.approx([0.5, 0.9, 0.7, 0.95, 0.3])
    text = run.report(results)
    assert "| polls | 0.70x | 0.30-0.95 | >= 0.6x | yes |" in text
    assert "| polls | 0.85x | 0.81-0.90 | >= 0.8x | yes |" in text  # the default-settings row
    assert "| content | 0.80x | 0.70-0.90 | >= 0.8x | yes |" in text  # bytes/s, not requests/s


def test_a_ratio_below_its_target_says_no():
    text = run.report(_results([0.5, 0.55, 0.58], [0.7, 0.75, 0.79]))
    assert "| polls | 0.55x | 0.50-0.58 | >= 0.6x | **NO** |" in text
    assert "| polls | 0.75x | 0.70-0.79 | >= 0.8x | **NO** |" in text


def test_without_wrk_the_ratios_say_nothing():
    results = _results([0.9, 0.9, 0.9], [0.9, 0.9, 0.9])
    results["ratios_valid"] = False  # the Python load generator paces both servers
    text = run.report(results)
    assert (
        "| polls | 0.90x | 0.90-0.90 | >= 0.6x | n/a (no wrk) |" in text
        and "| yes |" not in text.split("## Other")[0]
    )


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the repository's git history")
def test_ab_checks_out_a_revision_importable_in_place_of_the_work_tree(tmp_path):
    path = ab.checkout("HEAD", tmp_path)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import aihubmix_mock, aihubmix_mock.spec as s; print(aihubmix_mock.__file__); "
            "print(len(s.get_spec('aihubmix').document['paths']))",
        ],
        env={**os.environ, "PYTHONPATH": str(path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0].startswith(str(tmp_path)) and int(out[1]) > 0


def test_the_sessions_row_compares_polls_in_a_session_with_polls_in_the_default_one():
    results = _results([0.8, 0.8, 0.8], [0.85, 0.81, 0.9])
    assert "## Sessions" not in run.report(results)  # results from before sessions still report
    results["pairs"]["mock"]["polls_session"] = [
        {"server": _run(1000 * r), "baseline": _run(1000)} for r in (0.76, 0.8, 0.72)
    ]
    text = run.report(results)
    assert "| polls in a session | 0.95x | 0.90-1.00 | >= 0.95x | yes |" in text
    results["pairs"]["mock"]["polls_session"][1]["server"] = _run(700)
    assert "| polls in a session | 0.95x" not in run.report(results)
    assert "| >= 0.95x | **NO** |" in run.report(results)
