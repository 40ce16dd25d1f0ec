"""The one failure a service does not retry."""

from tradefast.errors import TradefastError


class FatalError(TradefastError, RuntimeError):
    """A failure that retrying cannot mend (corrupt state, a conflict that never settles): the
    service stops, logs it in one line and exits non-zero so its supervisor sees it."""
