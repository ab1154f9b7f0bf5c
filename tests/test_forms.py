"""Multipart decoding: bracket notation as openai-python writes it, typed by the spec."""

from __future__ import annotations

import pytest

from aihubmix_mock.forms import FormError, coerce, decode_fields
from aihubmix_mock.spec import get_spec


def test_openai_python_bracket_notation():
    items = [
        ("model", "doubao-seedance-2-0-260128"),
        ("prompt", "p"),
        ("content[][type]", "image_url"),
        ("content[][image_url][url]", "https://a/1.jpg"),
        ("content[][role]", "reference_image"),
        ("content[][type]", "audio_url"),
        ("content[][audio_url][url]", "https://a/1.mp3"),
        ("content[][role]", "reference_audio"),
        ("generate_audio", "false"),
        ("duration", "11"),
        ("extra_body[ratio]", "16:9"),
    ]
    decoded = decode_fields(items)
    assert decoded["content"] == [
        {"type": "image_url", "image_url": {"url": "https://a/1.jpg"}, "role": "reference_image"},
        {"type": "audio_url", "audio_url": {"url": "https://a/1.mp3"}, "role": "reference_audio"},
    ]
    spec = get_spec("aihubmix")
    typed = coerce(spec, spec.schemas["SeedanceCreateRequest"], decoded)
    assert typed["generate_audio"] is False and typed["duration"] == 11
    assert typed["extra_body"] == {"ratio": "16:9"}
    assert spec.check("SeedanceCreateRequest", typed) is None


def test_indexed_and_repeated_fields():
    assert decode_fields([("image_list[1]", "b"), ("image_list[0]", "a")]) == {"image_list": ["a", "b"]}
    assert decode_fields([("image_list[]", "a"), ("image_list[]", "b")]) == {"image_list": ["a", "b"]}
    assert decode_fields([("x", "1"), ("x", "2")]) == {"x": ["1", "2"]}


@pytest.mark.parametrize("key", ["a[", "[x]", "a[b]c", "a[b"])
def test_malformed_field_names(key):
    with pytest.raises(FormError):
        decode_fields([(key, "v")])


def test_conflicting_shapes():
    with pytest.raises(FormError):
        decode_fields([("a", "1"), ("a[b]", "2")])


def test_strings_stay_strings_where_the_schema_says_string():
    spec = get_spec("aihubmix")
    typed = coerce(
        spec, spec.schemas["SoraCreateRequest"], {"model": "sora-2", "prompt": "12", "seconds": "8"}
    )
    assert typed == {"model": "sora-2", "prompt": "12", "seconds": "8"}
    kling = coerce(spec, spec.schemas["KlingV3CreateRequest"], {"cfg_scale": "0.25", "duration": "5"})
    assert kling == {"cfg_scale": 0.25, "duration": "5"}


def test_a_single_field_for_an_array_is_a_one_item_list():
    spec = get_spec("aihubmix")
    typed = coerce(
        spec, spec.schemas["KlingV16CreateRequest"], decode_fields([("image_list", "https://e.com/1.jpg")])
    )
    assert typed == {"image_list": ["https://e.com/1.jpg"]}
    two = coerce(
        spec,
        spec.schemas["KlingV16CreateRequest"],
        decode_fields([("image_list", "https://e.com/1.jpg"), ("image_list", "https://e.com/2.jpg")]),
    )
    assert two == {"image_list": ["https://e.com/1.jpg", "https://e.com/2.jpg"]}


def test_file_part_becomes_the_object_form():
    spec = get_spec("aihubmix")
    png = b"\x89PNG\r\n\x1a\n" + b"rest"
    typed = coerce(
        spec, spec.schemas["SoraCreateRequest"], {"input_reference": ("application/octet-stream", png)}
    )
    assert typed["input_reference"]["mime_type"] == "image/png"


def test_redaction_never_shows_a_whole_key():
    from aihubmix_mock.auth import redact

    for key in ("k", "sk-a", "sk-abcdefgh", "sk-gateway-0123456789abcdef"):
        shown = redact(key).split("…")[0]
        assert len(shown) <= len(key) // 4 and key not in redact(key)
    assert redact("sk-gateway-0123456789abcdef") == "sk-gat…(27 chars)"
