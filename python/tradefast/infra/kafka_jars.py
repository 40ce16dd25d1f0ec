"""The Kafka broker's jars: fetched once from Maven Central by Maven, then reused.

The pom beside this module pins the version. The jars land in a cache folder shared by every
checkout and test run (TRADEFAST_KAFKA_CACHE, default ~/.cache/tradefast); a fresh machine fills
it on first use with no manual step.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tradefast.infra.errors import InfraError
from tradefast.infra.toolchain import require_maven

POM = Path(__file__).with_name("kafka-pom.xml")


def _pinned_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)<", POM.read_text())
    if match is None:
        raise RuntimeError(f"{POM} does not pin <kafka.version>")
    return match.group(1)


KAFKA_VERSION = _pinned_version()
FETCH_TIMEOUT_SECONDS = 900


def cache_root(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get("TRADEFAST_KAFKA_CACHE"):
        return Path(env["TRADEFAST_KAFKA_CACHE"])
    xdg = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "tradefast"


def lib_dir(env: dict[str, str] | None = None) -> Path:
    """Where the jars of the pinned version live (present or not)."""
    return cache_root(env) / f"kafka-{KAFKA_VERSION}" / "lib"


def ensure_jars(env: dict[str, str] | None = None) -> Path:
    """The folder of Kafka jars, fetching them first if this machine does not have them yet."""
    target = lib_dir(env)
    if (target / ".complete").exists():
        return target
    mvn = require_maven()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Fetch into a scratch folder and rename at the end, so an interrupted fetch never leaves a
    # half-filled lib folder that later runs would trust.
    scratch = Path(tempfile.mkdtemp(prefix="lib-", dir=target.parent))
    try:
        _copy_dependencies(mvn, scratch)
        (scratch / ".complete").write_text(KAFKA_VERSION + "\n")
        shutil.rmtree(target, ignore_errors=True)  # an incomplete folder of an older layout
        try:
            scratch.rename(target)
        except OSError:
            # Another process (a parallel test session) finished the same fetch first.
            if not (target / ".complete").exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _copy_dependencies(mvn: str, out: Path) -> None:
    argv = [
        mvn,
        "--batch-mode",
        "--quiet",
        "--file",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=FETCH_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise InfraError(
            f"Maven did not fetch the Kafka {KAFKA_VERSION} jars within "
            f"{FETCH_TIMEOUT_SECONDS} s; check that Maven Central is reachable"
        ) from None
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise InfraError(
            f"Maven could not fetch the Kafka {KAFKA_VERSION} jars (exit {done.returncode}); "
            f"check that Maven Central is reachable. Maven said:\n{tail}"
        )
    if not any(out.glob("kafka_2.13-*.jar")):
        raise InfraError(f"Maven ran but left no kafka_2.13 jar in {out}")
