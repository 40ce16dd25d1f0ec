"""The shared service runtime: consume a batch, handle it, produce, commit, dead-letter, metrics,
shutdown. A service is a `ServiceSpec` (its input topics and a batch handler) given to `serve`;
see docs/services.md for a worked example."""

from tradefast.runtime.fatal import FatalError
from tradefast.runtime.outcome import Outcome, Publication, Rejection, rejections
from tradefast.runtime.service import BatchHandler, ServiceSpec, serve

__all__ = [
    "BatchHandler",
    "FatalError",
    "Outcome",
    "Publication",
    "Rejection",
    "ServiceSpec",
    "rejections",
    "serve",
]
