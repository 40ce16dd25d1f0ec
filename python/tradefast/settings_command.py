"""`tradefast settings [--markdown]`: every setting with its variable, flag, default, allowed
values and help; docs/settings.md is the Markdown form."""

from __future__ import annotations

import argparse

from tradefast import config
from tradefast.services import registry

MARKDOWN_HEAD = """# Settings

Every setting is a `TRADEFAST_*` environment variable; those with a flag can also be given on the
command line of the commands that take them (the flag wins). `tradefast settings` prints this list;
this page is `tradefast settings --markdown` (a test keeps it up to date). A bad value stops the
command with one line naming the variable or flag and what is allowed, and exit code 2.

"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "settings", help="list every setting: its variable, flag, default and meaning"
    )
    parser.add_argument("--markdown", action="store_true", help="as docs/settings.md")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    print(as_markdown() if args.markdown else as_text(), end="")
    return 0


def _rows() -> list[tuple[str, str, str, str, str, str]]:
    rows = [
        (
            name,
            declaration.env + (f", else {declaration.fallback}" if declaration.fallback else ""),
            declaration.flag,
            config.default_of(name),
            config.allowed_values(declaration),
            declaration.help,
        )
        for name, declaration in config.declarations()
    ]
    for name, service in registry.services().items():
        declaration = config.metrics_port_setting(name)
        rows.append(
            (
                f"{name} metrics port",
                declaration.env,
                declaration.flag,
                str(service.metrics_port),
                config.allowed_values(declaration),
                declaration.help,
            )
        )
    return rows


def as_text() -> str:
    lines = []
    for name, env, flag, default, allowed, help_text in _rows():
        lines.append(f"{name}  {env}" + (f"  {flag}" if flag else ""))
        lines.append(f"    {help_text}")
        lines.append(f"    default: {default}" + (f"; allowed: {allowed}" if allowed else ""))
    return "\n".join(lines) + "\n"


def as_markdown() -> str:
    lines = [
        "| Setting | Variable | Flag | Default | Allowed | Meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, env, flag, default, allowed, help_text in _rows():
        cells = (name, env, flag, default, allowed)
        code = [f"`{cell}`" if cell else "" for cell in cells]
        code[1] = code[1].replace(", else ", "`, else `")
        lines.append("| " + " | ".join([*code, help_text.replace("|", "\\|")]) + " |")
    return MARKDOWN_HEAD + "\n".join(lines) + "\n"
