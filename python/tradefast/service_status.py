"""Which service is up or down: written by `tradefast run`'s supervisor, read by the dashboard
server for the page (`/services.json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil

from tradefast.config import Settings

NONE: dict[str, Any] = {"services": []}


def services_status_file(settings: Settings) -> Path:
    return Path(settings.home) / "run" / "services.json"


def read_services_status(path: Path) -> dict[str, Any]:
    """The supervisor's last word, or no services when no supervisor runs (a dashboard started
    on its own, or a file left by a run that was killed)."""
    try:
        status: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return NONE
    if not psutil.pid_exists(int(status.get("supervisor", 0))):
        return NONE
    return status
