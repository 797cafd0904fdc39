"""coord-mcp: the coord tools for agents, over MCP (stdio, or HTTP when a service mounts them).

`coord-mcp` (see `__main__`) serves the coord tools (SPEC §10.1, §16) over stdio; `RemoteEndpoint`
serves the same definitions over streamable HTTP for the coord service's `/mcp` route.
"""

from coord_mcp.caller import Caller, CallerSource, Hints, Identity
from coord_mcp.config import McpConfig, resolve_config
from coord_mcp.remote import RemoteEndpoint
from coord_mcp.results import Refusal, ToolResult
from coord_mcp.server import build_server
from coord_mcp.stdio import serve_stdio
from coord_mcp.tools import TOOL_NAMES, TOOLS, ToolSpec

__all__ = [
    "TOOLS",
    "TOOL_NAMES",
    "Caller",
    "CallerSource",
    "Hints",
    "Identity",
    "McpConfig",
    "Refusal",
    "RemoteEndpoint",
    "ToolResult",
    "ToolSpec",
    "build_server",
    "resolve_config",
    "serve_stdio",
]
