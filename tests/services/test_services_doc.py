"""docs/services.md's worked example of adding a service, built from the document's own code: the
module alone makes a service that `tradefast service` lists and runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from service_io import inquiry, publish_inquiries, reader, service_process, stop_service
from tradefast.config import Settings
from tradefast.infra.kafka_config import client_config
from tradefast.infra.topics import create_missing_topics
from tradefast.proto.tradefast_pb2 import Inquiry, Status

DOC = Path(__file__).resolve().parents[2] / "docs" / "services.md"
# The example's module, placed in a folder added to the services package's path: as if it were
# python/tradefast/services/large_trades.py, without writing into the source tree.
WITH_EXAMPLE = """
import sys
import tradefast.services
tradefast.services.__path__.append(sys.argv[1])
from tradefast.cli import main
sys.exit(main(sys.argv[2:]))
"""


def example_module() -> str:
    """The one Python block of the section that declares a SERVICE."""
    section = DOC.read_text().split("## Adding a service", 1)[1]
    blocks: list[str] = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    (module,) = [block for block in blocks if "SERVICE = Service(" in block]
    return module


def tradefast_with_example(tmp_path: Path, args: list[str]) -> list[str]:
    folder = tmp_path / "example"
    folder.mkdir(exist_ok=True)
    (folder / "large_trades.py").write_text(example_module())
    return [sys.executable, "-c", WITH_EXAMPLE, str(folder), *args]


def test_the_example_is_a_service_by_its_module_alone(tmp_path: Path) -> None:
    done = subprocess.run(
        tradefast_with_example(tmp_path, ["service", "large-trades", "--help"]),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    assert "forward large DONE inquiries to inquiries.large" in done.stdout
    assert "--threshold" in done.stdout and "TRADEFAST_LARGE_TRADES_METRICS_PORT" in done.stdout


def test_the_example_forwards_large_done_trades(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    command = tradefast_with_example(
        tmp_path, ["service", "large-trades", "--threshold", "40000000", "--metrics-port", "0"]
    )
    env = {**os.environ, **settings_env, "PYTHONPATH": os.pathsep.join(sys.path)}
    # One key, so one partition, in this order: the two large ones come after the others, so
    # once they are forwarded the others have been handled.
    small = inquiry(1, Status.DONE, quantity=100, price=9000)
    not_done = inquiry(2, Status.NOT_DONE, quantity=5000, price=9000)
    large = [inquiry(n, Status.DONE, quantity=5000, price=9000) for n in (3, 4)]
    output = f"{settings.topics.prefix}inquiries.large"
    create_missing_topics(client_config(settings), [output], settings.partitions)
    with service_process(command, env) as service:
        with reader(settings, output) as forwarded:
            publish_inquiries(settings, settings.topics.decided, [small, not_done, *large])
            messages = forwarded.read(2)
        stderr = stop_service(service)

    assert service.returncode == 0, stderr
    ids = sorted(Inquiry.FromString(m.value() or b"").inquiry_id for m in messages)
    assert ids == [3, 4]
