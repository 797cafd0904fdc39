"""The coord client as the hooks use it: short timeouts and failures explained in one line."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TypeVar

from pydantic import BaseModel

from coord_hooks.config import HookConfig
from coord_protocol.client import Call, ClientConfig, CoordClient
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.local_env import token_location

ModelT = TypeVar("ModelT", bound=BaseModel)

HOOK_TIMEOUT_SEC = 10.0
"""Longest wait for one answer: a hook stands between a person (or agent) and their work."""


def connect(config: HookConfig, session_id: str | None = None) -> CoordClient:
    """A client for the configured service; the token travels only in a request header."""
    return CoordClient(ClientConfig(config.api_url, config.token, session_id))


def ask(client: CoordClient, call: Call, model: type[ModelT]) -> ModelT:
    """Send `call` with the hooks' timeout and read the answer as `model`."""
    return client.send(replace(call, timeout=HOOK_TIMEOUT_SEC), model)


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
