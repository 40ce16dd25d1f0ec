"""Programs from the OS packages: installed with apt-get when running as root on Debian, else one
clear line saying what to install.

A fresh machine of the project's kind has the toolchains (Python, Rust, Java, Maven, Node) but
maybe not a browser or a Redis; `make run` and `make test` call this so a newcomer types nothing
more than the README's commands.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tradefast.infra.errors import InfraError

APT_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Program:
    """A command this project runs, and the Debian package that provides it."""

    command: str
    package: str
    why: str


JAVA = Program("java", "openjdk-17-jre-headless", "the Kafka broker")
MAVEN = Program("mvn", "maven", "fetching the Kafka jars")
CHROMIUM = Program("chromium", "chromium", "the dashboard's browser test and benchmark")
REDIS = Program("redis-server", "redis-server", "Redis")


def can_use_apt() -> bool:
    """Root on Debian (or a derivative) with apt-get: installing a package asks no one."""
    return (
        os.geteuid() == 0
        and Path("/etc/debian_version").exists()
        and shutil.which("apt-get") is not None
    )


def ensure(programs: list[Program]) -> None:
    """Install the missing ones with apt-get if this machine allows it; else raise InfraError
    naming each missing program and the package to install."""
    missing = [p for p in programs if shutil.which(p.command) is None]
    if not missing:
        return
    packages = " ".join(p.package for p in missing)
    if not can_use_apt():
        needs = ", ".join(f"`{p.command}` ({p.why})" for p in missing)
        raise InfraError(
            f"missing {needs}: install it (Debian: apt-get install {packages}) and run again"
        )
    print(
        f"installing {packages} with apt-get (missing; running as root on Debian)",
        file=sys.stderr,
        flush=True,
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", *packages.split()],
    ):
        try:
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            raise InfraError(f"`{' '.join(argv)}` took over {APT_TIMEOUT_SECONDS} s") from None
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise InfraError(f"`{' '.join(argv)}` failed (exit {done.returncode}):\n{tail}")
    still = [p.command for p in missing if shutil.which(p.command) is None]
    if still:
        raise InfraError(f"apt-get installed {packages} but {', '.join(still)} is not on PATH")


def main(argv: list[str]) -> int:
    """`python -m tradefast.infra.system_packages run|test|bench`: what `make run` / `make test`
    / `make bench` need from the OS (Redis is handled when it starts: a Python package may ship
    it)."""
    wanted = {
        "run": [JAVA, MAVEN],
        "test": [JAVA, MAVEN, CHROMIUM],
        "bench": [JAVA, MAVEN, CHROMIUM],
    }
    if len(argv) != 1 or argv[0] not in wanted:
        print("usage: python -m tradefast.infra.system_packages run|test|bench", file=sys.stderr)
        return 2
    try:
        ensure(wanted[argv[0]])
    except InfraError as exc:
        print(f"tradefast: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
