"""The project's own Schemathesis rules, for the suite and for anyone's `schemathesis run`.

schemathesis.toml at the repository root names this module (`hooks`), so

    schemathesis run openapi/aihubmix.yaml --url http://127.0.0.1:4010 -H 'Authorization: Bearer sk-test'

generates and judges as contract_tests/test_schemathesis.py does: real images for the custom
formats `image-base64` and `image-data-url` and for image/png file parts, and a server-error check
that knows the documented 501 of deleting a Kling job (002:396).
"""

from __future__ import annotations

import base64
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import negative_data_rejection

from contract_tests.engine.generate import FORMAT_SAMPLES

schemathesis.openapi.format("image-base64", st.sampled_from(FORMAT_SAMPLES["image-base64"]))
schemathesis.openapi.format("image-data-url", st.sampled_from(FORMAT_SAMPLES["image-data-url"]))
PNG = base64.b64decode(FORMAT_SAMPLES["image-base64"][0])
schemathesis.openapi.media_type("image/png", st.just(PNG))


@schemathesis.check
def no_server_error_but_documented_501(ctx: Any, response: Any, case: Any) -> bool:
    """not_a_server_error, except the documented 501 not_supported of deleting a Kling job (002:396)."""
    if response.status_code == 501 and case.method.upper() == "DELETE":
        error = (response.json() or {}).get("error") or {}
        assert isinstance(error.get("message"), str), f"501 without an error message: {response.text[:200]}"
        # the code is checked only where the error has one (production's gateway errors carry none)
        assert error.get("code") in (None, "not_supported"), (
            f"501 with a code other than the documented not_supported: {response.text[:200]}"
        )
        return True
    assert response.status_code < 500, f"server error {response.status_code}: {response.text[:300]}"
    return True


INT64 = (-(2**63), 2**63 - 1)


def fits_64_bits(value: Any) -> bool:
    """Every integer in the value fits a signed 64-bit integer."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return INT64[0] <= value <= INT64[1]
    if isinstance(value, dict):
        return all(fits_64_bits(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(fits_64_bits(v) for v in value)
    return True


@schemathesis.hook
def filter_body(ctx: Any, body: Any) -> bool:
    """No generated body holds an integer beyond 64 bits: NUMBER-RANGE (x-rules, structural) refuses
    it, a rule the body reader keeps because JSON Schema cannot say it (2**64 parses as an integral
    float), so a schema-valid free-form member (`extra_body`) could hold one."""
    return fits_64_bits(body)


def is_multipart_negative(case: Any) -> bool:
    """Form fields carry no JSON types and cannot hold an empty list: a multipart case that is
    invalid only by type ("4" for 4) or by emptiness is valid on the wire. JSON runs the same rules."""
    return bool(
        (case.media_type or "").startswith("multipart/")
        and case.meta
        and str(getattr(case.meta.generation, "mode", "")).lower().endswith("negative")
    )


def accepted_with_a_warning(response: Any) -> bool:
    """The mock's production mode accepts a request that breaks only rules production is not known
    to enforce, and says so in X-Mock-Unconfirmed-Rules (RULES.md, Two kinds of rules): a 2xx that
    names the rules is the gate working, not invalid data let through. Production sends no such
    header, so against it the check is whole."""
    names = {name.lower() for name in response.headers}
    return response.status_code < 300 and "x-mock-unconfirmed-rules" in names


@schemathesis.check
def negative_data_rejection_but_multipart(ctx: Any, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, for every case but multipart ones (see is_multipart_negative) and
    the mock's warned acceptances (see accepted_with_a_warning)."""
    if is_multipart_negative(case) or accepted_with_a_warning(response):
        return None
    return negative_data_rejection(ctx, response, case)


__all__ = ["PNG", "is_multipart_negative", "not_a_server_error", "negative_data_rejection"]
