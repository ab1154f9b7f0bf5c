"""Schemathesis's calls, recorded as the suite's own exchanges through Schemathesis's hooks
(`after_call`, `after_network_error`), so a failure is attributed to the request that failed.
Imported by the Schemathesis tests (which registers the hooks)."""

from __future__ import annotations

import schemathesis

from .api import SEQUENCE, _short, excerpt, operation_of

#: where the hooks put the exchanges of the test that is running (set by the suite's conftest)
CURRENT: dict[str, list | None] = {"exchanges": None}


def _record(case, body, *, authorization_sent, status, response, error) -> None:
    """One Schemathesis call as the suite's exchange, attributed by the request itself."""
    exchanges = CURRENT["exchanges"]
    assert exchanges is not None  # the hooks return early when it is None
    exchanges.append(
        {
            "seq": next(SEQUENCE),
            "operation": case.operation.definition.raw.get("operationId")
            or operation_of(case.method, case.formatted_path),
            "method": case.method.upper(),
            "path": case.formatted_path,
            "model": body.get("model") if isinstance(body, dict) else None,
            "authorization_sent": authorization_sent,
            "request": _short(body) if body is not None else None,
            "status": status,
            "response": response,
            "error": error,
            "attempts": 1,
        }
    )


@schemathesis.hook
def after_call(context, case, response):
    """Every call Schemathesis makes, recorded as the suite's own (attributed by the request)."""
    if CURRENT["exchanges"] is None:
        return
    headers = {k.lower() for k in (getattr(response.request, "headers", None) or {})}
    body = case.body if not isinstance(case.body, bytes) else excerpt(case.body, case.media_type or "")
    ctype = response.headers.get("content-type", "")
    _record(
        case,
        body,
        authorization_sent="authorization" in headers,
        status=response.status_code,
        response=_short(excerpt(response.content or b"", ctype[0] if isinstance(ctype, list) else ctype)),
        error=None,
    )


@schemathesis.hook
def after_network_error(context, case, request):
    if CURRENT["exchanges"] is None:
        return
    body = case.body if not isinstance(case.body, bytes) else None
    _record(
        case,
        body,
        authorization_sent="Authorization" in request.headers,
        status=None,
        response=None,
        error="network error (no answer)",
    )
