"""The zero-cost drift watch: the mock serves the vendor's metadata from the spec, the free checks
pass on it, make no billable call, and report each drifted stand-in (tests/free_standins.py) as
drift naming the model and the rule; an outage is an incident, a native-only schema is said once.

The suite runs as a subprocess over a loopback socket (as a nightly would), judged by its JUnit XML.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from aihubmix_mock import create_app
from aihubmix_mock.handlers.metadata import endpoints_document
from aihubmix_mock.pytest_plugin import RunningMock
from contract_tests.engine import docs_watch
from contract_tests.engine.free import spec_models
from contract_tests.engine.generate import minimal
from contract_tests.engine.report import EXIT_INCIDENT
from tests.free_standins import docs_standin, metadata_standin

ROOT = Path(__file__).resolve().parent.parent


def run_free(
    tmp_path: Path,
    metadata: str,
    docs: str = "faithful",
    *,
    whole_suite: bool = False,
    free_dir: Path | None = None,
) -> tuple[int, dict[str, tuple[str, str]], list, str]:
    """Run the free checks against the stand-ins; returns (exit code, test -> (state, message), the
    requests the metadata server saw, pytest's output)."""
    meta = metadata_standin(metadata)
    meta_server, docs_server = RunningMock(meta).start(), RunningMock(docs_standin(docs)).start()
    junit = tmp_path / f"{metadata}-{docs}.xml"
    try:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "contract_tests" if whole_suite else "contract_tests/test_free.py",
            "-m",
            "free",
            "-q",
            "-p",
            "no:cacheprovider",
            "--base-url",
            meta_server.url,
            "--docs-url",
            docs_server.url,
            "--report-dir",
            str(tmp_path / "reports"),
            "--free-dir",
            str(free_dir or tmp_path / "free"),
            "--junitxml",
            str(junit),
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIHUBMIX_")}
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    finally:
        meta_server.stop()
        docs_server.stop()
    results: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        state, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                state, message = child.tag, (child.get("message") or "") + "\n" + (child.text or "")
        results[case.get("name")] = (state, message)
    return result.returncode, results, list(meta.seen), result.stdout + result.stderr


def _failures(results):
    return {name: msg for name, (state, msg) in results.items() if state in ("failure", "error")}


def _skips(results, prefix):
    return {name: msg for name, (state, msg) in results.items() if state == "skipped" and prefix in msg}


# ------------------------------------------------------------------------------------ the mock
def _shape(name: str) -> Draft202012Validator:
    """A response schema of openapi/metadata.yaml (the vendor's format, as far as it is known)."""
    from contract_tests.engine.generate import document

    doc = document("metadata")
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def test_the_metadata_spec_is_valid_openapi():
    from openapi_spec_validator import validate

    from contract_tests.engine.generate import document

    validate(document("metadata"))


def test_the_mock_serves_the_metadata_without_a_key():
    client = TestClient(create_app(keys=["sk-only-this"]))
    catalogue = client.get("/api/v1/models")
    assert catalogue.status_code == 200
    _shape("Catalogue").validate(catalogue.json())
    for model in spec_models():
        _shape("EndpointsDocument").validate(client.get(f"/call/schema/models/{model}/endpoints").json())
    listed = {row["model_id"] for row in catalogue.json()["data"]}
    assert listed == set(spec_models()), "the catalogue lists exactly the spec's models"
    assert client.get("/api/v1/models", params={"type": "llm"}).json()["data"] == []
    document = client.get("/call/schema/models/sora-2/endpoints")
    assert document.status_code == 200 and document.json()["model"] == "sora-2"
    missing = client.get("/call/schema/models/no-such-model/endpoints")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    _shape("MetadataError").validate(missing.json())


@pytest.mark.parametrize("model", list(spec_models()))
def test_the_served_schema_is_the_spec_variant(model):
    """What the mock serves for a model accepts the spec's smallest valid request and, like the spec,
    rejects an unknown parameter: derived from the variant, not a second copy of the rules."""
    variant = spec_models()[model]
    entry = endpoints_document(model)["endpoints"][0]
    assert (entry["method"], entry["path"]) == ("POST", "/v1/videos")
    served = Draft202012Validator(entry["request"]["schema"])
    body = {**minimal("aihubmix", variant), "model": model}
    assert served.is_valid(body), list(served.iter_errors(body))[:1]
    assert not served.is_valid({**body, "no_such_parameter": 1})


# ------------------------------------------------------------------------------------ docs pieces
def test_a_markdown_page_normalises_to_the_seed_lines():
    """The live page is Markdown, the seed its rendered text: the same words compare equal."""
    snapshot = docs_watch.Snapshot.load("002")
    markdown = "\n".join(
        [
            "---",
            "title: Video",
            "---",
            "## Per-Model Parameter Details",
            "",
            "| Parameter | Supported Values |",
            "|---|---|",
            "| Model | sora-2, sora-2-pro |",
            '| Duration (seconds) | "4" (default), "8", "12" |',
        ]
    )
    fetched = docs_watch.normalise(markdown, "text/markdown")
    keys = {docs_watch.key(line) for line in snapshot.lines}
    assert all(docs_watch.key(line) in keys for line in fetched), fetched
    html = "<html><body><nav><script>x()</script></nav><p>Modelsora-2, sora-2-pro</p></body></html>"
    assert docs_watch.normalise(html, "text/html") == ["Modelsora-2, sora-2-pro"]


def test_cited_lines_map_to_rules():
    assert docs_watch.cited_lines('002:52-54, 002:365; 001:68 "x"; 000:40,46') == {
        "002": {52, 53, 54, 365},
        "001": {68},
        "000": {40, 46},
    }
    assert "SORA-SECONDS" in docs_watch.rules_by_line()[("002", 197)]


def test_a_new_snapshot_keeps_the_seed_line_of_unchanged_words():
    """What `make docs-snapshot` does to the line map: a line whose words are unchanged keeps its
    seed number (so its rules stay anchored), a changed line loses it and is named."""
    old = docs_watch.Snapshot.load("002")
    edited = list(old.lines)
    edited[197 - 1] += ', "16"'
    fetched = docs_watch.normalise("\n".join(edited), "text/plain")
    new = docs_watch.Snapshot("002", fetched, docs_watch.carry_over(old, fetched), old.wordless)
    by_text = dict(zip(new.lines, new.seed_lines, strict=True))
    assert by_text[edited[197 - 1]] is None and by_text[old.lines[198 - 1]] == 198
    assert docs_watch.diff(new, fetched) == []
    assert docs_watch.unanchored("002", new) == {"SORA-SECONDS": [197]}


@pytest.mark.parametrize("page", [p["id"] for p in docs_watch.pages()])
def test_the_snapshot_anchors_every_cited_line(page):
    """Every seed line a rule cites has a snapshot line standing for it (else a snapshot update lost
    it: re-read the page and update the rule's `docs`)."""
    assert docs_watch.unanchored(page, docs_watch.Snapshot.load(page)) == {}


# ------------------------------------------------------------------------------------ whole runs
# Each run is a subprocess (~3 s, mostly imports), so the drifts share one run: every stand-in edits
# its own model or page (tests/free_standins.py `all_at_once`), and the run must fail exactly those
# tests, each naming its model and rule. The same free-dir as the faithful run before it gives the
# "changed since the previous run" notes.
EXPECTED = {
    "test_catalogue_lists_the_model[kling-v1]": ["model kling-v1", "no longer lists it", "MODEL-KNOWN"],
    "test_catalogue_has_no_video_model_the_spec_lacks": ["model sora-3", "MODEL-KNOWN"],
    "test_catalogue_lists_the_model[veo-2.0-generate-001]": [
        "model veo-2.0-generate-001",
        "deprecated",
        "MODEL-KNOWN",
    ],
    "test_vendor_schema_matches_the_spec[sora-2]": ["model sora-2", "`seconds`", 'adds "16"', "SORA-SECONDS"],
    "test_docs_page_matches_the_snapshot[002]": ["SORA-SECONDS", "002:197", '"16"'],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("free")
    faithful = run_free(base / "faithful", "faithful", whole_suite=True, free_dir=base / "kept")
    drifted = run_free(base / "drifted", "all_at_once", "sora_line_changed", free_dir=base / "kept")
    return faithful, drifted, base / "kept"


def test_faithful_passes_and_sends_no_billable_call(runs):
    (code, results, seen, out), _, kept = runs
    assert code == 0, out[-3000:]
    assert len(results) == 2 * len(spec_models()) + 1 + len(docs_watch.pages()), sorted(results)
    assert all(state == "passed" for state, _ in results.values()), results
    assert seen, "the run asked the metadata server nothing"
    assert {method for method, _ in seen} <= {"GET", "HEAD"}, f"a free run sent {sorted(set(seen))}"
    assert not [p for _, p in seen if p.startswith("/v1/")], f"a free run touched the video API: {seen}"


@pytest.mark.parametrize("test", list(EXPECTED))
def test_each_drift_is_reported_with_model_and_rule(runs, test):
    _, (code, results, _, out), _ = runs
    failures = _failures(results)
    assert code != 0 and set(failures) == set(EXPECTED), (
        f"expected {sorted(EXPECTED)} to drift, got {sorted(failures)}"
    )
    for words in EXPECTED[test]:
        assert words in failures[test], f"{test}: the drift does not say {words!r}: {failures[test][:800]}"


def test_left_out_models_native_schemas_and_gone_schemas_are_not_drift(runs):
    _, (_, results, _, _), _ = runs
    new = _failures(results)["test_catalogue_has_no_video_model_the_spec_lacks"]
    assert "minimax-h3" not in new and "gpt-9" not in new  # left out on purpose (known); not a video model
    said = _skips(results, "not checked")
    assert sorted(said) == [
        "test_vendor_schema_matches_the_spec[kling-v1]",
        "test_vendor_schema_matches_the_spec[wan2.6-t2v]",
    ], said
    assert "only POST /ai/v1/videos" in said["test_vendor_schema_matches_the_spec[wan2.6-t2v]"]
    assert "404" in said["test_vendor_schema_matches_the_spec[kling-v1]"]


def test_the_next_run_says_what_changed_since(runs):
    _, (_, results, _, _), kept = runs
    changes = (kept / "changes.md").read_text("utf-8")
    for line in (
        "schema sora-2: the vendor's document changed since the previous run (properties: seconds)",
        "catalogue: sora-3 appeared",
        "catalogue: kling-v1 disappeared",
        "schema kling-v1: HTTP 200 -> 404",
        "docs 002: 1 change(s) since the previous run",
    ):
        assert line in changes, changes
    assert "since the previous run" in _failures(results)["test_vendor_schema_matches_the_spec[sora-2]"]


def test_an_outage_of_the_metadata_host_is_an_incident(tmp_path):
    code, results, _, out = run_free(tmp_path, "metadata_down")
    # no failure; the drift report's exit code for "no drift, but incidents" (contract_tests/engine/report.py)
    assert code == EXIT_INCIDENT and not _failures(results), out[-2000:]
    incidents = _skips(results, "incident")
    assert len(incidents) == 2 * len(spec_models()) + 1, sorted(results)
