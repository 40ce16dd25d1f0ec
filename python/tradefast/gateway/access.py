"""Who may open the feed, and in which format: the path, the origin, the optional token and the
offered sub-protocols.

Checked on the HTTP upgrade request, before any WebSocket frame, so a refused client gets a
plain HTTP status: 404 for another path, 403 for an origin that is not allowed, 401 for a
missing token and 403 for a wrong one.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

FEED_PATH = "/ws/inquiries"
HEALTH_PATH = "/healthz"
# The sub-protocol that chooses tradefast's own format (a snapshot, then InquiryBatch frames).
# A client that offers none gets the original system's: one Inquiry per frame, every state.
BATCH_PROTOCOL = "tradefast.batch.v1"
# A browser cannot set an Authorization header on a WebSocket; it can offer a sub-protocol.
TOKEN_PROTOCOL_PREFIX = "token."


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


@dataclass(frozen=True)
class Admission:
    # True: tradefast's batched format; False: the original's, one Inquiry per frame.
    batched: bool
    # The sub-protocol to echo in the 101 response (a browser that offered some needs one back).
    protocol: str | None


@dataclass(frozen=True)
class AccessPolicy:
    token: str | None
    # Empty means: only the dashboard's own origins; "*" in it means any origin.
    allowed_origins: frozenset[str]
    # The gateway's own origins, always allowed: no page is served from them, so only a
    # non-browser client sends one (the original's Java client names the server it connects to),
    # and such a client could send any Origin anyway. A browser tricked by DNS rebinding sends
    # the attacker's host name, never these.
    own_origins: frozenset[str] = frozenset()

    def check(
        self, path: str, headers: Mapping[str, str], protocols: Sequence[str] = ()
    ) -> Admission | Refusal:
        """`protocols`: the sub-protocols offered, in order (see `offered_protocols`)."""
        parts = urlsplit(path)
        if parts.path != FEED_PATH:
            return Refusal(404, f"not found: the feed is at {FEED_PATH}")
        origin = headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            return Refusal(403, f"origin {origin!r} is not allowed")
        batched = BATCH_PROTOCOL in protocols
        echoed = BATCH_PROTOCOL if batched else None
        if self.token is None:
            return Admission(batched, echoed)
        checked = _check_token(
            self.token, parse_qs(parts.query).get("token", []), headers, protocols
        )
        if isinstance(checked, Refusal):
            return checked
        return Admission(batched, echoed or checked)

    def _origin_allowed(self, origin: str) -> bool:
        return (
            "*" in self.allowed_origins
            or origin in self.allowed_origins
            or origin in self.own_origins
        )


def offered_protocols(header_values: Iterable[str]) -> list[str]:
    """The sub-protocols of every Sec-WebSocket-Protocol header, in order (each header is a
    comma list, and a client may send the header more than once)."""
    return [name.strip() for value in header_values for name in value.split(",") if name.strip()]


def _check_token(
    token: str, query: list[str], headers: Mapping[str, str], protocols: Sequence[str]
) -> str | Refusal | None:
    """The token sub-protocol to echo (None if the token came another way), or the refusal."""
    offered: list[tuple[str, str | None]] = [(value, None) for value in query]
    authorization = headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        offered.append((authorization[7:].strip(), None))
    for protocol in protocols:
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
            return echoed
    return Refusal(403, "wrong token")


def origins_of(host: str, port: int) -> frozenset[str]:
    """The origins of a server at host:port as a browser page served there sends them, or a
    client that names the server it connects to (a loopback server answers to each loopback
    name)."""
    hosts = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
    return frozenset(f"http://{name}:{port}" for name in hosts)
