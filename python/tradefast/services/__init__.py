"""The pipeline's services, one process each: `tradefast service <name>` (see cli.py)."""
