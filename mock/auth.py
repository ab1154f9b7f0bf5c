"""Bearer keys: who is calling, compared in constant time, never stored or logged in clear."""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from .errors import unauthorized

_TOKEN = re.compile(r"^[\x21-\x7e]{1,512}$")  # visible ASCII, no spaces
#: The longest Authorization value KeyCheck.caller remembers: "Bearer " and a 512-character key,
#: with room for stray spaces (longer ones are checked every time, never kept).
_CACHED_HEADER = 600


@lru_cache(maxsize=4096)
def redact(key: str | None) -> str | None:
    """What the journal and logs may show of a key: a prefix of at most a quarter of it (and at most
    6 characters), and its length: enough to tell keys apart, never enough to use one."""
    if not key:
        return None
    return f"{key[: min(6, len(key) // 4)]}…({len(key)} chars)"


@lru_cache(maxsize=4096)
def owner_of(key: str) -> str:
    """Jobs are filed under a digest of the key, so the store never holds a key either."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class KeyCheck:
    """Any well-formed key (default), or only the configured ones."""

    def __init__(self, keys: list[str] | None = None) -> None:
        self._keys = [k.encode() for k in keys] if keys else None
        #: Authorization values already accepted -> (key, owner): a poll loop sends the same one
        #: every time. Bounded; a value is added only once it passed every check below, so a
        #: cache hit tells a caller nothing it did not send itself.
        self._accepted: dict[bytes, tuple[str, str]] = {}

    def caller(self, header: bytes | None) -> tuple[str, str]:
        """(key, owner) from the raw `Authorization` header value, or a 401."""
        if header is not None:
            found = self._accepted.get(header)
            if found is not None:
                return found
        key = self(None if header is None else header.decode("latin-1"))
        if header is not None and len(header) <= _CACHED_HEADER:  # bounded in bytes too
            if len(self._accepted) >= 4096:
                self._accepted.clear()
            self._accepted[header] = (key, owner_of(key))
            return self._accepted[header]
        return key, owner_of(key)

    def __call__(self, header: str | None) -> str:
        """The caller's key from an `Authorization` header value, or a 401."""
        if not header:
            raise unauthorized("no key provided: send Authorization: Bearer <key>")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("Invalid token: the Authorization header must be 'Bearer <key>'")
        if not _TOKEN.match(token):
            raise unauthorized("Invalid token: malformed key")
        if self._keys is not None:
            given = token.encode()
            ok = False
            for known in self._keys:  # every key is compared, so timing tells nothing
                ok |= hmac.compare_digest(given, known)
            if not ok:
                raise unauthorized("Invalid token")
        return token
