"""`coord-mcp`: the coord tools for an MCP client, over stdio.

Configured by `COORD_*` variables and `.coordination/local.env` (see `coord_mcp.config`).
`COORD_MCP_LOG_LEVEL` (default `warning`) sets how much is logged to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import anyio

from coord_mcp.config import McpConfig, resolve_config
from coord_mcp.stdio import serve_stdio

logger = logging.getLogger("coord_mcp")


def main() -> None:
    """Resolve the configuration and serve until the MCP client hangs up."""
    _log_to_stderr(os.environ.get("COORD_MCP_LOG_LEVEL", "warning"))
    config = resolve_config(os.environ, Path.cwd())
    _log_start(config)
    # Ctrl-C in a terminal is a normal way to stop a stdio server: no traceback for it.
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve_stdio, config)


def _log_to_stderr(level: str) -> None:
    # stdout belongs to the protocol: one stray line there breaks the client.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("coord-mcp %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


def _log_start(config: McpConfig) -> None:
    token = "set" if config.token else "missing or placeholder (none will be sent)"
    logger.info(
        "coord-mcp: service %s, repo %s, session %s, token %s, local.env %s",
        config.api_url, config.repo_id or "(none)", config.session_id, token,
        config.local_env or "(not found)",
    )  # fmt: skip
    if config.token is None:
        logger.warning(
            "no usable COORD_AUTH_TOKEN; calls are sent without a token (fix %s)",
            config.expected_local_env,
        )


if __name__ == "__main__":
    main()
