"""API errors and the two dialects' error bodies.

AIHubMix (api-facts.md): `{"error": {"message", "type"}, "type": "error"}`; the mock adds OpenAI's
`param` and `code` so a client sees which field broke which rule. APIMart: `{"error": {"code": <http
status>, "message", "type"}}` with its fixed type names.
"""

from __future__ import annotations

from .jsonresponse import FastJSONResponse

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


class ApiError(Exception):
    """Raised anywhere below a handler; `endpoint` turns it into the dialect's JSON body."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",  # noqa: A002
                 param: str | None = None, code: str | None = None, rule: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.rule = rule
        self.headers = headers or {}

    def body(self, dialect: str) -> dict:
        message = f"{self.message} [rule {self.rule}]" if self.rule else self.message
        if dialect == "apimart":
            err = {"code": self.status, "message": message, "type": APIMART_TYPES.get(self.status, self.type)}
            if self.param:
                err["param"] = self.param
            return {"error": err}
        return {"error": {"message": message, "type": self.type, "param": self.param, "code": self.code},
                "type": "error"}

    def response(self, dialect: str) -> FastJSONResponse:
        return FastJSONResponse(self.body(dialect), status_code=self.status, headers=self.headers)


def not_found(what: str = "video") -> ApiError:
    return ApiError(404, f"No {what} found with that id", code="not_found",
                    param="task_id" if what == "task" else "video_id")


def unauthorized(message: str) -> ApiError:
    # The gateway's own errors use this type (api-facts: 401 "no key provided", "Invalid token").
    return ApiError(401, message, type="Aihubmix_api_error", code="invalid_api_key")
