"""docs/ci.md says what the action, the image and the recipes are: it must not drift from them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "ci.md").read_text()
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_every_file_the_page_names_exists():
    named = set(re.findall(r"`((?:recipes|scripts|tests|docs|openapi|\.github)/[\w./-]+)`", DOC))
    assert "scripts/mock-action.sh" in named, "the page no longer names the action's script"
    assert [name for name in named if not (ROOT / name).exists()] == []


def test_the_inputs_table_and_the_contract_example_cover_every_input_and_output():
    table = set(re.findall(r"^\| `([\w-]+)` \|", DOC, flags=re.M))
    contract_example = DOC.split("mode: contract\n", 1)[1].split("```", 1)[0]
    shown = table | set(re.findall(r"^\s+([\w-]+):", contract_example, flags=re.M))
    assert set(ACTION["inputs"]) - shown == set(), "an input of action.yml the page does not show"
    assert shown - set(ACTION["inputs"]) == set(), "the page shows an input action.yml does not have"
    for output in ACTION["outputs"]:
        assert f"`{output}`" in DOC, f"output {output} is not described"


def test_the_make_targets_and_the_image_facts_match():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"make ([a-z][\w-]+)", DOC)) - {"contract"}:
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"make {target}: no such target"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE=python:3.11-slim" in dockerfile and "`python:3.11-slim`" in DOC
    assert 'VOLUME ["/data"]' in dockerfile and "EXPOSE 4010" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "aihubmix_mock.healthcheck" in dockerfile
    assert "USER mock" in dockerfile and "uid 10001" in DOC and "--uid 10001" in dockerfile
