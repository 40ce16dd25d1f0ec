"""Kafka and Redis for one machine: started by the project itself, no Docker needed.

`tradefast infra up | down | status` drives `local.LocalInfra`; the test fixtures use the same
class. Services import their client settings from `kafka_config`.
"""
