"""Who may open the feed: the path, the allowed origins and the optional token.

Checked on the HTTP upgrade request, before any WebSocket frame, so a refused client gets a
plain HTTP status: 404 for another path, 403 for an origin that is not allowed, 401 for a
missing token and 403 for a wrong one.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

FEED_PATH = "/ws/inquiries"
HEALTH_PATH = "/healthz"
# A browser cannot set an Authorization header on a WebSocket; it can offer a sub-protocol.
TOKEN_PROTOCOL_PREFIX = "token."


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


@dataclass(frozen=True)
class Admission:
    # The sub-protocol to echo in the 101 response, when the client offered the token as one.
    protocol: str | None


@dataclass(frozen=True)
class AccessPolicy:
    token: str | None
    # Empty means: only the dashboard's own origins; "*" in it means any origin.
    allowed_origins: frozenset[str]

    def check(self, path: str, headers: Mapping[str, str]) -> Admission | Refusal:
        parts = urlsplit(path)
        if parts.path != FEED_PATH:
            return Refusal(404, f"not found: the feed is at {FEED_PATH}")
        origin = headers.get("Origin")
        allowed = "*" in self.allowed_origins or origin in self.allowed_origins
        if origin is not None and not allowed:
            return Refusal(403, f"origin {origin!r} is not allowed")
        if self.token is None:
            return Admission(protocol=None)
        return _check_token(self.token, parse_qs(parts.query).get("token", []), headers)


def _check_token(token: str, query: list[str], headers: Mapping[str, str]) -> Admission | Refusal:
    offered: list[tuple[str, str | None]] = [(value, None) for value in query]
    authorization = headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        offered.append((authorization[7:].strip(), None))
    for protocol in headers.get("Sec-WebSocket-Protocol", "").split(","):
        protocol = protocol.strip()
        if protocol.startswith(TOKEN_PROTOCOL_PREFIX):
            offered.append((protocol[len(TOKEN_PROTOCOL_PREFIX) :], protocol))
    if not offered:
        return Refusal(
            401,
            "a token is required (?token=, Authorization: Bearer, or the "
            f"sub-protocol {TOKEN_PROTOCOL_PREFIX}<token>)",
        )
    for value, echoed in offered:
        if hmac.compare_digest(value.encode(), token.encode()):
            return Admission(protocol=echoed)
    return Refusal(403, "wrong token")


def dashboard_origins(host: str, port: int) -> frozenset[str]:
    """The origins a browser sends from the project's own dashboard."""
    hosts = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
    return frozenset(f"http://{name}:{port}" for name in hosts)
