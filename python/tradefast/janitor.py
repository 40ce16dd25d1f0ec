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
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from tradefast.infra.processes import ProcessRecord, is_running

SERVICE, SERVER = 0, 1  # stop order


class Janitor:
    """The run's side: register each process as it starts."""

    def __init__(self, log_file: Path) -> None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        read_end, write_end = os.pipe()
        with open(log_file, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tradefast.janitor", str(os.getpid())],
                stdin=read_end,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
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


def _stop_all(entries: list[dict[str, object]], run_pid: str) -> None:
    for stage in (SERVICE, SERVER):
        alive = []
        for entry in entries:
            record = ProcessRecord(int(str(entry["pid"])), float(str(entry["started"])))
            if entry["stage"] == stage and is_running(record):
                print(f"run (pid {run_pid}) is gone: stopping {entry['name']} (pid {record.pid})")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(record.pid, signal.SIGTERM)
                alive.append((entry, record))
        for entry, record in alive:
            deadline = time.monotonic() + float(str(entry["grace"]))
            while is_running(record) and time.monotonic() < deadline:
                time.sleep(0.1)
            if is_running(record):
                print(f"{entry['name']} (pid {record.pid}) did not stop in time: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(record.pid, signal.SIGKILL)
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
