"""The stdio bridge: one agent, one session, one client for the life of the process.

stdout carries nothing but MCP frames; everything else (logs included) goes to stderr.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.stdio import stdio_server

from coord_mcp.caller import Caller, CallerSource, Hints, Identity
from coord_mcp.config import ENVIRONMENT, McpConfig
from coord_mcp.server import build_server
from coord_protocol.client import AsyncCoordClient, ClientConfig
from coord_protocol.local_env import token_location

logger = logging.getLogger("coord_mcp.stdio")

_REGISTRATIONS = "the MCP registration (.mcp.json, .codex/config.toml or .cursor/mcp.json)"


async def serve_stdio(config: McpConfig) -> None:
    """Serve the coord tools on stdin/stdout until the client closes the connection."""
    async with AsyncCoordClient(client_config_for(config)) as client:
        server = build_server(fixed_caller(caller_for(config, client)))
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())


def client_config_for(config: McpConfig) -> ClientConfig:
    """Where the client connects and with what; a placeholder token is already None here."""
    return ClientConfig(base_url=config.api_url, token=config.token, session_id=config.session_id)


def caller_for(config: McpConfig, client: AsyncCoordClient) -> Caller:
    """The one caller of a stdio bridge configured by `config`."""
    return Caller(
        client=client,
        identity=identity_for(config),
        hints=hints_for(config),
        repo_root=config.repo_root,
        validate_symbols=config.validate_symbols,
    )


def fixed_caller(caller: Caller) -> CallerSource:
    """A caller source that always gives `caller` (the stdio bridge has exactly one)."""

    @asynccontextmanager
    async def source(_request: object | None) -> AsyncIterator[Caller]:
        yield caller

    return source


def identity_for(config: McpConfig) -> Identity:
    """The identity defaults of a process started with `config`."""
    return Identity(
        session_id=config.session_id,
        repo_id=config.repo_id,
        branch=config.branch,
        user=config.user,
    )


def hints_for(config: McpConfig) -> Hints:
    """What to tell an agent when this configuration is what stops a call."""
    file = config.local_env or config.expected_local_env
    url_from = config.sources.get("COORD_API_URL", "the default")
    unreachable = (
        "Start the coord service (`coord start --background`), then call again: this MCP "
        "server reconnects by itself. If the service runs elsewhere, fix COORD_API_URL (now "
        f"{config.api_url}, from {url_from}) in {file} and restart the MCP server."
    )
    token_from_env = config.token is not None and config.token_source == ENVIRONMENT
    identity = (
        "coord-mcp does not know which engineer you are: call claim_files or check_conflicts "
        f"with your engineer name first, or set COORD_USER in {file}."
    )
    return Hints(
        fix_auth=_fix_auth(config, str(file)),
        fix_unreachable=unreachable,
        config_file=None if token_from_env else str(file),
        fix_identity=identity,
    )


def _fix_auth(config: McpConfig, file: str) -> str:
    restart = "then restart the MCP server (reconnect it in your tool)"
    if config.token is None and config.token_source is None:
        return (
            f"No token is configured, so none was sent: put COORD_AUTH_TOKEN=<token> in {file} "
            f"(`coord start` prints the token; `coord init` writes this file), {restart}."
        )
    if config.token is None:
        where = _REGISTRATIONS if config.token_source == ENVIRONMENT else file
        return (
            f"COORD_AUTH_TOKEN is still a template placeholder (in {where}), so no token was "
            f"sent: put the real token in {file} as COORD_AUTH_TOKEN=<token>, {restart}."
        )
    if config.token_source == ENVIRONMENT:
        return (
            "The service refused the COORD_AUTH_TOKEN set in this MCP server's environment "
            f"(an explicit value wins over {file}): fix or remove it in {_REGISTRATIONS} or "
            f"your shell ({token_location(os.environ)}), {restart}."
        )
    return (
        f"The service refused the token in {file}: replace COORD_AUTH_TOKEN there with a valid "
        f"token ({token_location(os.environ)}), {restart}."
    )
