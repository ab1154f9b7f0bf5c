"""The one error vocabulary: `ApiError`, raised anywhere below a route, and `error_response`, the one
writer of error bodies for AIHubMix, APIMart and the control plane.

AIHubMix (fixtures/production AHM-03..06, the gateway's error writer AHM-08):
`{"error": {"message": "… (tid: <request id>)", "type": "Aihubmix_api_error"}, "type": "error"}`,
no `code`, no `param`. The one documented exception is the Kling delete's `code: not_supported`
(002:396), sent as `wire_code`.
APIMart: errors of its gateway layer (auth, rate limits, injected faults) as captured in APM-06:
`{"error": {"code": "", "message": "… (request id: <id>)", "param": "", "type": "apimart_error"}}`;
the others as its documents show them (APM-07): `{"error": {"code": <http status>, "message", "type"}}`.
Control plane: `{"error": {"message", "type", "param"}}` (openapi/control-plane.yaml).

The mock's help never goes into members production does not send: the rule id is in the message
(`… [rule SORA-SECONDS]`) and in the headers `X-Mock-Rule` and `X-Mock-Param`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .jsonresponse import FastJSONResponse

GATEWAY_TYPE = "Aihubmix_api_error"

APIMART_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "payment_required",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "bad_gateway",
    503: "server_error",
}

# The response header that carries each dialect's request id (AHM-30, AHM-33; APM-06).
REQUEST_ID_HEADER = {"aihubmix": "x-request-id", "apimart": "X-Oneapi-Request-Id"}


class ApiError(Exception):
    """Raised anywhere below a route; the route writes it in its dialect with `error_response`.

    `param` is the mock's own label of the field at fault: it travels in the `X-Mock-Param`
    header, in no body. `wire_code` is a code the
    API itself sends (documented). `gateway` marks errors of the gateway layer (auth, rate limits,
    injected faults), which APIMart writes in its gateway's shape.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,  # noqa: A002
        param: str | None = None,
        rule: str | None = None,
        headers: Mapping[str, str] | None = None,
        wire_code: str | None = None,
        gateway: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.rule = rule
        self.headers = headers or {}
        self.wire_code = wire_code
        self.gateway = gateway

    @property
    def text(self) -> str:
        return f"{self.message} [rule {self.rule}]" if self.rule else self.message

    def body(self, dialect: str, request_id: str | None = None) -> dict[str, Any]:
        if dialect == "apimart":
            if self.gateway or self.status == 401:
                suffix = f" (request id: {request_id})" if request_id else ""
                return {
                    "error": {"code": "", "message": self.text + suffix, "param": "", "type": "apimart_error"}
                }
            return {
                "error": {
                    "code": self.status,
                    "message": self.text,
                    "type": self.type or APIMART_TYPES.get(self.status, "invalid_request_error"),
                }
            }
        if dialect == "control":
            return {
                "error": {
                    "message": self.text,
                    "type": self.type or "invalid_request_error",
                    "param": self.param,
                }
            }
        suffix = f" (tid: {request_id})" if request_id else ""
        error: dict[str, Any] = {"message": self.text + suffix, "type": self.type or GATEWAY_TYPE}
        if self.wire_code:
            error["code"] = self.wire_code
        return {"error": error, "type": "error"}

    def response(self, dialect: str, request_id: str | None = None) -> FastJSONResponse:
        return error_response(self, dialect, request_id)


def error_response(exc: ApiError, dialect: str, request_id: str | None = None) -> FastJSONResponse:
    """The one writer: the dialect's body, the error's own headers, the request id and the mock's help."""
    headers = dict(exc.headers)
    if exc.rule:
        headers["X-Mock-Rule"] = exc.rule
    if exc.param:
        headers["X-Mock-Param"] = _header_safe(exc.param)
    if request_id and dialect in REQUEST_ID_HEADER:
        headers[REQUEST_ID_HEADER[dialect]] = request_id
    return FastJSONResponse(exc.body(dialect, request_id), status_code=exc.status, headers=headers)


def _header_safe(text: str) -> str:
    """Visible ASCII only: a parameter name comes from the client and may hold anything."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in escaped)[:200]


class UnconfirmedRuleWarning(UserWarning):
    """A request the mock accepted although it breaks a rule production may enforce (an unconfirmed
    value rule: RULES.md, "Two kinds of rules"). The pytest plugin raises one per such request, so
    `-W error::aihubmix_mock.UnconfirmedRuleWarning` (or `filterwarnings`) makes them failures."""


def not_found(what: str = "video") -> ApiError:
    return ApiError(
        404,
        f"No {what} found with that id",
        param="task_id" if what == "task" else "video_id",
    )


def unauthorized(message: str) -> ApiError:
    # The gateway's own errors (AHM-04 "no key provided", AHM-05 "Invalid token").
    return ApiError(401, message, gateway=True)
