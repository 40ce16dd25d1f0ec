"""tradefast: an event-driven RFQ trading pipeline with a Rust hot path."""

__version__ = "0.1.0"
