"""Benchmarks run against real servers: `tradefast bench <name>`, one module per benchmark."""
