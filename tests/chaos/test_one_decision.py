"""One decision per inquiry with a position limit, under repeated `kill -9`.

With a limit, the trader's decision depends on the position an inquiry was enriched with. A
position service killed after its Redis write and before its commit replays NEW inquiries whose
keys have since moved; it must publish them again with the enrichment they had the first time, so
the trader (itself killed and replaying) can only ever repeat the same decision. Few keys and half
of the inquiries DONE make sure each replay window holds DONEs of the replayed keys.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from chaos_harness import (
    absorbed_replays,
    enriched_twice_differently,
    services,
    topic_size,
    verify,
    wait_until,
)
from tradefast.config import Settings

pytestmark = pytest.mark.chaos

COUNT = 10_000
TRADER_ARGS = ("--position-limit", "20000000", "--done-fraction", "0.5")
# Kill the position service (p) or the trader (t) once this many decisions are out.
KILLS = ((1_500, "p"), (3_000, "t"), (4_500, "p"), (6_500, "p"), (8_000, "t"))


def test_a_replayed_inquiry_is_decided_the_same_way(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with services(settings, tmp_path) as make:
        position = make("position").start()
        trader = make("trader", *TRADER_ARGS).start()
        generator = make(
            "generator", "--rate", "2000", "--count", str(COUNT), "--books", "BOOK1"
        ).start()
        for threshold, victim_name in KILLS:
            victim = position if victim_name == "p" else trader
            wait_until(
                lambda t=threshold: topic_size(settings, settings.topics.decided) >= t,  # type: ignore[misc]
                f"{threshold} decisions: {victim.tail()}",
            )
            victim.kill9()
            time.sleep(0.3)
            victim.start()
        assert generator.wait_exit() == 0, generator.tail()
        verdict = verify(settings, redis_client)
        assert position.alive and trader.alive
    replayed = absorbed_replays(position.log)
    assert position.starts == 4 and trader.starts == 3, "every kill happened"
    assert not enriched_twice_differently(settings)
    assert verdict.enriched_messages > verdict.generated, "the position service replayed"
    assert verdict.decided_messages > verdict.generated, "the trader replayed"
    assert replayed > 0, "the position service recognised replayed inputs"
    print(
        verdict.summary(
            f"position limit on, position service killed 3x and trader 2x (kill -9); the "
            f"position processes absorbed {replayed} replayed inputs"
        )
    )
