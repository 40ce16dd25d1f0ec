"""Say what a long step is doing: its title as it starts, its duration when it ends."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Report = Callable[[str], None]


def silent(_line: str) -> None:
    """A report that says nothing (library use, tests)."""


@contextmanager
def step(title: str, report: Report) -> Iterator[None]:
    report(f"==> {title}")
    start = time.monotonic()
    try:
        yield
    except BaseException:
        report(f"    failed after {time.monotonic() - start:.1f} s")
        raise
    report(f"    done in {time.monotonic() - start:.1f} s")
