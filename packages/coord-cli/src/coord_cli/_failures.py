"""Service errors as the CLI reports them: the server's words, then what to do here."""

from __future__ import annotations

from coord_cli.errors import CliError, ExitCode
from coord_protocol.errors import CoordError, ErrorCode

_FIXES: dict[ErrorCode, tuple[str, ExitCode]] = {
    ErrorCode.UNAVAILABLE: (
        "start it with `coord start --background`, or point COORD_API_URL at the service",
        ExitCode.UNREACHABLE,
    ),
    ErrorCode.UNAUTHORIZED: (
        "set COORD_AUTH_TOKEN, or fix COORD_AUTH_TOKEN in .coordination/local.env",
        ExitCode.NOT_CONFIGURED,
    ),
    ErrorCode.FORBIDDEN: (
        "this needs the operator token (COORD_AUTH_TOKEN of the service)",
        ExitCode.NOT_CONFIGURED,
    ),
}


def describe_service_error(error: CoordError, token_source: str | None = None) -> CliError:
    """The `CliError` for an error answer (or no answer) of the service."""
    fix, code = _FIXES.get(error.code, (None, ExitCode.FAILED))
    if error.code is ErrorCode.UNAUTHORIZED and token_source:
        fix = f"the token came from {token_source}; replace it with a valid one"
    return CliError(_one_line(error.detail), fix, code)


def _one_line(text: str) -> str:
    return " ".join(text.split())
