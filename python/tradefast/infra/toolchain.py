"""Find the programs the local servers need, or say how to install them."""

from __future__ import annotations

import re
import shutil
import subprocess

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


def require_redis_server() -> str:
    """Path of `redis-server` from the OS packages."""
    server = shutil.which("redis-server")
    if server is None:
        raise InfraError(
            "no `redis-server` on PATH: install it (Debian: apt-get install redis-server), "
            "or point TRADEFAST_REDIS_URL at a Redis that is already running"
        )
    return server
