"""A refusal names its field in every wording the evidence shows; an error that does not is caught."""

from __future__ import annotations

import pytest

from contract_tests.engine.wording import named_fields, names_field

NAMES = [
    # (wording, error, the field it names)
    ("OpenAI missing", {"message": "Missing required parameter: 'prompt'."}, "prompt"),
    (
        "OpenAI type (AHM-35)",
        {
            "message": "Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead."
        },
        "seconds",
    ),
    (
        "OpenAI type, an object (samples.json)",
        {"message": "Invalid type for 'input_reference': expected an object, but got a string"},
        "input_reference",
    ),
    ("OpenAI unknown (AHM-17)", {"message": "Unknown parameter: 'aspect_ratio'."}, "aspect_ratio"),
    ("OpenAI value", {"message": "Invalid value for 'size': '999x999'."}, "size"),
    ("OpenAI invalid", {"message": "Invalid 'seconds': must be one of 4, 8, 12."}, "seconds"),
    ("gateway unknown (samples.json)", {"message": "Unknown request parameter: `quality`."}, "quality"),
    ("a param member", {"message": "bad", "param": "resolution"}, "resolution"),
    ("leading field", {"message": "seconds: must be one of '4', '8', '12' [rule SORA-SECONDS]"}, "seconds"),
    ("is required", {"message": "prompt is required"}, "prompt"),
    ("nested, indexed", {"message": "content[0].type: must be one of text, image_url"}, "content.type"),
]


@pytest.mark.parametrize(("error", "field"), [n[1:] for n in NAMES], ids=[n[0] for n in NAMES])
def test_each_wording_names_its_field(error, field):
    assert names_field(error, field), (error, named_fields(error))
    assert not names_field(error, "model"), "a wording names only its own field"


@pytest.mark.parametrize(
    "error",
    [
        {"message": "Missing required parameter: 'prompt'."},
        {"message": "Unknown request parameter: `quality`."},
        {"message": "Invalid type for 'seconds': expected one of '4', '8', or '12'"},
    ],
)
def test_the_wordings_own_words_are_no_field(error):
    assert not ({"Missing", "Unknown", "Invalid"} & named_fields(error)), named_fields(error)


def test_a_list_of_accepted_fields_names_none_of_them():
    error = {"message": "must be one of: seconds, size, prompt"}
    assert not names_field(error, "seconds")


def test_a_message_naming_another_field_does_not_pass():
    assert not names_field({"message": "Missing required parameter: 'model'."}, "prompt")
    assert not names_field("Internal error", "prompt")
