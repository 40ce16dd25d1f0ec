"""A server whose owner (a `tradefast run`) died without stopping it is reported, with the command
that stops it, and that command stops it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tradefast import config
from tradefast.infra.local import LocalInfra, State
from tradefast.infra.netcheck import free_port
from tradefast.processes import ProcessRecord, is_running, spawn


def test_a_server_left_by_a_dead_owner_is_reported_and_stopped_by_down(tmp_path: Path) -> None:
    settings = config.load(
        {
            "TRADEFAST_HOME": str(tmp_path),
            "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "TRADEFAST_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    server = spawn(["sleep", "600"], tmp_path / "redis.log", tmp_path, die_with_parent=True)
    gone = ProcessRecord(pid=os.getpid(), started=0.0)  # our pid, another start: not running
    state = tmp_path / "infra" / "state.json"
    state.parent.mkdir(parents=True)
    entry = {"address": settings.redis_url, "process": server.to_json(), "owner": gone.to_json()}
    state.write_text(json.dumps({"redis": entry}))

    infra = LocalInfra(settings)
    redis = infra.status()[1]
    assert redis.state is State.ORPHANED
    assert f"pid {server.pid}" in redis.describe()
    assert "`tradefast infra down` stops it" in redis.describe()

    assert [s.name for s in infra.down()] == ["redis"]
    assert not is_running(server)
