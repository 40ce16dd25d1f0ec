"""Start-up checks: a service whose broker or Redis does not answer within the start-up wait
exits with one clear line instead of retrying silently forever. (Once running, a service rides
out outages of both: that is retry, not misconfiguration.)"""

from __future__ import annotations

import time

from tradefast.config import Settings
from tradefast.errors import UnavailableError
from tradefast.infra.kafka_config import client_config
from tradefast.infra.netcheck import kafka_answers, redis_answers

KAFKA, REDIS = "kafka", "redis"
PROBE_INTERVAL = 0.5


class Unreachable(UnavailableError):
    """A server the service needs did not answer during the start-up wait."""


def require(settings: Settings, needs: tuple[str, ...]) -> None:
    """Return once every server in `needs` answers; Unreachable after `settings.startup_wait`."""
    deadline = time.monotonic() + settings.startup_wait
    for need in needs:
        address = settings.kafka_bootstrap if need == KAFKA else settings.redis_url
        while not _answers(need, settings):
            if time.monotonic() >= deadline:
                variable = "TRADEFAST_KAFKA_BOOTSTRAP" if need == KAFKA else "TRADEFAST_REDIS_URL"
                raise Unreachable(
                    f"{'Kafka' if need == KAFKA else 'Redis'} at {address} did not answer within "
                    f"{settings.startup_wait} s: start it (`tradefast infra up`) or set {variable}"
                )
            time.sleep(PROBE_INTERVAL)


def _answers(need: str, settings: Settings) -> bool:
    if need == KAFKA:
        return kafka_answers(settings.kafka_bootstrap, 2.0, client_config(settings))
    return redis_answers(settings.redis_url)
