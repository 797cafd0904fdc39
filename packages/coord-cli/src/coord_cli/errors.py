"""What can go wrong in a `coord` command, and the exit code each failure gets.

A command raises `CliError` with one readable line and the next step; the entry point prints it
(no traceback) and exits with the error's code, so scripts can tell failures apart.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every `coord` command (docs/cli.md lists them)."""

    OK = 0
    """Done; for `doctor`, no check failed; for `status`, the service runs."""
    FAILED = 1
    """The command ran but the outcome is negative: a FAIL check, a refused or failed action."""
    USAGE = 2
    """The command line is wrong (unknown option, missing argument)."""
    NOT_CONFIGURED = 3
    """Something the command needs is missing: a checkout, a token, the server package."""
    UNREACHABLE = 4
    """The coord service could not be reached."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C."""


class CliError(Exception):
    """A failure explained in one line, with the next step and an exit code."""

    def __init__(self, message: str, fix: str | None = None, code: ExitCode = ExitCode.FAILED):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code

    def lines(self) -> list[str]:
        """What the entry point prints: the message, then the fix when there is one."""
        return [f"coord: {self.message}", *([f"  fix: {self.fix}"] if self.fix else [])]
