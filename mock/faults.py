"""Gateway faults on demand: production's gateway-wide answers (403 balance, 403 model not allowed,
429 per model, 503, 500 no channel), for clients to test their handling of them.

The bodies come from one place, the spec: each example of `components/responses` that carries
`x-mock-fault: {name, status, aliases?, message?}` is a fault. The mock sends the example's
`error.message` (or the `message` template, with `{model}` and `{key_tail}` filled in) through the one
error writer (errors.py), which adds the request id as production's writer does (AHM-08).
A fault is asked for by header (`X-Mock-Fault: balance`) or queued by the control plane
(`POST /__mock/faults {"fault": "balance"}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ApiError

if TYPE_CHECKING:
    from .spec import Spec

_TID = re.compile(r"\s*\((?:tid|request id):[^)]*\)$")


@dataclass(frozen=True, slots=True)
class FaultKind:
    name: str
    status: int
    message: str  # a template: {model}, {key_tail}
    type: str | None = None


# No production body is known for a 502; the number stays available, as before.
_BAD_GATEWAY = FaultKind("502", 502, "bad gateway (injected by the mock; production's 502 body is not known)")


def catalogue(spec: Spec) -> dict[str, FaultKind]:
    """Fault name (and numeric alias) -> what it answers, from the spec's response examples."""
    out: dict[str, FaultKind] = {"502": _BAD_GATEWAY}
    for response in spec.document.get("components", {}).get("responses", {}).values():
        for media in response.get("content", {}).values():
            for example in media.get("examples", {}).values():
                marker = example.get("x-mock-fault")
                if not marker:
                    continue
                error = example["value"]["error"]
                kind = FaultKind(
                    marker["name"],
                    int(marker["status"]),
                    marker.get("message") or _TID.sub("", error["message"]),
                    error.get("type"),
                )
                for name in (marker["name"], *map(str, marker.get("aliases", ()))):
                    out[name] = kind
    return out


def fault_error(
    kind: FaultKind, *, retry_after: int | None = None, model: str | None = None, key: str | None = None
) -> ApiError:
    message = kind.message.replace("{model}", model or "unknown").replace("{key_tail}", (key or "")[-6:])
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return ApiError(kind.status, message, type=kind.type, headers=headers, gateway=True)


@dataclass
class Fault:
    """A queued fault: the next `count` matching requests answer it."""

    kind: FaultKind
    count: int
    retry_after: int | None = None
    method: str | None = None
    path_prefix: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path_prefix is None or path.startswith(self.path_prefix)
        )


#: Queued faults at most: every API request looks through the queue for one that matches, so an
#: unbounded queue of faults that match nothing would slow every request (30 000 made polls 20x
#: slower). A test queues a few; past the limit, queuing answers 409.
MAX_QUEUED = 256


class Faults:
    def __init__(self) -> None:
        self.queue: list[Fault] = []  # in the order they were queued

    def add(self, fault: Fault) -> bool:
        """Queue it, or False when MAX_QUEUED are queued already."""
        if len(self.queue) >= MAX_QUEUED:
            return False
        self.queue.append(fault)
        return True

    def clear(self) -> None:
        self.queue.clear()

    def take(self, method: str, path: str) -> Fault | None:
        if not self.queue:
            return None
        for fault in self.queue:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.queue.remove(fault)
                return fault
        return None


def describe(kinds: Iterable[str]) -> str:
    return ", ".join(sorted(kinds, key=lambda n: (n.isdigit(), n)))
