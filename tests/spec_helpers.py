"""An independent validator for the spec documents (not the mock's), for the spec tests."""

from __future__ import annotations

import base64
import binascii
import io
import re
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from PIL import Image
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"


@cache
def document(name: str) -> dict:
    return yaml.safe_load((OPENAPI / f"{name}.yaml").read_text("utf-8"))


def _image(b64: str) -> bool:
    try:
        raw = base64.b64decode(b64, validate=True)
        with Image.open(io.BytesIO(raw)) as im:
            return im.format in ("JPEG", "PNG", "WEBP")
    except (binascii.Error, ValueError, OSError):
        return False


checker = FormatChecker(formats=())
checker.checks("image-base64")(lambda v: not isinstance(v, str) or _image(v))
checker.checks("image-data-url")(
    lambda v: not isinstance(v, str) or bool(re.match(r"^data:image/(jpeg|png|webp);base64,", v))
    and _image(v.split(",", 1)[1]))


@cache
def validator(spec: str, schema: str) -> Draft202012Validator:
    uri = f"urn:test:{spec}"
    registry = Registry().with_resource(uri, Resource.from_contents(document(spec), default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{schema}"}, registry=registry,
                                format_checker=checker)


def is_valid(spec: str, schema: str, instance) -> bool:
    return validator(spec, schema).is_valid(instance)
