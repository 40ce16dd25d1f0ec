"""What goes wrong says what to do: a clear InfraError or ConfigError, nothing left running."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tradefast import config
from tradefast.cli import main
from tradefast.config import ConfigError, Settings
from tradefast.infra import toolchain
from tradefast.infra.errors import InfraError
from tradefast.infra.local import LocalInfra, State
from tradefast.infra.netcheck import accepts_connections, free_port, split_host_port


@pytest.fixture
def foreign_listener() -> Iterator[int]:
    """A port held by a program that accepts connections but speaks neither Kafka nor Redis."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def _settings(home: Path, kafka_port: int | None = None, redis_url: str | None = None) -> Settings:
    return config.load(
        {
            "TRADEFAST_HOME": str(home),
            "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka_port or free_port()}",
            "TRADEFAST_REDIS_URL": redis_url or f"redis://127.0.0.1:{free_port()}/0",
        }
    )


def test_kafka_port_taken_by_a_foreign_program(tmp_path: Path, foreign_listener: int) -> None:
    infra = LocalInfra(_settings(tmp_path, kafka_port=foreign_listener), ephemeral=True)
    with pytest.raises(
        InfraError, match=rf"127.0.0.1:{foreign_listener} is taken.*not answer as Kafka"
    ):
        infra.up()
    assert not (tmp_path / "infra" / "state.json").exists()


def test_redis_port_taken_starts_nothing(tmp_path: Path, foreign_listener: int) -> None:
    settings = _settings(tmp_path, redis_url=f"redis://127.0.0.1:{foreign_listener}/0")
    infra = LocalInfra(settings, ephemeral=True)
    with pytest.raises(InfraError, match="TRADEFAST_REDIS_URL to another address"):
        infra.up()
    assert [s.state for s in infra.status()] == [State.STOPPED, State.STOPPED]
    assert not accepts_connections(*split_host_port(settings.kafka_bootstrap))


def test_bad_redis_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TRADEFAST_REDIS_URL"):
        config.load({"TRADEFAST_REDIS_URL": "http://127.0.0.1:6379"})
    infra = LocalInfra(_settings(tmp_path, redis_url="redis://127.0.0.1:notaport/0"))
    with pytest.raises(ConfigError, match="bad port"):
        infra.up()


def test_no_java_says_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(InfraError, match=r"Java 17 or newer.*openjdk-17"):
        LocalInfra(_settings(tmp_path)).up()


def test_no_redis_anywhere_says_to_install_it_and_stops_kafka(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As off Linux x86_64, where no package ships a server, and without apt-get on PATH.
    monkeypatch.setattr(toolchain, "_packaged_valkey_server", lambda: None)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("java", "mvn"):
        real = os.path.realpath(_which(tool))
        (bin_dir / tool).symlink_to(real)
    monkeypatch.setenv("PATH", str(bin_dir))
    settings = _settings(tmp_path)
    infra = LocalInfra(settings, ephemeral=True)
    with pytest.raises(InfraError, match="apt-get install redis-server"):
        infra.up()
    assert [s.state for s in infra.status()] == [State.STOPPED, State.STOPPED]


def test_broker_slow_to_answer_names_its_log(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    infra = LocalInfra(settings, start_timeout=0.2, ephemeral=True)
    with pytest.raises(InfraError, match=r"did not answer .* within 0 s.*server\.log ends with"):
        infra.up()
    # The half-started broker was stopped again, not left behind.
    assert [s.state for s in infra.status()] == [State.STOPPED, State.STOPPED]
    assert not accepts_connections(*split_host_port(settings.kafka_bootstrap))


def test_cli_prints_the_problem_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("TRADEFAST_HOME", str(tmp_path))
    monkeypatch.setenv("TRADEFAST_REDIS_URL", "ftp://nowhere")
    assert main(["infra", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tradefast infra status: TRADEFAST_REDIS_URL='ftp://nowhere'")
    assert "Traceback" not in err


def test_damaged_state_file_is_named(tmp_path: Path) -> None:
    state = tmp_path / "infra" / "state.json"
    state.parent.mkdir()
    state.write_text("{not json")
    with pytest.raises(InfraError, match=r"state\.json is damaged"):
        LocalInfra(_settings(tmp_path)).status()


def _which(tool: str) -> str:
    for folder in os.environ["PATH"].split(os.pathsep):
        candidate = Path(folder) / tool
        if candidate.exists():
            return str(candidate)
    raise AssertionError(f"{tool} is not installed")
