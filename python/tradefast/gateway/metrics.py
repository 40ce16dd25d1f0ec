"""Gateway metrics beside the shared service metrics (runtime.metrics, service="gateway")."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CLIENTS = Gauge("tradefast_gateway_clients", "WebSocket clients connected, of either format")
ORIGINAL_CLIENTS = Gauge(
    "tradefast_gateway_original_clients",
    "WebSocket clients of the original format (one Inquiry per frame, every state)",
)
FRAMES_SENT = Counter("tradefast_gateway_frames_sent", "Binary frames sent to clients")
BYTES_SENT = Counter("tradefast_gateway_bytes_sent", "Bytes of binary frames sent to clients")
INQUIRIES_SENT = Counter(
    "tradefast_gateway_inquiries_sent", "Inquiry updates sent to clients, after conflation"
)
SLOW_DISCONNECTS = Counter(
    "tradefast_gateway_slow_disconnects", "Clients disconnected for not keeping up"
)
REFUSED = Counter(
    "tradefast_gateway_refused", "Upgrade requests refused, by HTTP status", ["status"]
)
CLIENT_ERRORS = Counter(
    "tradefast_gateway_client_errors", "Clients closed for sending data to the read-only feed"
)
BAD_MESSAGES = Counter(
    "tradefast_gateway_bad_messages", "Kafka values that are not a decodable Inquiry"
)
TASK_FAILURES = Counter(
    "tradefast_gateway_task_failures",
    "Gateway tasks (feed, positions, feed watchdog) that died; the gateway then exits non-zero",
    ["task"],
)
FEED_AGE = Gauge(
    "tradefast_gateway_feed_age_seconds",
    "Seconds since the feed loop last went round (it does at least every 0.1 s when healthy)",
)
