"""The one exception the infra commands raise for anything a person must fix."""

from __future__ import annotations

from tradefast.errors import TradefastError


class InfraError(TradefastError, RuntimeError):
    """Kafka or Redis cannot be started or reached; the message says what to do about it."""
