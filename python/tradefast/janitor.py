"""Stop what `tradefast run` started if it dies without doing so itself (SIGKILL, a crash).

`tradefast run` starts this as a small process of its own session (out of reach of the terminal's
signals) and tells it, through a pipe, each process it starts: the services first, the servers
last. When the run ends the pipe reads end-of-file; whatever the run did not stop by then is
stopped here in the run's own order: the services (SIGTERM, then SIGKILL after their grace),
then Kafka and Redis. The kernel's parent-death signal would hit them all at once, and a service
whose broker is already gone may never finish its shutdown.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from tradefast.processes import ProcessRecord, is_running, start, stop_all

SERVICE, SERVER = 0, 1  # stop order


class Janitor:
    """The run's side: register each process as it starts."""

    def __init__(self, log_file: Path) -> None:
        read_end, write_end = os.pipe()
        argv = [sys.executable, "-m", "tradefast.janitor", str(os.getpid())]
        self._process = start(argv, log_file, stdin=read_end)
        os.close(read_end)
        self._pipe: IO[str] = os.fdopen(write_end, "w", buffering=1)

    def watch(self, name: str, record: ProcessRecord, stage: int, grace: float) -> None:
        entry = {"name": name, "stage": stage, "grace": grace, **record.to_json()}
        self._pipe.write(json.dumps(entry) + "\n")

    def close(self) -> None:
        """The run stopped everything itself: the janitor finds nothing left and exits."""
        self._pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(5)


def _killing(names: dict[ProcessRecord, str], record: ProcessRecord) -> None:
    print(f"{names[record]} (pid {record.pid}) did not stop in time: killing it")


def _stop_all(entries: list[dict[str, object]], run_pid: str) -> None:
    for stage in (SERVICE, SERVER):
        names: dict[ProcessRecord, str] = {}
        grace = 0.0
        for entry in entries:
            record = ProcessRecord(int(str(entry["pid"])), float(str(entry["started"])))
            if entry["stage"] == stage and is_running(record):
                print(f"run (pid {run_pid}) is gone: stopping {entry['name']} (pid {record.pid})")
                names[record] = str(entry["name"])
                # The stage stops together, so each gets the longest grace of its stage.
                grace = max(grace, float(str(entry["grace"])))
        stop_all(list(names), grace, on_kill=functools.partial(_killing, names))
        sys.stdout.flush()


def main(argv: list[str]) -> int:
    # Out of the terminal's reach already (own session); a stray signal must not cut the work.
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    entries = [json.loads(line) for line in sys.stdin if line.strip()]
    _stop_all(entries, argv[0] if argv else "?")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
