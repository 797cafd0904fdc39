"""A failure to talk to the service, explained in one line that says where to fix it."""

from __future__ import annotations

import os

from coord_hooks.config import HookConfig
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.local_env import token_location


def explain(config: HookConfig, error: CoordError) -> str:
    """What went wrong talking to the service, and where to fix it."""
    if error.code is ErrorCode.UNAUTHORIZED:
        where = config.token_hint
        missing = "no token is configured" if config.token is None else "the token was refused"
        found = token_location(os.environ)
        return f"{error.detail} ({missing}; set COORD_AUTH_TOKEN in {where}: {found})"
    if error.code is ErrorCode.FORBIDDEN:
        return f"{error.detail} (the token may not act as this engineer or repo)"
    return error.detail
