"""The one base of the problems a person must fix: each says what is wrong in one line and carries
the exit code the `tradefast` command returns for it (caught once, in tradefast.cli.main)."""

from __future__ import annotations


class TradefastError(Exception):
    """A problem reported as one line and an exit code, never as a traceback."""

    # 1: something failed while running; 2: the command was asked for something it cannot do
    # (a bad setting or flag, a server it needs is not there).
    exit_code = 1


class ConfigError(TradefastError, ValueError):
    """A setting is missing or malformed; the message says which and what is expected."""

    exit_code = 2


class UnavailableError(TradefastError):
    """Something the command needs is not there: a server does not answer, a port is taken."""

    exit_code = 2
