"""A PATH on which some programs are missing, as on a fresh machine."""

from __future__ import annotations

import os
from pathlib import Path

# No Redis server of the OS, and no apt-get to install one: only the packaged server is left.
WITHOUT_REDIS = ("redis-server", "valkey-server", "apt-get")


def path_without(folder: Path, hidden: tuple[str, ...] = WITHOUT_REDIS) -> str:
    """A PATH of one folder holding a link to every program of the current PATH but `hidden`."""
    folder.mkdir(parents=True, exist_ok=True)
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name in hidden or link.exists() or link.is_symlink():
                continue
            link.symlink_to(entry.path)
    return str(folder)
