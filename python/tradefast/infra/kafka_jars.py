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
import threading
import time
from collections import deque
from pathlib import Path

from tradefast.infra.errors import InfraError
from tradefast.infra.toolchain import require_maven
from tradefast.progress import Report, silent

POM = Path(__file__).with_name("kafka-pom.xml")


def _pinned_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)<", POM.read_text())
    if match is None:
        raise RuntimeError(f"{POM} does not pin <kafka.version>")
    return match.group(1)


KAFKA_VERSION = _pinned_version()
FETCH_TIMEOUT_SECONDS = 900
PROGRESS_EVERY_SECONDS = 3.0
# Maven in batch mode says this once per file it fetched:
# "[INFO] Downloaded from central: URL (1.2 MB at 3.4 MB/s)".
_DOWNLOADED = re.compile(r"^(?:\[INFO\] )?Downloaded from \S+: \S+ \((\d+(?:\.\d+)?) (B|kB|MB|GB)")
_UNIT = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def cache_root(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get("TRADEFAST_KAFKA_CACHE"):
        return Path(env["TRADEFAST_KAFKA_CACHE"])
    xdg = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "tradefast"


def lib_dir(env: dict[str, str] | None = None) -> Path:
    """Where the jars of the pinned version live (present or not)."""
    return cache_root(env) / f"kafka-{KAFKA_VERSION}" / "lib"


def present(env: dict[str, str] | None = None) -> bool:
    """True when the jars of the pinned version are in the cache (no fetch needed)."""
    return (lib_dir(env) / ".complete").exists()


def ensure_jars(env: dict[str, str] | None = None, report: Report = silent) -> Path:
    """The folder of Kafka jars, fetching them first if this machine does not have them yet.

    report: a line every few seconds while fetching (files and megabytes so far)."""
    target = lib_dir(env)
    if present(env):
        return target
    mvn = require_maven()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Fetch into a scratch folder and rename at the end, so an interrupted fetch never leaves a
    # half-filled lib folder that later runs would trust.
    scratch = Path(tempfile.mkdtemp(prefix="lib-", dir=target.parent))
    try:
        _copy_dependencies(mvn, scratch, report)
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


def _copy_dependencies(mvn: str, out: Path, report: Report) -> None:
    argv = [
        mvn,
        "--batch-mode",
        "--file",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    maven = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    lines: deque[str] = deque(maxlen=15)
    reader = threading.Thread(target=_follow, args=(maven, lines, report), daemon=True)
    reader.start()
    try:
        code = maven.wait(FETCH_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        maven.kill()
        maven.wait()
        raise InfraError(
            f"Maven did not fetch the Kafka {KAFKA_VERSION} jars within "
            f"{FETCH_TIMEOUT_SECONDS} s; check that Maven Central is reachable"
        ) from None
    finally:
        reader.join(10)
    if code != 0:
        tail = "\n".join(lines)
        raise InfraError(
            f"Maven could not fetch the Kafka {KAFKA_VERSION} jars (exit {code}); "
            f"check that Maven Central is reachable. Maven said:\n{tail}"
        )
    if not any(out.glob("kafka_2.13-*.jar")):
        raise InfraError(f"Maven ran but left no kafka_2.13 jar in {out}")


def _follow(maven: subprocess.Popen[str], lines: deque[str], report: Report) -> None:
    """Read Maven's output (its end kept for an error message); report the download's progress."""
    assert maven.stdout is not None
    files, size = 0, 0.0
    last = time.monotonic()
    for line in maven.stdout:
        lines.append(line.rstrip())
        match = _DOWNLOADED.match(line)
        if match is None:
            continue
        files += 1
        size += float(match.group(1)) * _UNIT[match.group(2)]
        if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
            last = time.monotonic()
            report(f"    {files} files, {size / 1e6:.1f} MB so far")
    if files:
        report(f"    {files} files, {size / 1e6:.1f} MB fetched")
