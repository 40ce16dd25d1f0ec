"""The settings: one declaration each, read from the environment or a flag, written back by
to_env, checked with one clear message, listed in docs/settings.md."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import pytest
from tradefast import config, settings_command
from tradefast.config import ConfigError, Secret, Settings

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"

# A value other than the default for every setting, as its variable's text.
OTHERS = {
    "TRADEFAST_KAFKA_BROKERS": "3",
    "TRADEFAST_KAFKA_BOOTSTRAP": "10.0.0.1:19092",
    "TRADEFAST_KAFKA_REPLICATION": "2",
    "TRADEFAST_KAFKA_STATS_MS": "1000",
    "TRADEFAST_KAFKA_LINGER_MS": "5",
    "TRADEFAST_KAFKA_FETCH_WAIT_MS": "20",
    "TRADEFAST_REDIS_URL": "redis+cluster://10.0.0.1:7000",
    "TRADEFAST_TOPIC_PREFIX": "t1.",
    "TRADEFAST_PARTITIONS": "12",
    "TRADEFAST_CORE": "reference",
    "TRADEFAST_HOME": "/srv/tradefast",
    "TRADEFAST_STARTUP_WAIT": "5",
    "TRADEFAST_GATEWAY_HOST": "0.0.0.0",
    "TRADEFAST_GATEWAY_PORT": "9080",
    "TRADEFAST_WS_TOKEN": "s3cret",
    "TRADEFAST_ALLOWED_ORIGINS": "http://a,http://b",
    "TRADEFAST_GATEWAY_CLIENT_BUFFER": "8192",
    "TRADEFAST_GATEWAY_CLIENT_BACKLOG": "100",
    "TRADEFAST_GATEWAY_FLUSH_MS": "2",
    "TRADEFAST_DASHBOARD_HOST": "0.0.0.0",
    "TRADEFAST_DASHBOARD_PORT": "9081",
    "TRADEFAST_DASHBOARD_DIST": "/srv/dist",
    "TRADEFAST_METRICS_HOST": "0.0.0.0",
    "TRADEFAST_LOG_FORMAT": "json",
    "TRADEFAST_GENERATOR_RATE": "250.5",
    "TRADEFAST_GENERATOR_COUNT": "1000",
    "TRADEFAST_GENERATOR_SEED": "7",
    "TRADEFAST_GENERATOR_START_ID": "42",
    "TRADEFAST_GENERATOR_BOOKS": "B1,B2",
    "TRADEFAST_GENERATOR_INSTRUMENTS": "X",
    "TRADEFAST_GENERATOR_COUNTERPARTIES": "c1",
    "TRADEFAST_GENERATOR_SCENARIO": "original",
    "TRADEFAST_BATCH_SIZE": "500",
    "TRADEFAST_TRADER_SEED": "3",
    "TRADEFAST_DONE_FRACTION": "0.5",
    "TRADEFAST_POSITION_LIMIT": "1000000",
    "TRADEFAST_TRADER_POLICY": "even-ids",
    "TRADEFAST_RUN_RATE": "500.0",
}


def test_every_field_is_a_declared_setting_with_a_variable_and_help() -> None:
    declared = dict(config.declarations())
    assert set(declared) == {f.name for f in fields(Settings)}
    variables = [d.env for d in declared.values()]
    assert len(set(variables)) == len(variables)
    for declaration in declared.values():
        assert declaration.env.startswith("TRADEFAST_") and declaration.help


def test_every_setting_round_trips_through_to_env(tmp_path: Path) -> None:
    properties = tmp_path / "client.properties"
    properties.write_text("security.protocol=SSL\n")
    env = {**OTHERS, "TRADEFAST_KAFKA_PROPERTIES": str(properties)}
    settings = config.load(env)
    defaults = config.load({})
    changed = {
        f.name for f in fields(Settings) if getattr(settings, f.name) != getattr(defaults, f.name)
    }
    assert changed == {f.name for f in fields(Settings)}
    assert config.load(settings.to_env()) == settings
    assert set(settings.to_env()) == set(env)
    assert config.load(defaults.to_env()) == defaults


def test_a_flag_wins_over_the_variable_which_wins_over_the_fallback() -> None:
    parser = argparse.ArgumentParser()
    config.add_flags(parser, ("run_rate", "batch_size"))
    env = {"RATE": "30", "TRADEFAST_BATCH_SIZE": "10"}
    assert config.load(env, parser.parse_args([])).run_rate == 30.0
    env["TRADEFAST_RUN_RATE"] = "40"
    assert config.load(env, parser.parse_args([])).run_rate == 40.0
    flagged = config.load(env, parser.parse_args(["--rate", "50", "--batch-size", "7"]))
    assert (flagged.run_rate, flagged.batch_size) == (50.0, 7)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRADEFAST_PARTITIONS": "many"}, "TRADEFAST_PARTITIONS='many' is not a whole number"),
        ({"TRADEFAST_GATEWAY_PORT": "0"}, "TRADEFAST_GATEWAY_PORT=0 is out of range 1..65535"),
        (
            {"TRADEFAST_DONE_FRACTION": "1.5"},
            "TRADEFAST_DONE_FRACTION=1.5 is out of range 0.0..1.0",
        ),
        ({"TRADEFAST_GENERATOR_RATE": "fast"}, "TRADEFAST_GENERATOR_RATE='fast' is not a number"),
        ({"TRADEFAST_CORE": "fortran"}, "TRADEFAST_CORE='fortran' must be one of rust, reference"),
        ({"TRADEFAST_TRADER_POLICY": "coin"}, "must be one of seeded, even-ids"),
        ({"RATE": "0"}, "RATE=0.0 is out of range 0.001..100000.0"),
        ({"TRADEFAST_GENERATOR_BOOKS": "A|B"}, "a book name must not contain '|'"),
        ({"TRADEFAST_GENERATOR_INSTRUMENTS": ", ,"}, "TRADEFAST_GENERATOR_INSTRUMENTS must list"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_is_allowed(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        config.load(env)
    assert message in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_bad_flag_is_named_as_the_flag() -> None:
    parser = argparse.ArgumentParser()
    config.add_flags(parser, ("batch_size",))
    with pytest.raises(ConfigError, match=r"^--batch-size=0 is out of range 1\.\.100000$"):
        config.load({}, parser.parse_args(["--batch-size", "0"]))


def test_a_metrics_port_is_read_like_a_setting() -> None:
    declaration = config.metrics_port_setting("large-trades")
    assert declaration.env == "TRADEFAST_LARGE_TRADES_METRICS_PORT"
    assert config.read("metrics_port", declaration, 9105, {}) == 9105
    assert config.read("metrics_port", declaration, 9105, {declaration.env: "0"}) == 0
    with pytest.raises(ConfigError, match="TRADEFAST_LARGE_TRADES_METRICS_PORT=70000"):
        config.read("metrics_port", declaration, 9105, {declaration.env: "70000"})


def test_the_token_never_prints() -> None:
    settings = config.load({"TRADEFAST_WS_TOKEN": "hunter2"})
    assert settings.ws_token == Secret("hunter2")
    assert settings.ws_token is not None and settings.ws_token.reveal() == "hunter2"
    for shown in (str(settings.ws_token), repr(settings.ws_token), f"{settings.ws_token}"):
        assert "hunter2" not in shown
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert settings.to_env()["TRADEFAST_WS_TOKEN"] == "hunter2"


def test_docs_settings_md_is_the_settings_command_output() -> None:
    assert DOCS.read_text() == settings_command.as_markdown(), (
        "docs/settings.md is out of date: tradefast settings --markdown > docs/settings.md"
    )


def test_every_setting_is_listed() -> None:
    listed = settings_command.as_text()
    for _name, declaration in config.declarations():
        assert declaration.env in listed
    assert "TRADEFAST_GATEWAY_METRICS_PORT" in listed
