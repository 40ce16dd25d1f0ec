"""Can this Python environment run this checkout as it is? (`make` asks before building `.venv`.)

`python -m tradefast.envcheck run|test CHECKOUT` exits 0 when tradefast is imported from CHECKOUT,
its Rust extension is built and no older than the Rust sources, and every dependency (with the
`dev` extra for `test`) is installed, and prints `usable`; else it prints the first reason it is
not and exits 1.
A person who ran `maturin develop --release` in a virtualenv of their own gets exactly that.

Only the standard library is used here: the environment under test may lack everything else.
Dependencies are checked by name, not version; one that only some platforms need (an environment
marker other than the extra) counts as present either way.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
from pathlib import Path

# The sources only: cargo's target folder holds generated .rs files newer than any build.
RUST_SOURCES = (
    "rust/*/src/**/*.rs",
    "rust/*/build.rs",
    "rust/*/Cargo.toml",
    "rust/*/Cargo.lock",
    "proto/*.proto",
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def problem(purpose: str, checkout: Path) -> str | None:
    """Why this environment cannot serve `purpose` ("run" or "test") for `checkout`, or None."""
    try:
        package = importlib.import_module("tradefast")
    except ImportError:
        return "tradefast is not installed in it"
    source = Path(package.__file__ or "").resolve().parent
    if source != (checkout / "python" / "tradefast").resolve():
        return f"its tradefast is {source}, not this checkout's"
    try:
        core = importlib.import_module("tradefast._core")
    except ImportError as exc:
        return f"its Rust extension does not import ({exc}): run `maturin develop --release`"
    built = Path(core.__file__ or "").stat().st_mtime
    newer = [
        p for pattern in RUST_SOURCES for p in checkout.glob(pattern) if p.stat().st_mtime > built
    ]
    if newer:
        rebuild = "run `maturin develop --release`"
        return f"{newer[0]} changed after its Rust extension was built: {rebuild}"
    try:
        requirements = importlib.metadata.requires("tradefast") or []
    except importlib.metadata.PackageNotFoundError:
        return "tradefast is importable but not installed in it"
    for requirement in requirements:
        name_part, _, marker = requirement.partition(";")
        match = _NAME.match(name_part.strip())
        if match is None:
            continue
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if extra is not None and not (purpose == "test" and extra.group(1) == "dev"):
            continue
        if marker.strip() and extra is None:
            continue  # platform-dependent: may rightly be absent here
        try:
            importlib.metadata.version(match.group(0))
        except importlib.metadata.PackageNotFoundError:
            return f"it lacks {match.group(0)}"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("run", "test"):
        print("usage: python -m tradefast.envcheck run|test CHECKOUT", file=sys.stderr)
        return 2
    reason = problem(argv[0], Path(argv[1]))
    if reason is not None:
        print(reason)
        return 1
    print("usable")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
