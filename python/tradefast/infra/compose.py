"""Whether Docker Compose can be used instead of local processes (`make run` prefers it)."""

from __future__ import annotations

import shutil
import subprocess


def docker_engine_available(timeout: float = 10.0) -> bool:
    """True when a `docker` client is installed and its engine answers `docker info`."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        probe = subprocess.run([docker, "info"], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0
