"""Which fields an error is about, read from the wordings the evidence shows.

Production's gateway sends no `param` member (AHM-03..06), so a refusal names its field in the
message. Each wording below is one that an error source of this API is shown to use:

- OpenAI (Sora, behind the gateway): "Missing required parameter: 'prompt'."          (OpenAI's API)
                                     "Invalid type for 'seconds': expected one of …"     (AHM-35)
                                     "Unknown parameter: 'aspect_ratio'."                (AHM-17)
                                     "Invalid value for 'size': …" / "Invalid 'seconds': …"
- the gateway itself:                "Unknown request parameter: `quality`."           (samples.json)
- the mock and many providers:       "<field>: …", "<field> is required"
- any error with a `param` member.

A list of accepted fields in a message ("must be one of: a, b") names none of them.
"""

from __future__ import annotations

import re
from typing import Any

#: (what says it, pattern whose group 1 is the field)
WORDINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("OpenAI missing", re.compile(r"Missing required parameter:\s*'([^']+)'")),
    ("OpenAI unknown", re.compile(r"Unknown parameter:\s*'([^']+)'")),
    ("OpenAI type or value", re.compile(r"\bfor '([^']+)'")),
    ("OpenAI invalid", re.compile(r"\bInvalid '([^']+)'")),
    ("gateway unknown", re.compile(r"Unknown request parameter:\s*`([^`]+)`")),
)
_LEAD = re.compile(r"\s*([A-Za-z_][\w.\[\],]*)(?:\s*:|\s+is required\b)")
#: a leading word that is the wording's own, not a field ("Missing required parameter: …")
_NOT_FIELDS = {"Missing", "Unknown", "Invalid", "Error", "error", "Bad", "Forbidden", "Unauthorized"}


def _clean(name: str) -> set[str]:
    return {re.sub(r"\[\d*\]", "", part.strip()) for part in name.split(",") if part.strip()}


def named_fields(error: dict[str, Any]) -> set[str]:
    """The fields an error is about, exactly (see the module's list of wordings)."""
    names: set[str] = _clean(str(error["param"])) if error.get("param") else set()
    message = str(error.get("message") or "")
    for _, pattern in WORDINGS:
        for found in pattern.findall(message):
            names |= _clean(found)
    lead = _LEAD.match(message)
    if lead and lead.group(1) not in _NOT_FIELDS:
        names |= _clean(lead.group(1))
    return names


def names_field(error: dict[str, Any] | str, param: str) -> bool:
    """The error names the field `param` (or one of a comma-separated list of them); a bare message
    is read as an error without `param`."""
    error = {"message": error} if isinstance(error, str) else error
    return bool(_clean(param) & named_fields(error))
