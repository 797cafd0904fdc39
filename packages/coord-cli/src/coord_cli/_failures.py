"""Service errors as the CLI reports them: the server's words, then what to do here."""

from __future__ import annotations

import os

from coord_cli.errors import CliError, ExitCode
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.local_env import ENVIRONMENT, token_location

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
    if error.code is ErrorCode.UNAUTHORIZED:
        fix = unauthorized_fix(token_source)
    return CliError(_one_line(error.detail), fix, code)


def unauthorized_fix(token_source: str | None) -> str:
    """The fix line of a 401: where the token came from, and where the valid one is."""
    came = f"the token came from {token_source}" if token_source else "no token was sent"
    fallback = (
        "; or `unset COORD_AUTH_TOKEN` to fall back to the local token file"
        if token_source == ENVIRONMENT
        else ""
    )
    return f"{came}; {token_location(os.environ)}{fallback}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
