"""The control plane does what openapi/control-plane.yaml says (Schemathesis, every check)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from aihubmix_mock import create_app


@pytest.fixture(scope="module")
def control_schema():
    # The file in openapi/, not the mock's own copy of it.
    schema = schemathesis.openapi.from_path(
        str(Path(__file__).parent.parent / "openapi" / "control-plane.yaml")
    )
    schema.app = create_app()
    schema.config.generation.update(
        deterministic=True, database="none", allow_x00=False, codec="utf-8", allow_extra_parameters=False
    )
    return schema


control = schemathesis.pytest.from_fixture("control_schema")


@control.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_control_plane_conforms(case):
    case.call_and_validate()
